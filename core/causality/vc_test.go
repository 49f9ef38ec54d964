package causality

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

const (
	Sx Actor = 1
	Sy Actor = 2
	Sz Actor = 3
)

// TestFigure3 replays the paper's Figure 3 step by step with the paper's vector
// clocks.
func TestFigure3(t *testing.T) {
	m := New(VC, Options{})

	// A client writes a new object; Sx handles it.
	d1 := put(m, nil, nil, Sx, 100, "D1")
	require.Equal(t, "[(a1,1)]", d1.Clock.String())
	atX := m.Apply(nil, d1)

	// The client updates it through Sx again, with the context of a read.
	d2 := put(m, atX, m.Context(atX), Sx, 200, "D2")
	require.Equal(t, "[(a1,2)]", d2.Clock.String())
	atX = m.Apply(atX, d2)
	require.Equal(t, []Dot{d2.Dot}, dots(atX), "D2 supersedes D1 at Sx")
	require.Equal(t, []Dot{d2.Dot}, dots(m.Merge([]Version{d1}, []Version{d2})), "D1 can be forgotten")
	require.Equal(t, []Dot{d2.Dot}, dots(m.Merge([]Version{d2}, []Version{d1})))
	require.True(t, m.Covered(d2.Clock, d1))

	// D2 reaches Sy and Sz; two clients update it in parallel through them.
	atY, atZ := atX, atX
	d3 := put(m, atY, m.Context(atY), Sy, 300, "D3")
	d4 := put(m, atZ, m.Context(atZ), Sz, 310, "D4")
	require.Equal(t, "[(a1,2),(a2,1)]", d3.Clock.String())
	require.Equal(t, "[(a1,2),(a3,1)]", d4.Clock.String())
	atY, atZ = m.Apply(atY, d3), m.Apply(atZ, d4)

	// A read at Sx gathers all three replicas: D3 and D4 conflict, D2 goes.
	read := m.Merge(m.Merge(atX, atY), atZ)
	require.Equal(t, []Dot{d3.Dot, d4.Dot}, dots(read))
	require.True(t, SameSet(read, m.Merge(atZ, m.Merge(atY, atX))))
	ctx := m.Context(read)
	require.Equal(t, "[(a1,2),(a2,1),(a3,1)]", ctx.String(), "the paper's summary of D3 and D4")

	// The client reconciles and writes through Sx.
	d5 := put(m, atX, ctx, Sx, 400, "D5")
	require.Equal(t, "[(a1,3),(a2,1),(a3,1)]", d5.Clock.String())
	require.Equal(t, []Dot{d5.Dot}, dots(m.Apply(read, d5)), "D5 subsumes D3 and D4")
	require.Equal(t, Dot{Sx, 3}, d5.Dot)
	// The walls ride along for truncation: each entry keeps its writer's time.
	require.Equal(t, Clock{{Sx, 3, 400}, {Sy, 1, 300}, {Sz, 1, 310}}, d5.Clock)
}

// TestVCTruncation checks the paper's rule: at the threshold, the entry with
// the oldest timestamp goes, but never the writer's own.
func TestVCTruncation(t *testing.T) {
	m := New(VC, Options{VCMaxEntries: 3})
	ctx := Clock{{Actor: 1, Counter: 5, Wall: 100}, {Actor: 2, Counter: 1, Wall: 50}, {Actor: 3, Counter: 2, Wall: 200}}

	v := put(m, nil, ctx, 4, 300, "x")
	require.Equal(t, Clock{{1, 5, 100}, {3, 2, 200}, {4, 1, 300}}, v.Clock, "actor 2 had the oldest entry")

	// A writer whose own clock lags everyone else's keeps its entry anyway:
	// without it the version would look like an ancestor of its context.
	v = put(m, nil, ctx, 4, 10, "x")
	require.Equal(t, Clock{{1, 5, 100}, {3, 2, 200}, {4, 1, 10}}, v.Clock)

	// Equal walls: the smallest actor goes, the same on every replica.
	tied := Clock{{Actor: 1, Counter: 1, Wall: 7}, {Actor: 2, Counter: 1, Wall: 7}, {Actor: 3, Counter: 1, Wall: 7}}
	v = put(m, nil, tied, 9, 7, "x")
	require.Equal(t, Clock{{2, 1, 7}, {3, 1, 7}, {9, 1, 7}}, v.Clock)

	// An actor already in the clock does not grow it.
	v = put(m, nil, ctx, 2, 1, "x")
	require.Equal(t, Clock{{1, 5, 100}, {2, 2, 1}, {3, 2, 200}}, v.Clock)

	// The input context is left alone.
	require.Equal(t, Clock{{1, 5, 100}, {2, 1, 50}, {3, 2, 200}}, ctx)

	// Truncation is what makes vc lossy: the version that lost its entry is
	// no longer recognised as the ancestor it is.
	anc := Version{Dot: Dot{2, 1}, Clock: Clock{{2, 1, 50}}, Value: []byte("anc")}
	desc := put(m, nil, ctx, 4, 300, "desc")
	require.Equal(t, []Dot{{2, 1}, {4, 1}}, dots(m.Merge([]Version{anc}, []Version{desc})), "a false sibling")
	require.Equal(t, []Dot{{4, 1}}, dots(New(VC, Options{}).Merge([]Version{anc}, []Version{put(New(VC, Options{}), nil, ctx, 4, 300, "desc")})))
}

func TestVCDefaultThreshold(t *testing.T) {
	m := New(VC, Options{})
	var ctx Clock
	for a := Actor(1); a <= 10; a++ {
		ctx = append(ctx, Entry{Actor: a, Counter: 1, Wall: int64(a)})
	}
	v := put(m, nil, ctx[:9], 50, 100, "x")
	require.Len(t, v.Clock, 10, "nine entries plus the writer reach the threshold")
	v = put(m, nil, ctx, 50, 100, "x")
	require.Len(t, v.Clock, 10)
	require.Zero(t, v.Clock.Get(1), "actor 1 had the oldest timestamp")
	require.Equal(t, uint64(1), v.Clock.Get(50))
}

// TestSameContextOneCoordinator shows the weakness of per-node vector clocks
// that dotted version vectors fix. Two clients read the same state and both
// write through the same coordinator. With vc, the second write's clock is
// the shared context with the coordinator's counter bumped once more, so it
// strictly dominates the first write's clock: the counter cannot say "the
// coordinator's later write" apart from "a write that saw the earlier one",
// and the first client's write is silently lost. With dvv, each version keeps
// its dot apart from the context it supersedes; the second write's context
// has not seen the first write's dot, so both survive as siblings.
func TestSameContextOneCoordinator(t *testing.T) {
	for _, tc := range []struct {
		mode Mode
		want int
	}{{VC, 1}, {DVV, 2}, {LWW, 1}} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			m := New(tc.mode, Options{})
			base := m.Apply(nil, put(m, nil, nil, Sx, 100, "base"))
			ctx := m.Context(base)

			local := base
			first := put(m, local, ctx, Sx, 200, "first")
			local = m.Apply(local, first)
			second := put(m, local, ctx, Sx, 300, "second")
			local = m.Apply(local, second)

			require.NotEqual(t, first.Dot, second.Dot, "dots are unique in every mode")
			require.Len(t, local, tc.want)
			require.Equal(t, second.Dot, local[len(local)-1].Dot)
			if tc.mode == DVV {
				require.Equal(t, []Dot{first.Dot, second.Dot}, dots(local))
				require.False(t, m.Covered(second.Clock, first))
			}
		})
	}
}

func TestVCMergeProperties(t *testing.T) {
	// 64 entries: the few actors of a history never reach it, so truncation
	// does not blur the order being tested.
	m := New(VC, Options{VCMaxEntries: 64})
	rapid.Check(t, func(t *rapid.T) {
		h := genHistory(t, m)
		a, b, c := h.state(t, "a"), h.state(t, "b"), h.state(t, "c")
		ab := m.Merge(a, b)
		requireCanonical(t, ab)
		require.True(t, SameSet(ab, m.Merge(b, a)), "commutative")
		require.True(t, SameSet(ab, m.Merge(ab, ab)), "idempotent")
		require.True(t, SameSet(ab, m.Merge(ab, a)), "absorbs its inputs")
		require.True(t, SameSet(m.Merge(ab, c), m.Merge(a, m.Merge(b, c))), "associative")
		// No survivor is strictly dominated by another; every loser is.
		for _, v := range ab {
			for _, w := range ab {
				require.False(t, w.Clock.dominates(v.Clock), "%v dominates %v", w.Clock, v.Clock)
			}
		}
		ctx := m.Context(ab)
		require.True(t, ctx.Descends(m.Context(a)))
		require.True(t, ctx.Descends(m.Context(b)))
	})
}
