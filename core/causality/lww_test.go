package causality

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestLWW(t *testing.T) {
	m := New(LWW, Options{})
	old := put(m, nil, nil, Sy, 100, "old")
	newer := put(m, nil, nil, Sx, 200, "new")
	require.Nil(t, old.Clock)
	require.Equal(t, []Dot{newer.Dot}, dots(m.Merge([]Version{old}, []Version{newer})))
	require.Equal(t, []Dot{newer.Dot}, dots(m.Merge([]Version{newer}, []Version{old})))

	// Equal walls: the larger actor wins, then the larger counter.
	tieX := put(m, nil, nil, Sx, 300, "x")
	tieY := put(m, nil, nil, Sy, 300, "y")
	require.Equal(t, []Dot{tieY.Dot}, dots(m.Merge([]Version{tieX}, []Version{tieY})))
	tieX2 := put(m, []Version{tieX}, nil, Sx, 300, "x2")
	require.Equal(t, Dot{Sx, 2}, tieX2.Dot)
	require.Equal(t, []Dot{tieX2.Dot}, dots(m.Merge([]Version{tieX2}, []Version{tieX})))

	// A causally later write loses to a skewed clock: lww's known cost.
	ctx := m.Context([]Version{newer})
	require.Equal(t, "[(a1,1)]", ctx.String())
	later := put(m, []Version{newer}, ctx, Sy, 150, "later")
	require.False(t, m.Covered(ctx, newer))
	require.Equal(t, []Dot{newer.Dot}, dots(m.Apply([]Version{newer}, later)))

	require.Nil(t, m.Merge(nil, nil))
}

func TestLWWMergeProperties(t *testing.T) {
	m := New(LWW, Options{})
	rapid.Check(t, func(t *rapid.T) {
		h := genHistory(t, m)
		a, b, c := h.state(t, "a"), h.state(t, "b"), h.state(t, "c")
		ab := m.Merge(a, b)
		require.LessOrEqual(t, len(ab), 1)
		require.Equal(t, len(a)+len(b) > 0, len(ab) == 1)
		require.True(t, SameSet(ab, m.Merge(b, a)), "commutative")
		require.True(t, SameSet(ab, m.Merge(ab, ab)), "idempotent")
		require.True(t, SameSet(m.Merge(ab, c), m.Merge(a, m.Merge(b, c))), "associative")
		for _, v := range append(append([]Version(nil), a...), b...) {
			require.LessOrEqual(t, compareLWW(&v, &ab[0]), 0, "%v beats the winner %v", v.Dot, ab[0].Dot)
		}
	})
}
