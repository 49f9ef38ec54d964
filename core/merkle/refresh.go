package merkle

// refresh recomputes the hashes that Set and Delete left stale: first the
// changed buckets, then, level by level up to the root, only the inner nodes
// above them. Each stale node is hashed once however many keys changed
// under it, which is what makes a burst of writes cheap. The order of the
// dirty lists does not matter: nodes of one level depend only on the level
// below, which is complete before the level is started.
func (t *Tree) refresh() {
	if len(t.dirtyBuckets) == 0 {
		return
	}
	last := t.p.Depth - 1
	for _, bi := range t.dirtyBuckets {
		b := t.buckets[bi]
		b.stale = false
		if len(b.entries) == 0 {
			// An emptied bucket leaves the map; its hash reads as zero.
			delete(t.buckets, bi)
		} else {
			b.hash, t.scratch = hashBucket(t.scratch, b.entries)
		}
		t.markInner(last, int(bi)/t.p.Fanout)
	}
	t.dirtyBuckets = t.dirtyBuckets[:0]
	for level := last; level >= 0; level-- {
		base := t.p.offset(level)
		for _, i := range t.dirty[level] {
			t.stale[base+i] = false
			t.loadChildren(level, i, t.kids)
			t.inner[base+i], t.scratch = hashInner(t.scratch, t.kids)
			if level > 0 {
				t.markInner(level-1, i/t.p.Fanout)
			}
		}
		t.dirty[level] = t.dirty[level][:0]
	}
}

// markInner queues inner node (level, i) for rehashing, once.
func (t *Tree) markInner(level, i int) {
	k := t.p.offset(level) + i
	if !t.stale[k] {
		t.stale[k] = true
		t.dirty[level] = append(t.dirty[level], i)
	}
}

// loadChildren copies the current hashes of the Fanout children of inner
// node (level, i) into dst. The tree must be allocated; children at the
// bucket level come from the map, where an absent bucket reads as zero.
func (t *Tree) loadChildren(level, i int, dst []Hash) {
	first := t.p.Child(i, 0)
	if level+1 < t.p.Depth {
		base := t.p.offset(level + 1)
		copy(dst, t.inner[base+first:base+first+t.p.Fanout])
		return
	}
	for c := range dst {
		dst[c] = Hash{}
		if b := t.buckets[uint32(first+c)]; b != nil {
			dst[c] = b.hash
		}
	}
}
