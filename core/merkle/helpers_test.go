package merkle

import (
	"crypto/md5"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"pgregory.net/rapid"
)

// digestOf makes a distinct, reproducible digest per integer, standing in
// for causality.Digest of a sibling set.
func digestOf(i int) Hash { return md5.Sum([]byte("digest-" + strconv.Itoa(i))) }

// build returns a tree holding want, inserted in sorted key order.
func build(p Params, want map[string]Hash) *Tree {
	t := New(p)
	for _, k := range slices.Sorted(maps.Keys(want)) {
		t.Set(k, want[k])
	}
	return t
}

// snapshot is every hash and bucket of a tree, for whole-tree equality.
type snapshot struct {
	Len      int
	Root     Hash
	Children [][]Hash
	Buckets  [][]KeyDigest
}

func snap(t *Tree) snapshot {
	s := snapshot{Len: t.Len(), Root: t.Root()}
	p := t.Params()
	for level := range p.Depth {
		for i := range p.Width(level) {
			s.Children = append(s.Children, t.Children(level, i))
		}
	}
	for i := range p.Buckets() {
		s.Buckets = append(s.Buckets, t.Bucket(i))
	}
	return s
}

// smallParams are shapes small enough to enumerate every node in a rapid
// check, and varied enough to catch level and offset arithmetic slips.
var smallParams = []Params{
	{Fanout: 2, Depth: 1},
	{Fanout: 2, Depth: 4},
	{Fanout: 4, Depth: 2},
	{Fanout: 8, Depth: 2},
	{Fanout: 16, Depth: 1},
	{Fanout: 4, Depth: 3},
}

// drawState draws a key -> digest map: a few short keys over a small
// alphabet (rapid shrinks these well, and they share buckets with noise)
// plus a bulk of numbered keys, so that most buckets of the small shapes
// hold several keys. Digests come from a small pool, so equal digests on
// different keys are common.
func drawState(t *rapid.T, label string) map[string]Hash {
	keys := rapid.SliceOfDistinct(rapid.StringMatching(`[a-d]{0,4}`), rapid.ID[string]).Draw(t, label+".keys")
	bulk := rapid.IntRange(0, 300).Draw(t, label+".bulk")
	out := make(map[string]Hash, len(keys)+bulk)
	for _, k := range keys {
		out[k] = digestOf(rapid.IntRange(0, 7).Draw(t, label+".d."+k))
	}
	for i := range bulk {
		out["bulk:"+strconv.Itoa(i)] = digestOf(i % 5)
	}
	return out
}

// bruteDiff compares two maps the obvious way.
func bruteDiff(a, b map[string]Hash) (onlyA, onlyB, differ []string) {
	for _, k := range slices.Sorted(maps.Keys(a)) {
		db, ok := b[k]
		switch {
		case !ok:
			onlyA = append(onlyA, k)
		case db != a[k]:
			differ = append(differ, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(b)) {
		if _, ok := a[k]; !ok {
			onlyB = append(onlyB, k)
		}
	}
	return onlyA, onlyB, differ
}

func numberedKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("cart:%d", i)
	}
	return keys
}
