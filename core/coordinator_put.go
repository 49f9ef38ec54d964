package core

// putOp is the state machine of one put or delete (section 4.5): create the new
// version, write it locally, send the whole sibling set to the other N-1
// replicas, and answer once W writes (the local one included) are durable.
type putOp struct {
	id       uint64
	origin   origin
	key      string
	need     int
	replicas []NodeID
	acked    []NodeID
}

// startPut starts a put or delete; pref is the key's top N.
func (n *Node) startPut(o origin, req Op, ctx Context, pref []NodeID) {
	if !n.ready {
		n.reply(o, Result{Err: ErrUnavailable})
		return
	}
	local := n.store.get(req.Key)
	v := n.mech.NewVersion(local, ctx.Clock, n.actor, int64(n.now.Wall), req.Value, req.Kind == OpDelete)
	merged := n.mech.Merge(local, []Version{v})
	n.store.set(req.Key, merged)

	op := &putOp{
		id:       n.newOp(),
		origin:   o,
		key:      req.Key,
		need:     n.quorum(req.W, n.cfg.W),
		replicas: append([]NodeID(nil), pref...),
		acked:    make([]NodeID, 0, n.cfg.N),
	}
	n.puts[op.id] = op
	n.timers.push(n.now.Mono+n.cfg.RequestTimeout, timerRequest, op.id)

	// With buffered writes one replica, chosen at random so that the cost of
	// durability spreads over the top N, writes to disk before acknowledging.
	durable := NodeID(0)
	if n.cfg.BufferedWrites {
		durable = op.replicas[n.cfg.Rand.IntN(len(op.replicas))]
	}
	for _, r := range op.replicas {
		if r != n.id {
			n.send(r, PutReq{Op: op.id, Key: req.Key, Versions: merged, Durable: n.cfg.BufferedWrites && r == durable})
		}
	}
	switch {
	case n.cfg.BufferedWrites && durable != n.id:
		n.buffer.mark(req.Key)
		n.maybeFlushFull()
		n.ackPut(op, n.id)
	case n.cfg.Bugs.AckBeforePersist:
		n.emit(newWrite(n.newOp(), req.Key, v, nil).persist())
		n.ackPut(op, n.id)
	default:
		w := newWrite(op.id, req.Key, v, nil)
		w.p.Notify = true
		n.emit(w.persist())
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
	op, ok := n.puts[m.Op]
	if !ok {
		return // answered already, or timed out
	}
	if indexOf(op.replicas, from) < 0 {
		n.stats.BadMessages++
		return
	}
	n.ackPut(op, from)
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
	n.reply(op.origin, Result{Coordinator: n.id})
}

func (n *Node) timeoutPut(op *putOp) {
	delete(n.puts, op.id)
	n.stats.Timeouts++
	n.probe("put_timeout")
	n.reply(op.origin, Result{Err: ErrTimeout, Coordinator: n.id})
}
