package causality

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestClockGetDescendsJoin(t *testing.T) {
	a := Clock{{Actor: 1, Counter: 2, Wall: 10}, {Actor: 3, Counter: 1, Wall: 30}}
	b := Clock{{Actor: 1, Counter: 1, Wall: 50}, {Actor: 2, Counter: 4, Wall: 20}}

	require.Equal(t, uint64(2), a.Get(1))
	require.Equal(t, uint64(0), a.Get(2))
	require.Equal(t, uint64(1), a.Get(3))
	require.Equal(t, uint64(0), a.Get(4))
	require.Equal(t, uint64(0), Clock(nil).Get(1))

	require.False(t, a.Descends(b))
	require.False(t, b.Descends(a))
	require.True(t, a.Descends(nil))
	require.True(t, a.Descends(a))
	require.False(t, a.dominates(a), "strict order must be irreflexive")

	j := Join(a, b)
	require.Equal(t, Clock{{1, 2, 50}, {2, 4, 20}, {3, 1, 30}}, j, "counters and walls both take the max")
	require.True(t, j.Descends(a))
	require.True(t, j.Descends(b))
	require.True(t, j.dominates(a))
	require.Equal(t, j, Join(b, a))
	require.Nil(t, Join(nil, Clock{}))

	// Join must hand back a fresh clock even when one side is empty.
	k := Join(a, nil)
	k[0].Counter = 99
	require.Equal(t, uint64(2), a[0].Counter)

	require.Equal(t, "[(a1,2),(a2,4),(a3,1)]", j.String())
	require.Equal(t, "[]", Clock(nil).String())
}

func TestClockDescendsIgnoresWall(t *testing.T) {
	a := Clock{{Actor: 1, Counter: 2, Wall: 0}}
	b := Clock{{Actor: 1, Counter: 2, Wall: 1e9}}
	require.True(t, a.Descends(b))
	require.True(t, b.Descends(a))
}

func TestClockValidate(t *testing.T) {
	require.NoError(t, Clock(nil).Validate())
	require.NoError(t, Clock{{1, 1, 0}, {2, 5, 0}}.Validate())
	require.ErrorContains(t, Clock{{1, 0, 0}}.Validate(), "zero counter")
	require.ErrorContains(t, Clock{{2, 1, 0}, {1, 1, 0}}.Validate(), "actor 1 does not follow actor 2")
	require.ErrorContains(t, Clock{{2, 1, 0}, {2, 3, 0}}.Validate(), "without duplicates")
}

func TestJoinEntry(t *testing.T) {
	var c Clock
	c = joinEntry(c, Entry{5, 1, 0})
	c = joinEntry(c, Entry{2, 3, 0})
	c = joinEntry(c, Entry{9, 1, 0})
	c = joinEntry(c, Entry{5, 4, 7})
	c = joinEntry(c, Entry{2, 1, 9})
	require.Equal(t, Clock{{2, 3, 9}, {5, 4, 7}, {9, 1, 0}}, c)
}

func TestMode(t *testing.T) {
	for _, m := range []Mode{DVV, VC, LWW} {
		got, err := ParseMode(m.String())
		require.NoError(t, err)
		require.Equal(t, m, got)
		require.Equal(t, m, New(m, Options{}).Mode())
	}
	require.Equal(t, "dvv", DVV.String())
	require.Equal(t, "vc", VC.String())
	require.Equal(t, "lww", LWW.String())
	require.Equal(t, "Mode(0)", Mode(0).String())

	_, err := ParseMode("VC")
	require.ErrorIs(t, err, ErrUnknownMode)
	require.EqualError(t, err, `causality: unknown mode "VC" (valid: dvv, vc, lww)`)
}

func TestNewRejectsBadConfig(t *testing.T) {
	require.PanicsWithValue(t, "causality: New with invalid mode Mode(0)", func() { New(0, Options{}) })
	require.PanicsWithValue(t, "causality: New with invalid mode Mode(4)", func() { New(4, Options{}) })
	require.PanicsWithValue(t, "causality: New with negative VCMaxEntries -1", func() { New(VC, Options{VCMaxEntries: -1}) })
	require.PanicsWithValue(t, "causality: zero Mechanism; build one with New", func() { Mechanism{}.Merge(nil, nil) })
}
