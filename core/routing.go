package core

// origin is where a request came from, and so where its result goes: a client
// of this node's driver, or a node that forwarded it.
type origin struct {
	client    ReqID
	remote    bool
	forwarder NodeID
	fwdOp     uint64
}

// fwdOp is a request this node handed to another node to coordinate.
type fwdOp struct {
	origin origin
}

func (n *Node) reply(o origin, res Result) {
	if o.remote {
		n.send(o.forwarder, ForwardReply{Op: o.fwdOp, Result: res})
		return
	}
	n.emit(n.arena.reply(o.client, res))
}

// handleClientRequest validates a request and routes it. Any node coordinates a
// get (section 6.4: "any Dynamo node can act as a coordinator for a read"). A
// put is coordinated by one of its targets (the key's first N healthy nodes):
// they store what they version. A node that is not a target forwards the put,
// preferring the node that answered the client's last read fastest (section 5).
func (n *Node) handleClientRequest(o origin, op Op) {
	if err := n.validate(op); err != nil {
		n.stats.BadRequests++
		n.reply(o, Result{Err: err})
		return
	}
	if op.Kind == OpJoin || op.Kind == OpLeave {
		n.handleAdmin(o, op)
		return
	}
	if n.curRing == nil {
		n.reply(o, Result{Err: ErrUnavailable}) // a new node that has not learned the ring yet
		return
	}
	pl := n.place(n.preference(op.Key))
	if len(pl.nodes) == 0 {
		// Not a ring member itself, and every member seems down from here.
		n.reply(o, Result{Err: ErrUnavailable})
		return
	}
	if op.Kind == OpGet {
		n.startGet(o, op, pl)
		return
	}
	ctx, err := DecodeContext(op.Context)
	if err != nil {
		n.stats.BadRequests++
		n.reply(o, Result{Err: wrapBadRequest(err)})
		return
	}
	// An owner coordinates whenever one is up: it keeps every dot it makes.
	// A fallback coordinates only when no owner is reachable.
	owner := pl.firstOwner()
	_, selfHinted := pl.hintFor(n.id)
	if (pl.contains(n.id) && !selfHinted) || (owner == noHint && pl.contains(n.id)) {
		n.startPut(o, op, ctx, pl)
		return
	}
	if o.remote {
		// Forwarded once already, by a node with another view of the ring or
		// of who is up. Do not forward again: bounded hops beat a loop.
		n.stats.BadRequests++
		n.reply(o, Result{Err: wrapBadRequest(errNotOwner)})
		return
	}
	target := pl.nodes[0]
	if owner != noHint {
		target = owner
	}
	if _, hinted := pl.hintFor(ctx.Fastest); ctx.HasFastest && pl.contains(ctx.Fastest) && !hinted {
		target = ctx.Fastest
	}
	n.forward(o, op, target)
}

func (n *Node) forward(o origin, op Op, to NodeID) {
	id := n.newOp()
	n.fwds[id] = &fwdOp{origin: o}
	n.stats.Forwarded++
	n.probe("forwarded")
	n.sendExpectingReply(to, Forward{Op: id, Req: op})
	// The target has its own deadline; ours is later so that its answer, even a
	// timeout, normally arrives first and the client learns the real outcome.
	n.timers.push(n.now.Mono+2*n.cfg.RequestTimeout, timerRequest, id)
}

func (n *Node) handleForwardReply(m ForwardReply) {
	op, ok := n.fwds[m.Op]
	if !ok {
		return // late: we already answered with a timeout
	}
	delete(n.fwds, m.Op)
	n.reply(op.origin, m.Result)
}

func (n *Node) validate(op Op) error {
	switch op.Kind {
	case OpGet, OpPut, OpDelete:
	case OpJoin, OpLeave:
		return nil
	default:
		return badRequestf("unknown operation %d", op.Kind)
	}
	if op.Key == "" {
		return badRequestf("empty key")
	}
	if len(op.Key) > n.cfg.MaxKeyBytes {
		return badRequestf("key of %d bytes exceeds the limit of %d", len(op.Key), n.cfg.MaxKeyBytes)
	}
	if len(op.Value) > n.cfg.MaxValueBytes {
		return badRequestf("value of %d bytes exceeds the limit of %d", len(op.Value), n.cfg.MaxValueBytes)
	}
	if op.R < 0 || op.R > n.cfg.N {
		return badRequestf("r=%d, want 1..%d (or 0 for the default %d)", op.R, n.cfg.N, n.cfg.R)
	}
	if op.W < 0 || op.W > n.cfg.N {
		return badRequestf("w=%d, want 1..%d (or 0 for the default %d)", op.W, n.cfg.N, n.cfg.W)
	}
	return nil
}

func (n *Node) quorum(asked, def int) int {
	if asked == 0 {
		return def
	}
	return asked
}
