package causality

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// TestDVVMultiValueRegister: a put with the context of a read of {a, b}
// replaces exactly a and b; c, written meanwhile at another actor without
// having been read, stays.
func TestDVVMultiValueRegister(t *testing.T) {
	m := New(DVV, Options{})
	a := put(m, nil, nil, Sx, 100, "a")
	b := put(m, nil, nil, Sy, 110, "b")
	atX := m.Merge([]Version{a}, []Version{b})
	require.Equal(t, []Dot{a.Dot, b.Dot}, dots(atX), "concurrent writes are siblings")
	ctx := m.Context(atX)
	require.Equal(t, "[(a1,1),(a2,1)]", ctx.String())

	// Meanwhile c is written at Sz by a client that had read b only.
	c := put(m, []Version{b}, m.Context([]Version{b}), Sz, 120, "c")
	atZ := m.Apply([]Version{b}, c)
	require.Equal(t, []Dot{c.Dot}, dots(atZ), "c supersedes b, which its writer saw")

	d := put(m, atX, ctx, Sx, 130, "d")
	require.Equal(t, Dot{Sx, 2}, d.Dot)
	require.Equal(t, ctx, d.Clock, "dvv keeps exactly the client's context")
	atX = m.Apply(atX, d)
	require.Equal(t, []Dot{d.Dot}, dots(atX))

	final := m.Merge(atX, atZ)
	require.Equal(t, []Dot{d.Dot, c.Dot}, dots(final), "a and b are gone, c lives on beside d")
	require.True(t, m.Covered(ctx, a))
	require.True(t, m.Covered(ctx, b))
	require.False(t, m.Covered(ctx, c))

	// A read of the final set and a put with its context collapse everything.
	e := put(m, final, m.Context(final), Sy, 140, "e")
	require.Equal(t, []Dot{e.Dot}, dots(m.Apply(final, e)))
	require.Equal(t, Dot{Sy, 2}, e.Dot)
}

// TestNewVersionCounter: the counter is above everything the coordinator or
// the client knows of its actor, so a dot is never reused.
func TestNewVersionCounter(t *testing.T) {
	m := New(DVV, Options{})
	local := []Version{
		{Dot: Dot{Sx, 4}, Clock: Clock{{Sy, 9, 0}}},
		{Dot: Dot{Sy, 10}, Clock: Clock{{Sx, 6, 0}}},
	}
	require.Equal(t, Dot{Sx, 7}, put(m, local, nil, Sx, 0, "v").Dot, "from another version's clock")
	require.Equal(t, Dot{Sy, 11}, put(m, local, nil, Sy, 0, "v").Dot, "from a dot")
	require.Equal(t, Dot{Sx, 21}, put(m, local, Clock{{Sx, 20, 0}}, Sx, 0, "v").Dot, "from the context")
	require.Equal(t, Dot{Sz, 1}, put(m, local, nil, Sz, 0, "v").Dot)
	require.Panics(t, func() { put(m, nil, Clock{{Sx, ^uint64(0), 0}}, Sx, 0, "v") })

	v := m.NewVersion(nil, nil, Sx, 5, nil, true)
	require.True(t, v.Deleted)
	require.Nil(t, v.Clock)
	require.Equal(t, int64(5), v.Wall)
}

func TestDVVMergeProperties(t *testing.T) {
	m := New(DVV, Options{})
	rapid.Check(t, func(t *rapid.T) {
		h := genHistory(t, m)
		a, b, c := h.state(t, "a"), h.state(t, "b"), h.state(t, "c")
		a0, b0 := deepCopy(a), deepCopy(b)

		ab := m.Merge(a, b)
		require.Equal(t, a0, a, "Merge mutated its first input")
		require.Equal(t, b0, b, "Merge mutated its second input")
		requireCanonical(t, ab)

		require.True(t, SameSet(ab, m.Merge(b, a)), "commutative")
		require.Equal(t, ab, m.Merge(b, a), "commutative down to clocks and walls")
		require.True(t, SameSet(ab, m.Merge(ab, ab)), "idempotent")
		require.True(t, SameSet(a, m.Merge(a, a)), "a replica's own set is already canonical")
		require.True(t, SameSet(m.Merge(ab, c), m.Merge(a, m.Merge(b, c))), "associative")

		// The merge dominates its inputs: its context has seen theirs, and
		// every input version either survives or is covered by that context.
		ctx := m.Context(ab)
		require.True(t, ctx.Descends(m.Context(a)))
		require.True(t, ctx.Descends(m.Context(b)))
		in := map[Dot]bool{}
		for _, v := range ab {
			in[v.Dot] = true
		}
		for _, v := range append(append([]Version(nil), a...), b...) {
			require.True(t, in[v.Dot] || m.Covered(ctx, v), "version %v lost without being covered", v.Dot)
		}
		// And it keeps only what nobody has seen: no survivor is covered by
		// another survivor's clock.
		for _, v := range ab {
			for _, w := range ab {
				if w.Dot != v.Dot {
					require.False(t, m.Covered(w.Clock, v), "%v survives though %v saw it", v.Dot, w.Dot)
				}
			}
		}
		require.Equal(t, Digest(ab), Digest(m.Merge(b, a)))
	})
}

// TestDVVNoLostWrites: in a simulated history, every write either is still a
// sibling once all replicas have synced, or was covered by the context of a
// later write. Nothing disappears without a client having seen it.
func TestDVVNoLostWrites(t *testing.T) {
	m := New(DVV, Options{})
	rapid.Check(t, func(t *rapid.T) {
		h := genHistory(t, m)
		writes := h.writes
		var all []Version
		for _, s := range h.local {
			all = m.Merge(all, s)
		}
		live := map[Dot]bool{}
		for _, v := range all {
			live[v.Dot] = true
		}
		for _, w := range writes {
			if live[w.Dot] {
				continue
			}
			seen := false
			for _, x := range writes {
				seen = seen || (x.Dot != w.Dot && m.Covered(x.Clock, w))
			}
			require.True(t, seen, "write %v vanished though no later write's context had seen it", w.Dot)
		}
	})
}
