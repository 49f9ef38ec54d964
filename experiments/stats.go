package experiments

import (
	"math"
	"sort"

	"github.com/dynamo-replay/dynamo/checks"
)

// Interval collects the latencies (ns) of acknowledged operations by kind.
type Interval struct {
	Gets, Puts []int64
}

// ByInterval buckets the acknowledged operations of ops by call time into
// intervals of width ns starting at from; writes (puts and deletes) count as
// puts.
func ByInterval(ops []checks.Op, from, width int64, n int) []Interval {
	out := make([]Interval, n)
	for _, op := range ops {
		if op.Outcome != checks.Ok || op.Call < from {
			continue
		}
		i := int((op.Call - from) / width)
		if i >= n {
			continue
		}
		d := op.Return - op.Call
		if op.Kind == checks.Get {
			out[i].Gets = append(out[i].Gets, d)
		} else {
			out[i].Puts = append(out[i].Puts, d)
		}
	}
	return out
}

// Mean of xs in milliseconds (NaN when empty).
func MeanMs(xs []int64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var s float64
	for _, x := range xs {
		s += float64(x)
	}
	return s / float64(len(xs)) / 1e6
}

// QuantileMs is the exact q-quantile of xs (nearest rank) in milliseconds
// (NaN when empty). It sorts xs.
func QuantileMs(xs []int64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] })
	rank := int(math.Ceil(q*float64(len(xs)))) - 1
	rank = max(0, min(rank, len(xs)-1))
	return float64(xs[rank]) / 1e6
}
