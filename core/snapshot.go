package core

// Snapshot returns records that rebuild the node's durable state when replayed
// alone: its incarnation, its membership table, one versions record per stored
// key and one hint record per hint. A driver hands them to a log compaction,
// in the same Step gap in which it takes them, so that they subsume every
// record the node asked to persist before.
//
// The records share the node's version slices, which are never mutated in
// place, so the driver may encode them on another goroutine while the node
// goes on. Buffered writes not yet flushed are included: a snapshot may make
// data durable early, never late.
func (n *Node) Snapshot() []Record {
	out := make([]Record, 0, 2+n.store.len()+n.hints.tree.Len())
	out = append(out, Record{Kind: RecordIncarnation, Incarnation: n.incarnation})
	if len(n.members.Members) > 0 || len(n.members.Tokens) > 0 {
		out = append(out, Record{Kind: RecordMembership, Membership: n.members})
	}
	n.store.ascend(func(key string, vs []Version) bool {
		out = append(out, Record{Kind: RecordVersions, Key: key, Versions: vs})
		return true
	})
	n.hints.tree.Ascend(func(h *hint) bool {
		out = append(out, Record{Kind: RecordHint, Key: h.key, Owner: h.owner, Versions: h.versions})
		return true
	})
	return out
}
