package ring

import (
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

type ringCase struct {
	p    Params
	ids  []NodeID
	seed uint64
	r    *Ring
}

// drawRing draws a cluster of 1..40 nodes under any strategy and builds it
// through Assign and New.
func drawRing(t *rapid.T) ringCase {
	s := rapid.IntRange(1, 40).Draw(t, "S")
	p := Params{Strategy: rapid.SampledFrom([]Strategy{Strategy1, Strategy2, Strategy3}).Draw(t, "strategy")}
	p.T = rapid.IntRange(1, 16).Draw(t, "T")
	if p.Strategy == Strategy3 {
		p.Q = rapid.IntRange(s, 4*s+64).Draw(t, "Q")
	} else {
		p.Q = rapid.IntRange(1, 512).Draw(t, "Q")
	}
	ids := rapid.SliceOfNDistinct(rapid.Uint16(), s, s, rapid.ID[uint16]).Draw(t, "ids")
	c := ringCase{p: p, seed: rapid.Uint64().Draw(t, "seed")}
	for _, id := range ids {
		c.ids = append(c.ids, NodeID(id))
	}
	members, err := Assign(p, c.ids, rand.New(rand.NewPCG(c.seed, 0)))
	require.NoError(t, err)
	c.r, err = New(p, members)
	require.NoError(t, err)
	return c
}

// drawKey favours the positions where off-by-one errors live: tokens,
// partition boundaries, their neighbours, and the ends of the space.
func drawKey(t *rapid.T, r *Ring, label string) Token {
	random := Token{Hi: rapid.Uint64().Draw(t, label+".hi"), Lo: rapid.Uint64().Draw(t, label+".lo")}
	switch rapid.IntRange(0, 4).Draw(t, label+".kind") {
	case 0:
		return random
	case 1:
		return r.tokens[rapid.IntRange(0, len(r.tokens)-1).Draw(t, label+".tok")]
	case 2:
		rg := r.ranges[rapid.IntRange(0, len(r.ranges)-1).Draw(t, label+".rg")]
		return addToken(rapid.SampledFrom([]Token{rg.Start, rg.End}).Draw(t, label+".edge"),
			int64(rapid.IntRange(-1, 1).Draw(t, label+".delta")))
	case 3:
		return rapid.SampledFrom([]Token{{}, {Lo: 1}, {Hi: ^uint64(0), Lo: ^uint64(0)}}).Draw(t, label+".end")
	}
	return HashKey(rapid.String().Draw(t, label+".str"))
}

// refPreference walks a sorted list of every (token, node) pair the slow,
// obvious way, from the key for strategy 1 and from the end of the key's
// partition (computed with math/big) for strategies 2 and 3.
func refPreference(p Params, members []Member, key Token) []NodeID {
	type vnode struct {
		tok  Token
		node NodeID
	}
	var all []vnode
	for _, m := range members {
		for _, t := range m.Tokens {
			all = append(all, vnode{t, m.ID})
		}
	}
	slices.SortFunc(all, func(a, b vnode) int { return a.tok.Compare(b.tok) })
	pos := key
	if p.Strategy != Strategy1 {
		q := uint64(p.Q)
		pos = bigToToken(bigBoundary(bigPartitionOf(key, q)+1, q))
	}
	start := len(all)
	for j, v := range all {
		if v.tok.Compare(pos) >= 0 {
			start = j
			break
		}
	}
	var out []NodeID
	for k := range all {
		id := all[(start+k)%len(all)].node
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func TestPropPreferenceListsAreCompleteAndAgree(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := drawRing(t)
		r := c.r
		nodes := r.Nodes()
		n := rapid.IntRange(1, 5).Draw(t, "N")
		members := r.Members()
		buf := make([]NodeID, 0, r.Size())
		for range 8 {
			key := drawKey(t, r, "key")
			buf = r.Preference(key, buf)

			sorted := slices.Clone(buf)
			slices.Sort(sorted)
			require.Equal(t, nodes, sorted, "every node exactly once")

			replicas := buf[:min(n, r.Size())]
			require.Len(t, slices.Compact(slices.Sorted(slices.Values(replicas))), len(replicas), "replicas are distinct physical nodes")

			i := r.RangeIndex(key)
			require.True(t, r.RangeAt(i).Contains(key), "key %v in range %d %v", key, i, r.RangeAt(i))
			if len(r.ranges) > 1 {
				require.False(t, r.RangeAt((i+1)%len(r.ranges)).Contains(key))
				require.False(t, r.RangeAt((i+len(r.ranges)-1)%len(r.ranges)).Contains(key))
			}
			require.Equal(t, r.RangePreference(i, nil), buf)
			require.Equal(t, refPreference(c.p, members, key), buf)
		}
	})
}

func TestPropPreferenceForKeyHashes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := drawRing(t).r
		key := rapid.String().Draw(t, "key")
		require.Equal(t, r.Preference(HashKey(key), nil), r.PreferenceForKey(key, nil))
	})
}

func TestPropEveryRangeListIsAPermutation(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := drawRing(t).r
		nodes := r.Nodes()
		for i := range r.NumRanges() {
			got := r.RangePreference(i, nil)
			slices.Sort(got)
			require.Equal(t, nodes, got, "range %d", i)
		}
	})
}

func TestPropPartitionKeysShareList(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := drawRing(t)
		if c.p.Strategy == Strategy1 {
			t.Skip("strategy 1 ranges are token arcs, covered by the agreement property")
		}
		r := c.r
		i := rapid.IntRange(0, r.NumRanges()-1).Draw(t, "partition")
		rg := r.RangeAt(i)
		want := r.RangePreference(i, nil)
		size := tokenToBig(rg.End.sub(rg.Start))
		if size.Sign() == 0 {
			size = two128
		}
		off := new(big.Int).SetUint64(rapid.Uint64().Draw(t, "off"))
		off.Lsh(off, 64).Or(off, new(big.Int).SetUint64(rapid.Uint64().Draw(t, "off2")))
		off.Mod(off, size).Add(off, big.NewInt(1)) // in [1, size]
		inside := bigToToken(new(big.Int).Add(tokenToBig(rg.Start), off))
		for _, key := range []Token{addToken(rg.Start, 1), rg.End, inside} {
			require.Equal(t, i, r.RangeIndex(key))
			require.Equal(t, want, r.Preference(key, nil), "key %v", key)
		}
	})
}

func TestPropStrategy3Balance(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.IntRange(1, 40).Draw(t, "S")
		q := rapid.IntRange(s, 600).Draw(t, "Q")
		if rapid.Bool().Draw(t, "divisible") {
			q = s * rapid.IntRange(1, 16).Draw(t, "perNode")
		}
		ids := make([]NodeID, s)
		for i := range ids {
			ids[i] = NodeID(3 * i)
		}
		p := Params{Strategy: Strategy3, Q: q}
		members, err := Assign(p, ids, rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 1)))
		require.NoError(t, err)
		r, err := New(p, members)
		require.NoError(t, err)

		owned := make(map[NodeID]int)
		for i := range r.NumRanges() {
			owned[r.RangePreference(i, nil)[0]]++
		}
		for _, m := range r.Members() {
			require.Equal(t, len(m.Tokens), owned[m.ID], "a node's tokens are exactly its partitions")
			if q%s == 0 {
				require.Equal(t, q/s, owned[m.ID])
			} else {
				require.GreaterOrEqual(t, owned[m.ID], q/s)
				require.LessOrEqual(t, owned[m.ID], q/s+1)
			}
		}
		require.Equal(t, q, r.MetadataSize())
	})
}

func TestPropAssignIsDeterministic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := drawRing(t)
		again, err := Assign(c.p, c.ids, rand.New(rand.NewPCG(c.seed, 0)))
		require.NoError(t, err)
		require.Equal(t, c.r.Members(), again)

		shuffled := slices.Clone(c.ids)
		rand.New(rand.NewPCG(c.seed, 9)).Shuffle(len(shuffled), func(i, j int) {
			shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
		})
		reordered, err := Assign(c.p, shuffled, rand.New(rand.NewPCG(c.seed, 0)))
		require.NoError(t, err)
		require.Equal(t, again, reordered, "input order must not matter")

		r2, err := New(c.p, reordered)
		require.NoError(t, err)
		key := drawKey(t, c.r, "key")
		require.Equal(t, c.r.Preference(key, nil), r2.Preference(key, nil))
	})
}

func TestPropRangesCoverRingOnceInOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := drawRing(t)
		rs := c.r.Ranges()
		if c.p.Strategy == Strategy1 {
			require.Len(t, rs, c.r.MetadataSize())
		} else {
			require.Len(t, rs, c.p.Q)
		}
		total := new(big.Int)
		for i, rg := range rs {
			next := rs[(i+1)%len(rs)]
			require.Equal(t, rg.End, next.Start, "range %d ends where %d starts", i, i+1)
			size := tokenToBig(rg.End.sub(rg.Start))
			if size.Sign() == 0 {
				require.Len(t, rs, 1, "only a lone range may be empty-looking (whole ring)")
				size = two128
			}
			total.Add(total, size)
			if i > 0 {
				require.Equal(t, -1, rs[i-1].Start.Compare(rg.Start), "starts increase")
			}
			if i < len(rs)-1 {
				require.Equal(t, -1, rg.Start.Compare(rg.End), "only the last range wraps")
			}
		}
		require.Zero(t, total.Cmp(two128), "ranges cover 2^128 exactly once")
	})
}

func TestPropOwnershipSumsToN(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := drawRing(t).r
		n := rapid.IntRange(-1, 45).Draw(t, "n")
		own := r.Ownership(n)
		require.Len(t, own, r.Size())
		sum := 0.0
		for _, f := range own {
			require.GreaterOrEqual(t, f, 0.0)
			require.LessOrEqual(t, f, 1+1e-9)
			sum += f
		}
		require.InDelta(t, float64(min(max(n, 0), r.Size())), sum, 1e-9)
	})
}
