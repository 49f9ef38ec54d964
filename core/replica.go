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
	w := &write{}
	w.rec[0] = versionsRecord(m.Key, m.Versions)
	w.p = Persist{Token: n.newOp(), Records: w.rec[:]}
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
	one  [1]Version
	then [1]Effect
	ack  Send
}

// newWrite builds a write of the single version v of key.
func newWrite(token uint64, key string, v Version, then []Effect) *write {
	w := &write{}
	w.one[0] = v
	w.rec[0] = versionsRecord(key, w.one[:])
	w.p = Persist{Token: token, Records: w.rec[:], Then: then}
	return w
}

func (w *write) persist() *Persist { return &w.p }

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
	w := &write{}
	w.rec[0] = versionsRecord(key, versions)
	w.p = Persist{Token: n.newOp(), Records: w.rec[:], Then: then}
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
