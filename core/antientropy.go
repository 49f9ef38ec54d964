package core

import (
	"github.com/dynamo-replay/dynamo/core/causality"
	"github.com/dynamo-replay/dynamo/core/merkle"
	"github.com/dynamo-replay/dynamo/core/ring"
)

// Anti-entropy (section 4.7): a Merkle tree per key range, over the node's own
// store. Periodically a node sends a peer the roots of the ranges both host;
// the two then take turns descending only where hashes differ, down to the
// buckets, where each side pushes the keys the other lacks or holds
// differently. Trees are brought up to date lazily: a write only marks its key
// dirty, and the dirty keys are hashed when an exchange needs the trees.

// AERoots opens an exchange: the roots of the ranges both nodes host.
type AERoots struct {
	Op     uint64
	Epoch  uint64
	Ranges []uint32
	Roots  []merkle.Hash
}

// AENode is the sender's hashes of the children of inner node (Level, Index)
// of range Range's tree.
type AENode struct {
	Range  uint32
	Index  int
	Hashes []merkle.Hash
}

// AENodes carries one level of an exchange's descent.
type AENodes struct {
	Op    uint64
	Epoch uint64
	Level int
	Items []AENode
}

// AEBucket is the sender's key digests in one bucket of one range.
type AEBucket struct {
	Range uint32
	Index int
	Keys  []merkle.KeyDigest
}

// AEBuckets ends a descent: the buckets whose hashes differ.
type AEBuckets struct {
	Op    uint64
	Epoch uint64
	Items []AEBucket
}

// AEPull asks the peer to push its versions of these keys.
type AEPull struct {
	Keys []string
}

func (AERoots) isMessage()   {}
func (AENodes) isMessage()   {}
func (AEBuckets) isMessage() {}
func (AEPull) isMessage()    {}

// antiEntropy is a node's Merkle state.
type antiEntropy struct {
	params   merkle.Params
	trees    map[int]*merkle.Tree // by range index; lookups only
	dirty    []string
	isDirty  map[string]bool // lookups only; order lives in dirty
	rebuild  bool            // every key is dirty: after boot or a change of ranges
	rounds   uint64
	turn     uint64 // which peer is next, round-robin
	rangeBuf []NodeID
}

func (a *antiEntropy) init(p merkle.Params) {
	a.params = p
	a.trees = make(map[int]*merkle.Tree)
	a.isDirty = make(map[string]bool)
	a.rebuild = true
}

// noteChanged marks key dirty after its sibling set changed in the store.
func (n *Node) noteChanged(key string) {
	a := &n.ae
	if a.rebuild || a.isDirty[key] {
		return
	}
	a.isDirty[key] = true
	a.dirty = append(a.dirty, key)
}

func (n *Node) tree(rng int) *merkle.Tree {
	t, ok := n.ae.trees[rng]
	if !ok {
		t = merkle.New(n.ae.params)
		n.ae.trees[rng] = t
	}
	return t
}

// refreshTrees hashes every dirty key into its range's tree.
func (n *Node) refreshTrees() {
	a := &n.ae
	if n.curRing == nil {
		return
	}
	update := func(key string, versions []Version) {
		t := n.tree(n.curRing.RangeIndex(ring.HashKey(key)))
		if len(versions) == 0 {
			t.Delete(key)
			return
		}
		t.Set(key, merkle.Hash(causality.Digest(versions)))
	}
	if a.rebuild {
		a.rebuild = false
		a.trees = make(map[int]*merkle.Tree)
		n.store.ascend(func(key string, versions []Version) bool {
			update(key, versions)
			return true
		})
	} else {
		for _, key := range a.dirty {
			update(key, n.store.get(key))
		}
	}
	// Every key marked dirty is now hashed, the rebuild's included: a mark
	// left behind would make noteChanged skip the key for good.
	for _, key := range a.dirty {
		delete(a.isDirty, key)
	}
	a.dirty = a.dirty[:0]
}

// hosts reports whether both nodes are among the first N of range i.
func (n *Node) hostsBoth(i int, a, b NodeID) bool {
	n.ae.rangeBuf = n.curRing.RangePreference(i, n.ae.rangeBuf)
	top := n.ae.rangeBuf[:min(n.cfg.N, len(n.ae.rangeBuf))]
	return indexOf(top, a) >= 0 && indexOf(top, b) >= 0
}

// antiEntropyRound opens an exchange with the next healthy peer in turn:
// cycling through the peers, rather than drawing one at random, bounds the time
// until every pair has compared its trees by one pass over the ring.
func (n *Node) antiEntropyRound() {
	if n.curRing == nil || !n.admit() {
		return
	}
	var peers []NodeID
	for _, id := range n.curRing.Nodes() {
		if id != n.id && n.healthy(id) {
			peers = append(peers, id)
		}
	}
	if len(peers) == 0 {
		return
	}
	n.ae.turn++
	peer := peers[int(n.ae.turn%uint64(len(peers)))]
	n.refreshTrees()
	m := AERoots{Op: n.newOp(), Epoch: n.epoch}
	for i := 0; i < n.curRing.NumRanges(); i++ {
		if n.cfg.Bugs.AESkipRange && i == 0 {
			continue
		}
		if n.hostsBoth(i, n.id, peer) {
			m.Ranges = append(m.Ranges, uint32(i))
			m.Roots = append(m.Roots, n.tree(i).Root())
		}
	}
	if len(m.Ranges) == 0 {
		return
	}
	n.ae.rounds++
	n.stats.AEExchanges++
	n.stats.AEBytes += uint64(16 + 20*len(m.Ranges))
	n.probe("ae_exchange")
	// A peer whose trees agree answers nothing: a plain send, so that its
	// silence does not count against it.
	n.send(peer, m)
}

func (n *Node) validRange(r uint32) bool { return n.curRing != nil && int(r) < n.curRing.NumRanges() }

func (n *Node) handleAERoots(from NodeID, m AERoots) {
	if m.Epoch != n.epoch || len(m.Ranges) != len(m.Roots) {
		return // another view of the ring: its ranges mean other keys
	}
	n.refreshTrees()
	reply := AENodes{Op: m.Op, Epoch: n.epoch, Level: 0}
	for i, r := range m.Ranges {
		if !n.validRange(r) {
			n.stats.BadMessages++
			return
		}
		t := n.tree(int(r))
		if t.Root() == m.Roots[i] {
			continue
		}
		reply.Items = append(reply.Items, AENode{Range: r, Index: 0, Hashes: t.Children(0, 0)})
	}
	n.sendAENodes(from, reply)
}

func (n *Node) sendAENodes(to NodeID, m AENodes) {
	if len(m.Items) == 0 {
		return
	}
	for _, it := range m.Items {
		n.stats.AEBytes += uint64(8 + 16*len(it.Hashes))
	}
	n.send(to, m)
}

// handleAENodes compares the peer's children hashes with ours and goes one
// level down where they differ: to the next inner level, or to the buckets.
func (n *Node) handleAENodes(from NodeID, m AENodes) {
	p := n.ae.params
	if m.Epoch != n.epoch || m.Level < 0 || m.Level >= p.Depth {
		return
	}
	n.refreshTrees()
	down := AENodes{Op: m.Op, Epoch: n.epoch, Level: m.Level + 1}
	buckets := AEBuckets{Op: m.Op, Epoch: n.epoch}
	for _, it := range m.Items {
		if !n.validRange(it.Range) || it.Index < 0 || it.Index >= p.Width(m.Level) || len(it.Hashes) != p.Fanout {
			n.stats.BadMessages++
			return
		}
		t := n.tree(int(it.Range))
		for _, c := range merkle.DiffChildren(t.Children(m.Level, it.Index), it.Hashes) {
			child := p.Child(it.Index, c)
			if m.Level+1 == p.Depth {
				buckets.Items = append(buckets.Items, AEBucket{Range: it.Range, Index: child, Keys: t.Bucket(child)})
				continue
			}
			down.Items = append(down.Items, AENode{Range: it.Range, Index: child, Hashes: t.Children(m.Level+1, child)})
		}
	}
	n.sendAENodes(from, down)
	if len(buckets.Items) > 0 {
		for _, b := range buckets.Items {
			n.stats.AEBytes += uint64(8 + 24*len(b.Keys))
		}
		n.send(from, buckets)
	}
}

// handleAEBuckets finds the keys that really differ and moves them both ways:
// a digest cannot tell which side is newer, and merging is safe either way.
func (n *Node) handleAEBuckets(from NodeID, m AEBuckets) {
	if m.Epoch != n.epoch {
		return
	}
	n.refreshTrees()
	var pull []string
	for _, b := range m.Items {
		if !n.validRange(b.Range) || b.Index < 0 || b.Index >= n.ae.params.Buckets() {
			n.stats.BadMessages++
			return
		}
		mine, theirs, differ := merkle.DiffBucket(n.tree(int(b.Range)).Bucket(b.Index), b.Keys)
		n.stats.AEKeysDiffered += uint64(len(mine) + len(theirs) + len(differ))
		for _, k := range append(mine, differ...) {
			n.pushKey(from, k)
		}
		pull = append(pull, theirs...)
		pull = append(pull, differ...)
	}
	if len(pull) > 0 {
		n.send(from, AEPull{Keys: pull})
	}
}

func (n *Node) handleAEPull(from NodeID, m AEPull) {
	for _, k := range m.Keys {
		n.pushKey(from, k)
	}
}

func (n *Node) pushKey(to NodeID, key string) {
	vs := n.store.get(key)
	if len(vs) == 0 {
		return
	}
	n.stats.AEKeysMoved++
	n.probe("ae_moved_keys")
	n.send(to, PutReq{Key: key, Versions: vs})
}
