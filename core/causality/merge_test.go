package causality

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMergeReturnsInputWithoutAllocating covers the common syncs: a replica
// that already has everything, or one that is simply behind.
func TestMergeReturnsInputWithoutAllocating(t *testing.T) {
	for _, mode := range []Mode{DVV, VC, LWW} {
		t.Run(mode.String(), func(t *testing.T) {
			m := New(mode, Options{})
			v1 := put(m, nil, nil, Sx, 100, "v1")
			v2 := put(m, []Version{v1}, m.Context([]Version{v1}), Sy, 200, "v2")
			one, newer := []Version{v1}, []Version{v2}
			copyOfOne := deepCopy(one)

			cases := []struct {
				name string
				a, b []Version
				want []Version
			}{
				{"same", one, copyOfOne, one},
				{"empty b", one, nil, one},
				{"empty a", nil, one, one},
				{"b supersedes", one, newer, newer},
				{"a supersedes", newer, one, newer},
			}
			if mode != LWW {
				w := put(m, nil, nil, Sz, 50, "w")
				two := m.Merge(one, []Version{w})
				require.Len(t, two, 2)
				cases = append(cases,
					struct {
						name string
						a, b []Version
						want []Version
					}{"subset of b", []Version{w}, two, two})
			}
			for _, tc := range cases {
				got := m.Merge(tc.a, tc.b)
				require.True(t, SameSet(tc.want, got), tc.name)
				require.Equal(t, len(got), cap(got), "%s: an append to the result must not reach an input's spare capacity", tc.name)
				allocs := testing.AllocsPerRun(20, func() { m.Merge(tc.a, tc.b) })
				require.Zero(t, allocs, tc.name)
			}
		})
	}
}

// TestMergeDuplicateDots: two copies of one Dot that differ can only come from
// corruption or a reused actor, but replicas must still agree on the result.
func TestMergeDuplicateDots(t *testing.T) {
	for _, mode := range []Mode{DVV, VC, LWW} {
		m := New(mode, Options{})
		x := put(m, nil, nil, Sx, 100, "x")
		y := x
		y.Value = []byte("y")
		ab, ba := m.Merge([]Version{x}, []Version{y}), m.Merge([]Version{y}, []Version{x})
		require.Len(t, ab, 1, mode.String())
		require.Equal(t, ab, ba, mode.String())
		require.Equal(t, "y", string(ab[0].Value), "%s: the greater content wins", mode)
		require.Equal(t, ab, m.Merge(ab, []Version{x, y}))
	}
}

// TestMergeCanonicalisesUnsortedInput: a hand-built or decoded list in any
// order still merges to the canonical set.
func TestMergeCanonicalisesUnsortedInput(t *testing.T) {
	m := New(DVV, Options{})
	a := put(m, nil, nil, Sx, 1, "a")
	b := put(m, nil, nil, Sy, 2, "b")
	got := m.Merge([]Version{b, a}, nil)
	require.Equal(t, []Dot{a.Dot, b.Dot}, dots(got))
}

func TestNewVersionLeavesInputsAlone(t *testing.T) {
	for _, mode := range []Mode{DVV, VC, LWW} {
		m := New(mode, Options{VCMaxEntries: 2})
		local := []Version{put(m, nil, nil, Sy, 1, "l")}
		// Spare capacity, as a context decoded into a larger buffer has.
		ctx := append(make(Clock, 0, 8), Clock{{Sx, 1, 5}, {Sy, 1, 6}, {Sz, 2, 7}}...)
		local0, ctx0 := deepCopy(local), append(Clock(nil), ctx...)
		v := m.NewVersion(local, ctx, Sx, 9, []byte("v"), false)
		require.Equal(t, local0, local)
		require.Equal(t, ctx0, ctx)
		if mode == DVV {
			require.Equal(t, len(v.Clock), cap(v.Clock), "a shared context must come back clipped")
		}
	}
}

// TestVCEqualClocksAreSiblings: only a strictly greater clock supersedes. Two
// versions with equal clocks but different dots are both kept; dropping them
// for each other would lose both.
func TestVCEqualClocksAreSiblings(t *testing.T) {
	m := New(VC, Options{})
	c := Clock{{Sx, 1, 0}, {Sy, 1, 0}}
	a := Version{Dot: Dot{Sx, 1}, Clock: c, Value: []byte("a")}
	b := Version{Dot: Dot{Sy, 1}, Clock: c, Value: []byte("b")}
	require.Equal(t, []Dot{a.Dot, b.Dot}, dots(m.Merge([]Version{b}, []Version{a})))
}

func TestContextAndCovered(t *testing.T) {
	dvv, vc, lww := New(DVV, Options{}), New(VC, Options{}), New(LWW, Options{})
	sibs := []Version{
		{Dot: Dot{Sx, 3}, Clock: Clock{{Sy, 1, 10}}, Wall: 30},
		{Dot: Dot{Sz, 1}, Clock: Clock{{Sx, 2, 20}, {Sz, 1, 40}}, Wall: 40},
	}
	require.Equal(t, Clock{{Sx, 3, 30}, {Sy, 1, 10}, {Sz, 1, 40}}, dvv.Context(sibs))
	require.Equal(t, Clock{{Sx, 2, 20}, {Sy, 1, 10}, {Sz, 1, 40}}, vc.Context(sibs))
	require.Equal(t, Clock{{Sx, 3, 30}, {Sz, 1, 40}}, lww.Context(sibs))
	require.Nil(t, dvv.Context(nil))

	v := Version{Dot: Dot{Sx, 2}, Clock: Clock{{Sx, 2, 0}, {Sy, 1, 0}}}
	require.True(t, dvv.Covered(Clock{{Sx, 2, 0}}, v))
	require.False(t, dvv.Covered(Clock{{Sx, 1, 0}, {Sy, 5, 0}}, v))
	require.True(t, vc.Covered(Clock{{Sx, 2, 0}, {Sy, 1, 0}}, v))
	require.False(t, vc.Covered(Clock{{Sx, 2, 0}}, v))
	require.False(t, lww.Covered(Clock{{Sx, 9, 0}, {Sy, 9, 0}}, v))
}

func TestSameSetAndDigest(t *testing.T) {
	a := Version{Dot: Dot{Sx, 1}, Value: []byte("a")}
	b := Version{Dot: Dot{Sy, 1}, Value: []byte("b")}
	require.True(t, SameSet(nil, []Version{}))
	require.True(t, SameSet([]Version{a, b}, deepCopy([]Version{a, b})))
	require.False(t, SameSet([]Version{a, b}, []Version{b, a}), "order matters: sets must be canonical")
	require.False(t, SameSet([]Version{a}, []Version{a, b}))
	tomb := a
	tomb.Deleted = true
	require.False(t, SameSet([]Version{a}, []Version{tomb}))
	other := a
	other.Value = []byte("z")
	require.False(t, SameSet([]Version{a}, []Version{other}))

	require.Equal(t, [16]byte{}, Digest(nil))
	require.Equal(t, Digest([]Version{a, b}), Digest([]Version{b, a}))
	require.NotEqual(t, Digest([]Version{a}), Digest([]Version{a, b}))
	require.NotEqual(t, Digest([]Version{a}), Digest([]Version{tomb}))
	require.NotEqual(t, Digest([]Version{a}), Digest([]Version{other}))
	walled := a
	walled.Wall = 1
	require.NotEqual(t, Digest([]Version{a}), Digest([]Version{walled}))
	require.NotEqual(t, [16]byte{}, Digest([]Version{{Dot: Dot{1, 1}}}))
}
