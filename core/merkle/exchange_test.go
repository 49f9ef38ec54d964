package merkle

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCompareOfTwoEmptyTrees(t *testing.T) {
	d := Compare(New(DefaultParams()), New(DefaultParams()))
	require.Equal(t, Stats{Rounds: 1, HashesSent: 1, BytesEstimate: 32}, d.Stats)
}

// An empty replica (a replacement for a failed node) learns every key, and
// the cost shows what a full descent sends.
func TestCompareAgainstEmptyTree(t *testing.T) {
	p := Params{Fanout: 4, Depth: 2}
	full := New(p)
	keys := numberedKeys(200)
	for i, k := range keys {
		full.Set(k, digestOf(i))
	}
	d := Compare(New(p), full)
	require.Len(t, d.OnlyB, 200)
	require.Nil(t, d.OnlyA)
	require.Equal(t, Stats{
		Rounds:          4,
		HashesSent:      1 + 4 + 16,
		BucketsCompared: 16,
		KeysCompared:    200,
		KeysDiffering:   200,
		// root; root's children; 4 nodes' children; 16 bucket listings.
		BytesEstimate: (16 + 16) + (16 + 4 + 4*16) + (16 + 4*4 + 16*16) + (16 + 16*4 + totalKeyBytes(keys)),
	}, d.Stats)
}

// With an odd Depth the bucket listings come from the side that sent the
// root, here the empty one: the listings are empty and b learns the
// differences by diffing its own buckets against them.
func TestCompareListingSenderAlternates(t *testing.T) {
	p := Params{Fanout: 2, Depth: 3}
	full := New(p)
	keys := numberedKeys(100)
	for i, k := range keys {
		full.Set(k, digestOf(i))
	}
	d := Compare(New(p), full)
	require.Len(t, d.OnlyB, 100)
	require.Equal(t, 5, d.Stats.Rounds)
	require.Equal(t, (16+16)+(16+4+2*16)+(16+2*4+4*16)+(16+4*4+8*16)+(16+8*4), d.Stats.BytesEstimate)
	// Swapping the sides makes the full tree send its listings.
	r := Compare(full, New(p))
	require.Equal(t, d.Stats.BytesEstimate+totalKeyBytes(keys), r.Stats.BytesEstimate)
}

func totalKeyBytes(keys []string) int {
	n := 0
	for _, k := range keys {
		n += keyLenBytes + len(k) + hashBytes
	}
	return n
}

// The paper-scale case from the sweep: 100k keys, 10 differ. The exchange
// must look at a few dozen keys and send a few hundred hashes.
func TestCompare100kKeysTenDiffer(t *testing.T) {
	a, b, changed := twoLargeTrees(100_000, 10)
	d := Compare(a, b)
	require.Equal(t, changed, d.Differ)
	require.Equal(t, 10, d.Stats.KeysDiffering)
	require.Equal(t, 5, d.Stats.Rounds)
	require.Equal(t, 10, d.Stats.BucketsCompared)
	require.Less(t, d.Stats.KeysCompared, 1000)
	// The root, its children, then the children of each distinct level-1
	// ancestor (ten keys often share some of the 16) and of each bucket's
	// level-2 parent.
	level1 := map[int]bool{}
	for _, k := range changed {
		level1[a.BucketOf(k)>>8] = true
	}
	require.Equal(t, 1+16+len(level1)*16+10*16, d.Stats.HashesSent)
	require.Less(t, d.Stats.BytesEstimate, 20_000)
}

// twoLargeTrees builds equal trees of n keys, then changes the digest of
// every n/k-th key in b; it returns the changed keys in sorted order.
func twoLargeTrees(n, k int) (a, b *Tree, changed []string) {
	a, b = New(DefaultParams()), New(DefaultParams())
	keys := numberedKeys(n)
	for i, key := range keys {
		a.Set(key, digestOf(i))
		b.Set(key, digestOf(i))
	}
	for i := 0; i < n; i += n / k {
		b.Set(keys[i], digestOf(-i-1))
		changed = append(changed, keys[i])
	}
	return a, b, sortedCopy(changed)
}

func TestCompareRejectsMismatchedParams(t *testing.T) {
	require.Panics(t, func() {
		Compare(New(Params{Fanout: 4, Depth: 2}), New(Params{Fanout: 16, Depth: 1}))
	})
}
