package core

// handlePutReq merges a coordinator's (or a read repairer's) sibling set and
// acknowledges once the merge is durable. The memory update comes first, so
// reads see the version at once; the acknowledgement rides on the Persist.
func (n *Node) handlePutReq(from NodeID, m PutReq) {
	if m.Op == 0 && n.cfg.Bugs.DropRepair {
		return
	}
	if m.Hinted && m.Hint != n.id {
		// A stand-in for a node believed down: keep it apart, with the hint.
		var then []Effect
		if m.Op != 0 {
			then = []Effect{&Send{To: from, Msg: PutAck{Op: m.Op}}}
		}
		n.storeHint(m.Key, m.Hint, m.Versions, then)
		return
	}
	local := n.store.get(m.Key)
	merged := n.mech.Merge(local, m.Versions)
	if n.cfg.Bugs.WrongMerge {
		merged = m.Versions
	}
	if !n.sameSet(local, merged) {
		n.setLocal(m.Key, merged)
	}
	if n.cfg.BufferedWrites && !m.Durable {
		n.buffer.mark(m.Key)
		if m.Op != 0 {
			n.send(from, PutAck{Op: m.Op})
		}
		n.maybeFlushFull()
		return
	}
	w := n.logKey(n.newOp(), m.Key)
	if m.Op != 0 {
		w.ack = Send{To: from, Msg: PutAck{Op: m.Op}}
		if n.cfg.Bugs.AckBeforePersist {
			n.emit(&w.ack)
		} else {
			w.then[0] = &w.ack
			w.p.Then = w.then[:]
		}
	}
	n.emit(&w.p)
}

// write is one log append with its record and its acknowledgement in a single
// allocation: a replica makes one for every put it stores.
type write struct {
	p    Persist
	rec  [1]Record
	then [1]Effect
	ack  Send
}

// logKey builds the log write of key's whole sibling set as the store holds it
// now. Logging whole sets, never just the versions that arrived, keeps a log
// complete at every record: if one write fails (a disk error) and a later one
// succeeds, the later record carries what the failed one held, so recovery
// never rebuilds a set that holds an actor's later dot without its earlier
// live ones, which a context derived from it would wrongly cover.
func (n *Node) logKey(token uint64, key string) *write {
	w := &write{}
	w.rec[0] = versionsRecord(key, n.store.get(key))
	w.p = Persist{Token: token, Records: w.rec[:]}
	return w
}

// logHint builds the log write of the whole hint held for (key, owner).
func (n *Node) logHint(token uint64, key string, owner NodeID) *write {
	w := &write{}
	var vs []Version
	if x, ok := n.hints.get(key, owner); ok {
		vs = x.versions
	}
	w.rec[0] = Record{Kind: RecordHint, Key: key, Owner: owner, Versions: vs}
	w.p = Persist{Token: token, Records: w.rec[:]}
	return w
}

// persistOrBuffer makes key's set durable and then runs then: through the log,
// or, with buffered writes and no durability asked for, through the object
// buffer, acknowledging from memory at once (section 6.1).
func (n *Node) persistOrBuffer(key string, durable bool, then []Effect) {
	if n.cfg.BufferedWrites && !durable {
		n.buffer.mark(key)
		n.out = append(n.out, then...)
		n.maybeFlushFull()
		return
	}
	if n.cfg.Bugs.AckBeforePersist {
		n.out = append(n.out, then...)
		then = nil
	}
	w := n.logKey(n.newOp(), key)
	w.p.Then = then
	n.emit(&w.p)
}

func (n *Node) sameSet(a, b []Version) bool {
	if len(a) != len(b) {
		return false
	}
	return causalitySameSet(a, b)
}

// setLocal replaces key's sibling set in this node's own store.
func (n *Node) setLocal(key string, versions []Version) {
	n.store.set(key, versions)
	n.noteChanged(key)
}
