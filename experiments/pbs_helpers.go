package experiments

import (
	"fmt"

	"github.com/dynamo-replay/dynamo/sim"
	"math"
	"strconv"
)

// beyondWilson is the Wilson score interval (95%) of k successes out of n.
func beyondWilson(k, n int) (lo, hi float64) {
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	const z = 1.959964
	p := float64(k) / float64(n)
	nn := float64(n)
	den := 1 + z*z/nn
	mid := (p + z*z/(2*nn)) / den
	half := z * math.Sqrt(p*(1-p)/nn+z*z/(4*nn*nn)) / den
	return math.Max(0, mid-half), math.Min(1, mid+half)
}

// beyondFmt formats a float for a CSV cell (NaN as empty).
func beyondFmt(x float64) string {
	if math.IsNaN(x) {
		return ""
	}
	return strconv.FormatFloat(x, 'g', 6, 64)
}

// beyondFrac is k/n, NaN when n is zero.
func beyondFrac(k, n int) float64 {
	if n == 0 {
		return math.NaN()
	}
	return float64(k) / float64(n)
}

// beyondCommonParams are the settings every study beyond the paper keeps from
// the simulator's defaults, recorded so that a CSV says everything.
func beyondCommonParams(cfg sim.Config) []Param {
	return []Param{
		{"ring", fmt.Sprintf("strategy %v, Q=%d, %d nodes", cfg.Ring.Strategy, cfg.Ring.Q, cfg.Nodes), false},
		{"routing", string(cfg.Routing) + "-driven (a load balancer picks a random node that is up; a get is coordinated there, a put by one of the key's top N)", false},
		{"disk latency (write and sync)", cfg.Disk.Latency.String(), false},
		{"request timeout, read-repair window", "500ms, 50ms (core defaults)", false},
		{"anti-entropy, hinted handoff", "on (every 1s per node; hint scans every 1s)", false},
	}
}
