package merkle

import (
	"fmt"
	"slices"
)

// Root returns the hash of the whole tree, zero when it holds no keys. Two
// replicas of a range with equal roots need no synchronization.
func (t *Tree) Root() Hash { return t.HashAt(0, 0) }

// HashAt returns the hash of node (level, index), where level 0 is the root
// and level Depth the buckets. It panics on a node outside the tree; check
// indexes from a peer with Params.Width first.
func (t *Tree) HashAt(level, index int) Hash {
	t.checkNode(level, index)
	if t.n == 0 {
		return Hash{}
	}
	t.refresh()
	if level == t.p.Depth {
		if b := t.buckets[uint32(index)]; b != nil {
			return b.hash
		}
		return Hash{}
	}
	return t.inner[t.p.offset(level)+index]
}

// Children returns, in child order, the Fanout hashes under inner node
// (level, index), 0 <= level < Depth: what a node sends its peer so that the
// peer can run DiffChildren against its own. Child c is node
// (level+1, Params.Child(index, c)). The slice is fresh, for a message to
// own. It panics on a node outside the inner levels.
func (t *Tree) Children(level, index int) []Hash {
	return t.AppendChildren(nil, level, index)
}

// AppendChildren is Children appending to dst, for callers that batch many
// nodes into one message without a slice per node.
func (t *Tree) AppendChildren(dst []Hash, level, index int) []Hash {
	if level >= t.p.Depth {
		panic(fmt.Sprintf("merkle: Children of level %d: buckets (level %d) have no children", level, t.p.Depth))
	}
	t.checkNode(level, index)
	start := len(dst)
	dst = slices.Grow(dst, t.p.Fanout)[:start+t.p.Fanout]
	if t.n == 0 {
		clear(dst[start:])
		return dst
	}
	t.refresh()
	t.loadChildren(level, index, dst[start:])
	return dst
}

// Bucket returns the keys and digests of leaf bucket index, sorted by key:
// what a node sends at the bottom of an exchange, and the argument order
// DiffBucket expects. The slice is a fresh copy. It panics on an index
// outside [0, Params.Buckets()).
func (t *Tree) Bucket(index int) []KeyDigest {
	t.checkNode(t.p.Depth, index)
	if t.n == 0 {
		return nil
	}
	if b := t.buckets[uint32(index)]; b != nil && len(b.entries) > 0 {
		return slices.Clone(b.entries)
	}
	return nil
}

// checkNode panics unless (level, index) names a node of the tree. Indexes
// reach here from peers' messages, so the node must vet them first; a bad
// one here is a bug in the caller, not bad input.
func (t *Tree) checkNode(level, index int) {
	if level < 0 || level > t.p.Depth || index < 0 || index >= t.p.Width(level) {
		panic(fmt.Sprintf("merkle: node (%d, %d) outside a tree of depth %d and fanout %d",
			level, index, t.p.Depth, t.p.Fanout))
	}
}
