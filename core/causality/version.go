package causality

import (
	"bytes"
	"cmp"
	"crypto/md5"
	"slices"
)

// Dot names one write event: the Counter-th write coordinated by Actor.
type Dot struct {
	Actor   Actor
	Counter uint64
}

func (d Dot) compare(e Dot) int {
	if c := cmp.Compare(d.Actor, e.Actor); c != 0 {
		return c
	}
	return cmp.Compare(d.Counter, e.Counter)
}

// Version is one immutable sibling of a key.
type Version struct {
	// Dot is the write event that created the version; unique per version in
	// every mode, so it is the version's identity.
	Dot Dot
	// Clock is, in dvv, the causal past this version supersedes (the
	// client's context); in vc, the version's full vector clock, its own
	// event included, with per-entry Wall; in lww, nil.
	Clock Clock
	// Wall is the coordinator's wall clock when it created the version (ns).
	Wall int64
	// Deleted marks a tombstone, which must live on as a sibling until it is
	// superseded, or a delete would be undone by a stale replica.
	Deleted bool
	Value   []byte
}

// compareVersions is a total order on version contents. It only breaks ties
// between copies of one Dot that differ, which takes corruption or a reused
// actor, so that Merge stays deterministic and commutative even then; it
// returns 0 exactly when the versions are interchangeable.
func compareVersions(a, b *Version) int {
	if c := a.Dot.compare(b.Dot); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Wall, b.Wall); c != 0 {
		return c
	}
	if a.Deleted != b.Deleted {
		if a.Deleted {
			return 1
		}
		return -1
	}
	if c := bytes.Compare(a.Value, b.Value); c != 0 {
		return c
	}
	return slices.CompareFunc(a.Clock, b.Clock, func(x, y Entry) int {
		if c := cmp.Compare(x.Actor, y.Actor); c != 0 {
			return c
		}
		if c := cmp.Compare(x.Counter, y.Counter); c != 0 {
			return c
		}
		return cmp.Compare(x.Wall, y.Wall)
	})
}

// SameSet reports whether a and b hold the same versions in the same order,
// judged by Dot, Deleted and Value: a Dot is a version's identity, and the
// other two are what a client would see. Give it canonical sets (as Merge
// returns) to ask whether two replicas agree.
func SameSet(a, b []Version) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Dot != b[i].Dot || a[i].Deleted != b[i].Deleted || !bytes.Equal(a[i].Value, b[i].Value) {
			return false
		}
	}
	return true
}

// Digest is an order-independent hash of a sibling set, meant for the leaves
// of anti-entropy Merkle trees: two replicas holding the same versions get the
// same digest whatever order they keep them in. It is the MD5 of the sorted
// MD5s of each version's binary encoding (every field, clocks with their
// Walls); MD5 because the paper already uses it for keys and a collision
// only costs a missed repair, not safety. The empty set digests to all
// zeros, which no non-empty set produces in practice.
func Digest(siblings []Version) [16]byte {
	if len(siblings) == 0 {
		return [16]byte{}
	}
	sums := make([][md5.Size]byte, len(siblings))
	var buf []byte
	for i := range siblings {
		buf = appendVersion(buf[:0], &siblings[i])
		sums[i] = md5.Sum(buf)
	}
	slices.SortFunc(sums, func(x, y [md5.Size]byte) int { return bytes.Compare(x[:], y[:]) })
	h := md5.New()
	for i := range sums {
		h.Write(sums[i][:])
	}
	var out [16]byte
	h.Sum(out[:0])
	return out
}
