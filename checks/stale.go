package checks

import (
	"slices"
	"sort"
	"strings"
)

// StaleRead is an ok get that missed acknowledged writes it should have seen.
type StaleRead struct {
	Get     int      `json:"get"` // index in History.Ops
	Key     string   `json:"key"`
	Missing []string `json:"missing"` // the acknowledged values it missed, sorted
}

// FindStaleReads lists, in history order, the ok gets g that miss some write p
// of their key such that:
//   - p was acknowledged before g was called (p.Return < g.Call);
//   - p.Value is not in g.Values, nor transitively covered by any of them;
//   - no write q (any outcome but rejected) whose transitive covers include
//     p.Value was called before g returned: nothing could have replaced p yet.
//
// Dynamo's defaults allow such reads (sloppy quorums, R+W <= N), so this is a
// measure, not an invariant.
func FindStaleReads(h *History) []StaleRead {
	x := indexWrites(h)
	var gets, acked []int
	for i, op := range h.Ops {
		switch {
		case op.Outcome != Ok:
		case op.Kind == Get:
			gets = append(gets, i)
		default:
			acked = append(acked, i)
		}
	}
	// Sweep gets by call time. active holds the acknowledged writes that returned
	// before the current get's call and were not superseded before it: a write
	// superseded before one get's call is superseded before every later one's
	// return, so it leaves for good and the sweep stays near linear.
	sort.SliceStable(gets, func(a, b int) bool { return h.Ops[gets[a]].Call < h.Ops[gets[b]].Call })
	sort.SliceStable(acked, func(a, b int) bool { return h.Ops[acked[a]].Return < h.Ops[acked[b]].Return })
	active := make(map[string][]int) // key -> acknowledged writes
	next := 0
	var out []StaleRead
	for _, gi := range gets {
		g := h.Ops[gi]
		for ; next < len(acked) && h.Ops[acked[next]].Return < g.Call; next++ {
			p := h.Ops[acked[next]]
			active[p.Key] = append(active[p.Key], acked[next])
		}
		kept := active[g.Key][:0]
		var missing []string
		for _, pi := range active[g.Key] {
			p := h.Ops[pi]
			at := x.supersededAt(p.Value)
			if at < g.Call {
				continue // gone for this get and every later one
			}
			kept = append(kept, pi)
			if at < g.Return || slices.Contains(g.Values, p.Value) || x.coversAfter(g.Key, g.Values, p.Value, g.Return) {
				continue
			}
			missing = append(missing, p.Value)
		}
		active[g.Key] = kept
		if missing != nil {
			slices.Sort(missing)
			out = append(out, StaleRead{Get: gi, Key: g.Key, Missing: missing})
		}
	}
	slices.SortFunc(out, func(a, b StaleRead) int { return a.Get - b.Get })
	return out
}

// StaleReads counts stale reads (one per get, whatever it missed) and keeps the
// first messages. It is informational: reports never fail on it.
func StaleReads(h *History) Findings {
	f := Findings{Check: NameStaleReads}
	for _, s := range FindStaleReads(h) {
		g := h.Ops[s.Get]
		f.add(s.Key, "get op #%d (client %d, [%d, %d]) returned %s, missing acknowledged %s", s.Get, g.Client, g.Call, g.Return, describeSet(sortedCopy(g.Values)), strings.Join(s.Missing, ", "))
	}
	return f
}
