package core

import "github.com/google/btree"

// hint is a replica a fallback node keeps for a top-N node believed down
// (section 4.6), in a store separate from its own data.
type hint struct {
	key      string
	owner    NodeID
	versions []Version
}

func hintLess(a, b *hint) bool {
	if a.key != b.key {
		return a.key < b.key
	}
	return a.owner < b.owner
}

// hintStore holds hints ordered by (key, owner): reads find a key's hints with
// one range scan, and the delivery scan walks them in a deterministic order.
type hintStore struct {
	tree  *btree.BTreeG[*hint]
	probe hint
}

func newHintStore() *hintStore {
	return &hintStore{tree: btree.NewG[*hint](16, hintLess)}
}

func (h *hintStore) get(key string, owner NodeID) (*hint, bool) {
	h.probe = hint{key: key, owner: owner}
	x, ok := h.tree.Get(&h.probe)
	h.probe.key = ""
	return x, ok
}

// forKey returns the merge of every hint held for key.
func (n *Node) hintedVersions(key string) []Version {
	if n.hints.tree.Len() == 0 {
		return nil
	}
	var out []Version
	n.hints.tree.AscendGreaterOrEqual(&hint{key: key}, func(x *hint) bool {
		if x.key != key {
			return false
		}
		out = n.mech.Merge(out, x.versions)
		return true
	})
	return out
}

// localVersions is everything this node holds for key: its own replica and
// any hints.
func (n *Node) localVersions(key string) []Version {
	own := n.store.get(key)
	if hinted := n.hintedVersions(key); hinted != nil {
		return n.mech.Merge(own, hinted)
	}
	return own
}

// mergeHint merges versions into the hint for (key, owner) in memory and
// returns whether anything changed.
func (n *Node) mergeHint(key string, owner NodeID, versions []Version) bool {
	if x, ok := n.hints.get(key, owner); ok {
		merged := n.mech.Merge(x.versions, versions)
		if n.sameSet(merged, x.versions) {
			return false
		}
		x.versions = merged
		return true
	}
	n.hints.tree.ReplaceOrInsert(&hint{key: key, owner: owner, versions: versions})
	return true
}

// storeHint keeps versions for owner durably, then runs then (the
// acknowledgement to the coordinator).
func (n *Node) storeHint(key string, owner NodeID, versions []Version, then []Effect) {
	n.countHint(key, owner)
	n.mergeHint(key, owner, versions)
	w := n.logHint(n.newOp(), key, owner)
	w.p.Then = then
	n.emit(&w.p)
}

// handoffOp is one hint on its way to its owner.
type handoffOp struct {
	key      string
	owner    NodeID
	versions []Version
}

// deliverHints scans the hint store and offers up to HintBatch hints to owners
// believed up (section 4.6: "scanned periodically"). A hint is deleted only
// when its owner confirms it durable, and only if it did not change meanwhile.
func (n *Node) deliverHints() {
	if n.hints.tree.Len() == 0 {
		return
	}
	if !n.admit() {
		return
	}
	budget := n.cfg.HintBatch
	var early, orphans []*hint
	n.hints.tree.Ascend(func(x *hint) bool {
		if budget == 0 {
			return false
		}
		if n.ownerGone(x.owner) {
			orphans = append(orphans, x)
			return true
		}
		if !n.healthy(x.owner) || n.handoffPending(x) {
			return true
		}
		budget--
		n.pendingHandoff[hintKey{x.key, x.owner}] = true
		id := n.newOp()
		n.handoffs[id] = &handoffOp{key: x.key, owner: x.owner, versions: x.versions}
		n.timers.push(n.now.Mono+n.cfg.RequestTimeout, timerRequest, id)
		n.sendExpectingReply(x.owner, HandoffReq{Op: id, Key: x.key, Versions: x.versions})
		if n.cfg.Bugs.HintDeleteEarly {
			early = append(early, x)
		}
		return true
	})
	for _, x := range early {
		n.deleteHint(x)
	}
	for _, x := range orphans {
		n.readdressHint(x)
	}
}

// ownerGone reports whether a hint's owner left the ring: handing the replica
// to it would leave the key one replica short for good.
func (n *Node) ownerGone(owner NodeID) bool {
	m, ok := n.members.Member(owner)
	return ok && (m.Status == StatusLeft || m.Status == StatusLeaving)
}

// readdressHint gives a hint whose owner left to the key's current owners:
// kept as hints for them (or merged here, if this node is one), and deleted
// under the old owner only once those are logged.
func (n *Node) readdressHint(x *hint) {
	if n.curRing == nil {
		return
	}
	n.probe("hint_readdressed")
	pref := n.preference(x.key)
	for _, owner := range pref[:min(n.cfg.N, len(pref))] {
		if owner == n.id {
			n.applyRepairLocally(x.key, x.versions, 0, false)
			continue
		}
		n.storeHint(x.key, owner, x.versions, nil)
	}
	n.deleteHint(x)
}

// handoffPending reports whether this exact hint is already on its way.
func (n *Node) handoffPending(x *hint) bool {
	return n.pendingHandoff[hintKey{x.key, x.owner}]
}

type hintKey struct {
	key   string
	owner NodeID
}

func (n *Node) handleHandoffReq(from NodeID, m HandoffReq) {
	local := n.store.get(m.Key)
	merged := n.mech.Merge(local, m.Versions)
	if !n.sameSet(local, merged) {
		n.store.set(m.Key, merged)
		n.noteChanged(m.Key)
	}
	w := n.logKey(n.newOp(), m.Key)
	w.ack = Send{To: from, Msg: HandoffAck{Op: m.Op}}
	w.then[0] = &w.ack
	w.p.Then = w.then[:]
	n.emit(&w.p)
}

func (n *Node) handleHandoffAck(m HandoffAck) {
	op, ok := n.handoffs[m.Op]
	if !ok {
		return
	}
	delete(n.handoffs, m.Op)
	delete(n.pendingHandoff, hintKey{op.key, op.owner})
	x, ok := n.hints.get(op.key, op.owner)
	if !ok || !n.sameSet(x.versions, op.versions) {
		return // deleted already, or new versions arrived: they go next round
	}
	n.stats.HintsDelivered++
	n.probe("hint_delivered")
	n.deleteHint(x)
}

func (n *Node) deleteHint(x *hint) {
	n.hints.tree.Delete(x)
	n.emit(&Persist{Token: n.newOp(), Records: []Record{{Kind: RecordHintDelete, Key: x.key, Owner: x.owner}}})
}

// countHint counts a hint created live (not replayed from the log).
func (n *Node) countHint(key string, owner NodeID) {
	if _, ok := n.hints.get(key, owner); !ok {
		n.stats.HintsStored++
		n.probe("hint_stored")
	}
}
