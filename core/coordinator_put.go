package core

// putOp is the state machine of one put or delete (section 4.5): create the new
// version, write it locally, send the whole sibling set to the other targets,
// and answer once W writes (the local one included) are durable.
type putOp struct {
	id     uint64
	origin origin
	key    string
	need   int
	pl     placement
	acked  []NodeID
	start  Time
}

// startPut starts a put or delete this node coordinates; pl includes it.
func (n *Node) startPut(o origin, req Op, ctx Context, pl placement) {
	if !n.ready {
		n.reply(o, Result{Err: ErrUnavailable})
		return
	}
	local := n.localVersions(req.Key)
	actor := n.actor
	if _, fallback := pl.hintFor(n.id); fallback {
		n.actorEpoch++
		actor = actorOf(n.id, n.incarnation, n.actorEpoch)
		n.probe("fallback_coordinator")
	}
	v := n.mech.NewVersion(local, ctx.Clock, actor, int64(n.now.Wall), req.Value, req.Kind == OpDelete)
	merged := n.mech.Merge(local, []Version{v})

	op := &putOp{
		id:     n.newOp(),
		origin: o,
		key:    req.Key,
		start:  n.now.Mono,
		need:   n.quorum(req.W, n.cfg.W),
		pl:     pl,
		acked:  make([]NodeID, 0, len(pl.nodes)),
	}
	n.puts[op.id] = op
	n.timers.push(n.now.Mono+n.cfg.RequestTimeout, timerRequest, op.id)

	// With buffered writes one replica, chosen at random so that the cost of
	// durability spreads over the targets, writes to disk before acknowledging.
	durable := noHint
	if n.cfg.BufferedWrites {
		durable = pl.nodes[n.cfg.Rand.IntN(len(pl.nodes))]
	}
	for i, r := range pl.nodes {
		if r == n.id {
			continue
		}
		m := pl.putReq(i, op.id, req.Key, merged)
		m.Durable = n.cfg.BufferedWrites && r == durable
		n.sendExpectingReply(r, m)
	}
	if owner, hinted := pl.hintFor(n.id); hinted {
		// A fallback coordinator keeps its own copy as a hint too.
		n.countHint(req.Key, owner)
		n.mergeHint(req.Key, owner, merged)
		w := n.logHint(op.id, req.Key, owner)
		w.p.Notify = true
		n.emit(&w.p)
		return
	}
	n.setLocal(req.Key, n.mech.Merge(n.store.get(req.Key), []Version{v}))
	switch {
	case n.cfg.BufferedWrites && durable != n.id:
		n.buffer.mark(req.Key)
		n.maybeFlushFull()
		n.ackPut(op, n.id)
	case n.cfg.Bugs.AckBeforePersist:
		n.emit(&n.logKey(n.newOp(), req.Key).p)
		n.ackPut(op, n.id)
	default:
		w := n.logKey(op.id, req.Key)
		w.p.Notify = true
		n.emit(&w.p)
	}
}

func versionsRecord(key string, vs []Version) Record {
	return Record{Kind: RecordVersions, Key: key, Versions: vs}
}

func (n *Node) handleLocalWrite(op *putOp, ok bool) {
	if !ok {
		n.probe("local_write_failed")
		return // without the local write the put can still reach W, or time out
	}
	n.ackPut(op, n.id)
}

func (n *Node) handlePutAck(from NodeID, m PutAck) {
	if op, ok := n.puts[m.Op]; ok {
		if !op.pl.contains(from) {
			n.stats.BadMessages++
			return
		}
		n.ackPut(op, from)
		return
	}
	if op, ok := n.gets[m.Op]; ok && op.writingBack {
		n.ackWriteBack(op, from)
	}
	// Otherwise answered already, or timed out.
}

func (n *Node) ackPut(op *putOp, from NodeID) {
	if indexOf(op.acked, from) >= 0 {
		return // a duplicated acknowledgement
	}
	op.acked = append(op.acked, from)
	if len(op.acked) < op.need {
		return
	}
	delete(n.puts, op.id)
	n.stats.Puts++
	n.observeLatency(op.start)
	n.reply(op.origin, Result{Coordinator: n.id})
}

func (n *Node) timeoutPut(op *putOp) {
	delete(n.puts, op.id)
	n.stats.Timeouts++
	n.probe("put_timeout")
	n.reply(op.origin, Result{Err: ErrTimeout, Coordinator: n.id})
}
