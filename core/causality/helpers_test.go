package causality

import (
	"fmt"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// history simulates one key on a few replicas, so that generated sets have
// the shapes real ones have: every write is made by NewVersion at a
// coordinator from a context some client read earlier, the coordinator
// applies it to its own set, and replicas exchange whole sets. Arbitrary
// versions would break dvv's premise that a context is the context of some
// real state, and properties would fail for data no node can produce.
type history struct {
	m      Mechanism
	actors []Actor
	local  [][]Version // per replica
	ctxs   []Clock     // every context a client has read so far
	states [][]Version // every set a replica has held
	writes []Version   // every version NewVersion made, in order
	now    int64
}

func newHistory(m Mechanism, replicas int) *history {
	h := &history{m: m, local: make([][]Version, replicas), ctxs: []Clock{nil}, states: [][]Version{nil}}
	for i := range replicas {
		h.actors = append(h.actors, Actor(10+i))
	}
	return h
}

func (h *history) put(t *rapid.T, i int) {
	ctx := rapid.SampledFrom(h.ctxs).Draw(t, "ctx")
	// Skewed wall clocks, so that lww order and vc truncation disagree with
	// causality sometimes, as they do in production.
	h.now += 10
	wall := h.now + int64(rapid.IntRange(-25, 25).Draw(t, "skew"))
	value := []byte(fmt.Sprintf("w%d", len(h.writes)))
	v := h.m.NewVersion(h.local[i], ctx, h.actors[i], wall, value, rapid.Bool().Draw(t, "deleted"))
	h.writes = append(h.writes, v)
	h.local[i] = h.m.Apply(h.local[i], v)
	h.states = append(h.states, h.local[i])
}

func (h *history) step(t *rapid.T) {
	n := len(h.local)
	i := rapid.IntRange(0, n-1).Draw(t, "replica")
	switch rapid.IntRange(0, 3).Draw(t, "op") {
	case 0, 1:
		h.put(t, i)
	case 2: // a read at one replica, or a coordinator's merge of two
		j := rapid.IntRange(0, n-1).Draw(t, "other")
		h.ctxs = append(h.ctxs, h.m.Context(h.m.Merge(h.local[i], h.local[j])))
	case 3: // replication, read repair or anti-entropy from i to j
		j := rapid.IntRange(0, n-1).Draw(t, "to")
		h.local[j] = h.m.Merge(h.local[j], h.local[i])
		h.states = append(h.states, h.local[j])
	}
}

func genHistory(t *rapid.T, m Mechanism) *history {
	h := newHistory(m, rapid.IntRange(1, 4).Draw(t, "replicas"))
	for range rapid.IntRange(0, 40).Draw(t, "steps") {
		h.step(t)
	}
	return h
}

func (h *history) state(t *rapid.T, label string) []Version {
	return rapid.SampledFrom(h.states).Draw(t, label)
}

// deepCopy lets tests prove that a function left its inputs alone.
func deepCopy(vs []Version) []Version {
	if vs == nil {
		return nil
	}
	out := make([]Version, len(vs))
	for i, v := range vs {
		v.Clock = append(Clock(nil), v.Clock...)
		v.Value = append([]byte(nil), v.Value...)
		out[i] = v
	}
	return out
}

func requireCanonical(t require.TestingT, vs []Version) {
	for i := 1; i < len(vs); i++ {
		require.Negative(t, vs[i-1].Dot.compare(vs[i].Dot), "not sorted by Dot: %v then %v", vs[i-1].Dot, vs[i].Dot)
	}
	for _, v := range vs {
		require.NoError(t, v.Clock.Validate())
	}
}

func dots(vs []Version) []Dot {
	out := make([]Dot, 0, len(vs))
	for _, v := range vs {
		out = append(out, v.Dot)
	}
	return out
}

func put(m Mechanism, local []Version, ctx Clock, a Actor, wall int64, value string) Version {
	return m.NewVersion(local, ctx, a, wall, []byte(value), false)
}
