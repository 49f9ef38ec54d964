package merkle

import (
	"maps"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// Two trees holding the same (key, digest) set agree on every hash and
// bucket, however they got there: different insertion orders, stale
// digests overwritten, keys deleted and re-added, noise keys that come and
// go, and hashes read half-way (which exercises the lazy recompute).
func TestOrderIndependence(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := rapid.SampledFrom(smallParams).Draw(t, "params")
		want := drawState(t, "state")
		reference := build(p, want)

		keys := slices.Sorted(maps.Keys(want))
		perm := rapid.Permutation(keys).Draw(t, "order")
		tr := New(p)
		var noise []string
		for i, k := range perm {
			switch rapid.IntRange(0, 4).Draw(t, "op") {
			case 0:
				tr.Set(k, want[k])
			case 1: // a stale digest first, then the current one
				tr.Set(k, digestOf(100+i))
				tr.Set(k, want[k])
			case 2: // insert, delete, insert again
				tr.Set(k, want[k])
				tr.Delete(k)
				tr.Set(k, want[k])
			case 3: // a key that must be gone by the end
				n := "~" + k + strconv.Itoa(i)
				noise = append(noise, n)
				tr.Set(n, digestOf(i))
				tr.Set(k, want[k])
			case 4: // deleting what is not there changes nothing
				tr.Delete("~absent")
				tr.Set(k, want[k])
			}
			if rapid.Bool().Draw(t, "peek") {
				tr.Root()
			}
		}
		for _, n := range rapid.Permutation(noise).Draw(t, "noiseOrder") {
			tr.Delete(n)
		}
		require.Equal(t, snap(reference), snap(tr))
		for _, k := range keys {
			d, ok := tr.Get(k)
			require.True(t, ok)
			require.Equal(t, want[k], d)
		}
	})
}

// Any single change to the key set shows at the root, and undoing it
// restores the root exactly.
func TestSingleChangeChangesRoot(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := rapid.SampledFrom(append(smallParams, DefaultParams())).Draw(t, "params")
		want := drawState(t, "state")
		tr := build(p, want)
		before := tr.Root()

		keys := slices.Sorted(maps.Keys(want))
		if len(keys) == 0 {
			tr.Set("new", digestOf(0))
			require.NotEqual(t, before, tr.Root())
			tr.Delete("new")
			require.Equal(t, before, tr.Root())
			return
		}
		k := rapid.SampledFrom(keys).Draw(t, "key")
		old := want[k]
		next := digestOf(rapid.IntRange(8, 20).Draw(t, "digest"))
		tr.Set(k, next)
		require.NotEqual(t, before, tr.Root(), "digest change of %q", k)
		tr.Set(k, old)
		require.Equal(t, before, tr.Root())

		tr.Delete(k)
		require.NotEqual(t, before, tr.Root(), "delete of %q", k)
		tr.Set(k, old)
		require.Equal(t, before, tr.Root())
	})
}

// Compare finds exactly the keys a brute-force diff finds, and its cost
// counters match what the protocol must send for those keys.
func TestCompareMatchesBruteForce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := rapid.SampledFrom(append(smallParams, DefaultParams())).Draw(t, "params")
		a := drawState(t, "a")
		b := maps.Clone(a)
		// Perturb b: change, drop and add keys, and sometimes nothing.
		for _, k := range slices.Sorted(maps.Keys(a)) {
			switch rapid.IntRange(0, 9).Draw(t, "fate") {
			case 0:
				b[k] = digestOf(rapid.IntRange(0, 9).Draw(t, "newDigest"))
			case 1:
				delete(b, k)
			}
		}
		for _, k := range rapid.SliceOf(rapid.StringMatching(`[c-f]{0,3}`)).Draw(t, "extra") {
			b[k] = digestOf(3)
		}
		ta, tb := build(p, a), build(p, b)
		d := Compare(ta, tb)

		onlyA, onlyB, differ := bruteDiff(a, b)
		require.Equal(t, onlyA, d.OnlyA)
		require.Equal(t, onlyB, d.OnlyB)
		require.Equal(t, differ, d.Differ)
		require.Equal(t, expectedStats(p, ta, tb, a, b), withoutBytes(d.Stats))

		// The exchange is symmetric up to which side is "A".
		r := Compare(tb, ta)
		require.Equal(t, d.OnlyA, r.OnlyB)
		require.Equal(t, d.OnlyB, r.OnlyA)
		require.Equal(t, d.Differ, r.Differ)
		require.Equal(t, withoutBytes(d.Stats), withoutBytes(r.Stats))
	})
}

// expectedStats counts, from the maps alone, what the protocol must send:
// every ancestor of a bucket holding a differing key differs, and exactly
// those nodes have their children sent.
func expectedStats(p Params, ta, tb *Tree, a, b map[string]Hash) Stats {
	onlyA, onlyB, differ := bruteDiff(a, b)
	diffKeys := slices.Concat(onlyA, onlyB, differ)
	if len(diffKeys) == 0 {
		return Stats{Rounds: 1, HashesSent: 1}
	}
	bits := p.fanoutBits()
	st := Stats{Rounds: p.Depth + 2, HashesSent: 1, KeysDiffering: len(diffKeys)}
	for level := range p.Depth {
		nodes := map[int]bool{}
		for _, k := range diffKeys {
			nodes[ta.BucketOf(k)>>((p.Depth-level)*bits)] = true
		}
		st.HashesSent += len(nodes) * p.Fanout
	}
	buckets := map[int]bool{}
	for _, k := range diffKeys {
		buckets[ta.BucketOf(k)] = true
	}
	st.BucketsCompared = len(buckets)
	union := maps.Clone(a)
	maps.Copy(union, b)
	for k := range union {
		if buckets[tb.BucketOf(k)] {
			st.KeysCompared++
		}
	}
	return st
}

func withoutBytes(s Stats) Stats {
	s.BytesEstimate = 0
	return s
}

// With thousands of keys and a handful of differences, the exchange looks
// at a few buckets' keys, not the whole range.
func TestCompareIsCheapWhenFewKeysDiffer(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1000, 3000).Draw(t, "n")
		offset := rapid.IntRange(0, 1<<20).Draw(t, "offset")
		a := make(map[string]Hash, n)
		for i := range n {
			a["user:"+strconv.Itoa(offset+i)] = digestOf(i)
		}
		b := maps.Clone(a)
		keys := slices.Sorted(maps.Keys(a))
		changed := rapid.SliceOfNDistinct(rapid.SampledFrom(keys), 1, 5, rapid.ID[string]).Draw(t, "changed")
		for _, k := range changed {
			b[k] = digestOf(-1)
		}
		d := Compare(build(DefaultParams(), a), build(DefaultParams(), b))
		require.Equal(t, sortedCopy(changed), d.Differ)
		require.Equal(t, len(changed), d.Stats.KeysDiffering)
		require.GreaterOrEqual(t, d.Stats.KeysCompared, len(changed))
		require.Less(t, d.Stats.KeysCompared*10, n, "compared %d of %d keys", d.Stats.KeysCompared, n)
		// Hashes: the root, one Children list at level 0, at most one per
		// changed key at each level below.
		require.LessOrEqual(t, d.Stats.HashesSent, 1+16+2*16*len(changed))
	})
}

func sortedCopy(s []string) []string {
	return slices.Sorted(slices.Values(s))
}

// Equal trees, of any size and shape, settle in one message of one hash.
func TestExchangeOfEqualTrees(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := rapid.SampledFrom(append(smallParams, DefaultParams())).Draw(t, "params")
		want := drawState(t, "state")
		a, b := build(p, want), New(p)
		for _, k := range rapid.Permutation(slices.Sorted(maps.Keys(want))).Draw(t, "order") {
			b.Set(k, want[k])
		}
		d := Compare(a, b)
		require.Equal(t, Stats{Rounds: 1, HashesSent: 1, BytesEstimate: msgHeaderBytes + hashBytes}, d.Stats)
		require.Empty(t, d.OnlyA)
		require.Empty(t, d.OnlyB)
		require.Empty(t, d.Differ)
		require.Equal(t, d.Stats, Exchange(b, a))
	})
}

func TestDiffBucketProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := rapid.SampledFrom(smallParams).Draw(t, "params")
		a, b := drawState(t, "a"), drawState(t, "b")
		ta, tb := build(p, a), build(p, b)
		var onlyA, onlyB, differ []string
		for i := range p.Buckets() {
			m, th, d := DiffBucket(ta.Bucket(i), tb.Bucket(i))
			onlyA, onlyB, differ = append(onlyA, m...), append(onlyB, th...), append(differ, d...)
		}
		wa, wb, wd := bruteDiff(a, b)
		require.Equal(t, wa, sortedCopy(onlyA))
		require.Equal(t, wb, sortedCopy(onlyB))
		require.Equal(t, wd, sortedCopy(differ))
	})
}
