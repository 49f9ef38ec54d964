package merkle

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEmptyTree(t *testing.T) {
	tr := New(DefaultParams())
	require.Equal(t, Hash{}, tr.Root())
	require.True(t, tr.Root().IsZero())
	require.Zero(t, tr.Len())
	require.Equal(t, make([]Hash, 16), tr.Children(0, 0))
	require.Equal(t, make([]Hash, 16), tr.Children(2, 255))
	require.Nil(t, tr.Bucket(4095))
	require.Equal(t, Hash{}, tr.HashAt(3, 17))
	_, ok := tr.Get("x")
	require.False(t, ok)
	// Nothing is allocated until the first key arrives.
	require.Nil(t, tr.inner)
	require.Nil(t, tr.buckets)
}

func TestDeleteAbsentIsNoop(t *testing.T) {
	tr := New(DefaultParams())
	tr.Delete("ghost")
	require.Zero(t, tr.Len())
	require.Nil(t, tr.inner, "deleting from an empty tree must not allocate it")

	tr.Set("a", digestOf(1))
	tr.Set("b", digestOf(2))
	root := tr.Root()
	tr.Delete("ghost")
	tr.Delete("")
	require.Equal(t, 2, tr.Len())
	require.Empty(t, tr.dirtyBuckets, "a no-op must not dirty the tree")
	require.Equal(t, root, tr.Root())
}

func TestSetSameDigestIsNoop(t *testing.T) {
	tr := New(DefaultParams())
	tr.Set("a", digestOf(1))
	root := tr.Root()
	tr.Set("a", digestOf(1))
	require.Empty(t, tr.dirtyBuckets)
	require.Equal(t, 1, tr.Len())
	require.Equal(t, root, tr.Root())
}

func TestSetGetDelete(t *testing.T) {
	tr := New(DefaultParams())
	tr.Set("a", digestOf(1))
	tr.Set("b", digestOf(2))
	tr.Set("a", digestOf(3))
	require.Equal(t, 2, tr.Len())
	d, ok := tr.Get("a")
	require.True(t, ok)
	require.Equal(t, digestOf(3), d)
	require.Equal(t, []KeyDigest{{"a", digestOf(3)}}, tr.Bucket(tr.BucketOf("a")))

	tr.Delete("a")
	_, ok = tr.Get("a")
	require.False(t, ok)
	require.Equal(t, 1, tr.Len())
	require.Equal(t, New(DefaultParams()).withKey("b", digestOf(2)).Root(), tr.Root())
}

func (t *Tree) withKey(key string, d Hash) *Tree {
	t.Set(key, d)
	return t
}

func TestDeletingLastKeyReleasesMemory(t *testing.T) {
	tr := New(DefaultParams())
	for _, k := range numberedKeys(100) {
		tr.Set(k, digestOf(len(k)))
	}
	require.NotZero(t, tr.Root())
	for _, k := range numberedKeys(100) {
		tr.Delete(k)
	}
	require.Zero(t, tr.Len())
	require.Equal(t, Hash{}, tr.Root())
	require.Equal(t, &Tree{p: tr.p, shift: tr.shift}, tr)
}

func TestEmptiedBucketHashesToZero(t *testing.T) {
	tr := New(Params{Fanout: 4, Depth: 2})
	tr.Set("keep", digestOf(1))
	tr.Set("gone", digestOf(2))
	tr.Root()
	tr.Delete("gone")
	bi := tr.BucketOf("gone")
	if bi != tr.BucketOf("keep") {
		require.Equal(t, Hash{}, tr.HashAt(2, bi))
		require.NotContains(t, tr.buckets, uint32(bi), "an emptied bucket leaves the map")
	}
	require.Nil(t, tr.Bucket(bi), "empty buckets read as nil before and after refresh")
	require.Equal(t, New(tr.p).withKey("keep", digestOf(1)).Root(), tr.Root())
}

// A key with a zero digest (causality.Digest of no siblings) is still a key:
// the tree must not confuse it with an absent one.
func TestZeroDigestKeyDiffersFromAbsent(t *testing.T) {
	tr := New(DefaultParams())
	tr.Set("k", Hash{})
	require.Equal(t, 1, tr.Len())
	require.NotEqual(t, Hash{}, tr.Root())
	d := Compare(tr, New(DefaultParams()))
	require.Equal(t, []string{"k"}, d.OnlyA)
}

// Every inner node's hash is what its parent lists for it, and a bucket's
// hash is the last level of that chain.
func TestChildrenAgreeWithHashAt(t *testing.T) {
	p := Params{Fanout: 4, Depth: 3}
	tr := New(p)
	for i, k := range numberedKeys(500) {
		tr.Set(k, digestOf(i))
	}
	for level := range p.Depth {
		for i := range p.Width(level) {
			kids := tr.Children(level, i)
			require.Len(t, kids, p.Fanout)
			for c, h := range kids {
				require.Equal(t, tr.HashAt(level+1, p.Child(i, c)), h)
			}
		}
	}
}

func TestAppendChildrenAppends(t *testing.T) {
	tr := New(DefaultParams())
	tr.Set("a", digestOf(1))
	buf := []Hash{digestOf(9)}
	buf = tr.AppendChildren(buf, 0, 0)
	require.Len(t, buf, 17)
	require.Equal(t, digestOf(9), buf[0])
	require.Equal(t, tr.Children(0, 0), buf[1:])
}

func TestOutOfRangeNodesPanic(t *testing.T) {
	tr := New(Params{Fanout: 4, Depth: 2})
	tr.Set("a", digestOf(1))
	require.Panics(t, func() { tr.Children(2, 0) }, "buckets have no children")
	require.Panics(t, func() { tr.Children(1, 4) })
	require.Panics(t, func() { tr.Children(-1, 0) })
	require.Panics(t, func() { tr.Children(0, 1) })
	require.Panics(t, func() { tr.Bucket(16) })
	require.Panics(t, func() { tr.Bucket(-1) })
	require.Panics(t, func() { tr.HashAt(3, 0) })
	require.NotPanics(t, func() { tr.Bucket(15) })
}

// TestRootIsPinned fixes the hash format: nodes running different builds
// must agree on every hash, so any change here is a wire-protocol change.
// The expected values were recomputed outside Go from the format documented
// in hash.go (bucket = low-word bits 63..52 of MD5(key); bucket hash =
// MD5("B" || uvarint(len key) || key || digest ...); inner hash =
// MD5("I" || children), zero when all children are zero).
func TestRootIsPinned(t *testing.T) {
	tr := New(DefaultParams())
	for i, k := range numberedKeys(1000) {
		tr.Set(k, digestOf(i))
	}
	require.Equal(t, 1000, tr.Len())
	require.Equal(t, "715d339be7c3a784d3b5fcea5997ace8", tr.Root().String())
	require.Equal(t, 694, tr.BucketOf("cart:0"))
}

func TestBucketIsACopy(t *testing.T) {
	tr := New(DefaultParams())
	tr.Set("a", digestOf(1))
	b := tr.Bucket(tr.BucketOf("a"))
	b[0].Digest = digestOf(2)
	d, _ := tr.Get("a")
	require.Equal(t, digestOf(1), d)
}
