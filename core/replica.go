package core

// handlePutReq merges a coordinator's (or a read repairer's) sibling set and
// acknowledges once the merge is durable. The memory update comes first, so
// reads see the version at once; the acknowledgement rides on the Persist.
func (n *Node) handlePutReq(from NodeID, m PutReq) {
	if m.Op == 0 && n.cfg.Bugs.DropRepair {
		return
	}
	local := n.store.get(m.Key)
	merged := n.mech.Merge(local, m.Versions)
	if n.cfg.Bugs.WrongMerge {
		merged = m.Versions
	}
	if !n.sameSet(local, merged) {
		n.store.set(m.Key, merged)
	}
	var then []Effect
	if m.Op != 0 {
		then = []Effect{&Send{To: from, Msg: PutAck{Op: m.Op}}}
	}
	n.persistOrBuffer(m.Key, m.Versions, m.Durable, then)
}

// persistOrBuffer makes versions durable and then runs then: through the log,
// or, with buffered writes and no durability asked for, through the object
// buffer, acknowledging from memory at once (section 6.1).
func (n *Node) persistOrBuffer(key string, versions []Version, durable bool, then []Effect) {
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
	n.emit(&Persist{Token: n.newOp(), Records: []Record{versionsRecord(key, versions)}, Then: then})
}

func (n *Node) sameSet(a, b []Version) bool {
	if len(a) != len(b) {
		return false
	}
	return causalitySameSet(a, b)
}
