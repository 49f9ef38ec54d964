package merkle

import (
	"testing"
)

// bigTree is a hashed tree of n numbered keys.
func bigTree(n int) (*Tree, []string) {
	tr := New(DefaultParams())
	keys := numberedKeys(n)
	for i, k := range keys {
		tr.Set(k, digestOf(i))
	}
	tr.Root()
	return tr, keys
}

// BenchmarkSet updates one key of a 100k-key tree: the per-write cost a node
// pays to keep its tree current (an MD5 of the key and a sorted insert; no
// hashing of the tree).
func BenchmarkSet(b *testing.B) {
	tr, keys := bigTree(100_000)
	digests := [2]Hash{digestOf(-1), digestOf(-2)}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		tr.Set(keys[i%len(keys)], digests[(i/len(keys))%2])
		i++
	}
}

// BenchmarkRootAfter1kSets measures a burst of 1000 writes to a 100k-key
// tree followed by one Root: the lazy refresh rehashes each touched bucket
// and inner node once.
func BenchmarkRootAfter1kSets(b *testing.B) {
	tr, keys := bigTree(100_000)
	b.ReportAllocs()
	round := 0
	for b.Loop() {
		round++
		d := digestOf(round)
		for j := range 1000 {
			tr.Set(keys[(round*7919+j*97)%len(keys)], d)
		}
		if tr.Root().IsZero() {
			b.Fatal("zero root")
		}
	}
}

// BenchmarkExchange simulates the exchange between two 100k-key replicas
// that differ in 10 keys, and reports what it would put on the wire.
func BenchmarkExchange(b *testing.B) {
	a, t, _ := twoLargeTrees(100_000, 10)
	var st Stats
	b.ReportAllocs()
	for b.Loop() {
		st = Exchange(a, t)
	}
	if st.KeysDiffering != 10 {
		b.Fatalf("found %d differing keys", st.KeysDiffering)
	}
	b.ReportMetric(float64(st.BytesEstimate), "wire-bytes")
	b.ReportMetric(float64(st.HashesSent), "hashes")
	b.ReportMetric(float64(st.KeysCompared), "keys-compared")
}
