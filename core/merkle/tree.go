package merkle

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dynamo-replay/dynamo/core/ring"
)

// Tree is the Merkle tree of one key range on one node. The node calls Set
// and Delete as its store changes and reads hashes when it runs an exchange.
// A Tree is not safe for concurrent use, like everything in core.
type Tree struct {
	p     Params
	shift uint // 64 - Depth*log2(Fanout): bucket = position.Lo >> shift
	n     int  // keys held

	// buckets holds only non-empty buckets (plus emptied ones awaiting the
	// next refresh). It is looked up, never ranged over.
	buckets map[uint32]*bucket
	// inner holds levels 0..Depth-1 back to back (see Params.offset); nil
	// while the tree is empty. stale marks the entries queued in dirty.
	inner []Hash
	stale []bool

	// dirtyBuckets lists buckets changed since the last refresh, each once;
	// dirty[l] does the same for inner level l during a refresh.
	dirtyBuckets []uint32
	dirty        [][]int

	scratch []byte // hashing buffer reused by every refresh
	kids    []Hash // Fanout children being hashed
}

// bucket is one leaf: its keys sorted by key, and their hash as of the last
// refresh unless stale.
type bucket struct {
	entries []KeyDigest
	hash    Hash
	stale   bool
}

// New returns an empty tree. It panics if p is invalid, because Params come
// from the node's config, which should be validated once at startup.
func New(p Params) *Tree {
	if err := p.Validate(); err != nil {
		panic(err)
	}
	return &Tree{p: p, shift: uint(64 - p.Depth*p.fanoutBits())}
}

// Params returns the shape the tree was built with.
func (t *Tree) Params() Params { return t.p }

// Len returns the number of keys in the tree.
func (t *Tree) Len() int { return t.n }

// BucketOf returns the bucket a key belongs to. It is the same on every node
// for the same Params, which is what lets trees compare bucket by bucket.
func (t *Tree) BucketOf(key string) int { return int(t.bucketIndex(key)) }

func (t *Tree) bucketIndex(key string) uint32 {
	return uint32(ring.HashKey(key).Lo >> t.shift)
}

// Set records key's current digest, inserting the key if it is new. Setting
// the digest a key already has changes nothing, so replaying a write does
// not dirty the tree. A zero digest is stored like any other: presence of a
// key is part of the hash, so it still differs from the key being absent.
func (t *Tree) Set(key string, digest Hash) {
	if t.inner == nil {
		t.alloc()
	}
	bi := t.bucketIndex(key)
	b := t.buckets[bi]
	if b == nil {
		b = &bucket{}
		t.buckets[bi] = b
	}
	i, found := b.search(key)
	if found {
		if b.entries[i].Digest == digest {
			return
		}
		b.entries[i].Digest = digest
	} else {
		b.entries = slices.Insert(b.entries, i, KeyDigest{Key: key, Digest: digest})
		t.n++
	}
	t.touch(bi, b)
}

// Delete removes key; deleting an absent key is a no-op. Removing the last
// key releases the tree's memory, so a range that empties out (for instance
// after handing its keys to a new owner) costs only the Tree struct.
func (t *Tree) Delete(key string) {
	if t.n == 0 {
		return
	}
	bi := t.bucketIndex(key)
	b := t.buckets[bi]
	if b == nil {
		return
	}
	i, found := b.search(key)
	if !found {
		return
	}
	b.entries = slices.Delete(b.entries, i, i+1)
	t.n--
	if t.n == 0 {
		t.release()
		return
	}
	t.touch(bi, b)
}

// Get returns key's digest and whether the tree holds it.
func (t *Tree) Get(key string) (Hash, bool) {
	if t.n == 0 {
		return Hash{}, false
	}
	b := t.buckets[t.bucketIndex(key)]
	if b == nil {
		return Hash{}, false
	}
	i, found := b.search(key)
	if !found {
		return Hash{}, false
	}
	return b.entries[i].Digest, true
}

// search finds key in the sorted entries, or where it would go.
func (b *bucket) search(key string) (int, bool) {
	return slices.BinarySearchFunc(b.entries, key, func(e KeyDigest, k string) int {
		return strings.Compare(e.Key, k)
	})
}

// touch queues a changed bucket for the next refresh, once.
func (t *Tree) touch(bi uint32, b *bucket) {
	if !b.stale {
		b.stale = true
		t.dirtyBuckets = append(t.dirtyBuckets, bi)
	}
}

// alloc builds the inner levels on the first key, so that empty trees (most
// ranges of a freshly joined node) stay small.
func (t *Tree) alloc() {
	size := t.p.innerSize()
	t.buckets = make(map[uint32]*bucket)
	t.inner = make([]Hash, size)
	t.stale = make([]bool, size)
	t.dirty = make([][]int, t.p.Depth)
	t.kids = make([]Hash, t.p.Fanout)
}

// release returns the tree to its empty state, dropping every allocation.
func (t *Tree) release() {
	if t.n != 0 {
		panic(fmt.Sprintf("merkle: release with %d keys", t.n))
	}
	*t = Tree{p: t.p, shift: t.shift}
}
