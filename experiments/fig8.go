package experiments

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"github.com/dynamo-replay/dynamo/core/ring"
)

// Figure 8 (paper §6.2): load-balancing efficiency, mean per-node load over
// the hottest node's load, against the membership metadata each node keeps,
// for S=30 nodes, N=3 and partitioning strategies 1, 2 and 3.
//
// Every point builds rings with core/ring (Assign, New) and counts a fixed key
// population at its preference lists, so the efficiency is that of the code
// the simulator runs. The work is one pass over the sorted key positions per
// ring; repetitions run in parallel and land in fixed slots, so the output
// depends only on the seed.

const (
	fig8S = 30 // nodes (paper: "S=30 and N=3")
	fig8N = 3

	// fig8Zipf is the popularity exponent of the plotted workload
	// (ASSUMPTION: the paper does not describe its workload).
	fig8Zipf = 0.5
	// fig8S2Q is the fixed partition count of the plotted strategy 2 series
	// (ASSUMPTION, fitted: see fig8Notes).
	fig8S2Q = 1024
	// fig8MaxT is the largest T swept; S*T = 30720 is the paper's largest
	// metadata (DIGITIZED x-positions 30*2^k, k = 0..10).
	fig8MaxT = 1024
	// fig8Tol is how close ours must be to a DIGITIZED marker for the
	// comparison to hold: "within a few hundredths" (PAPER.md §3).
	fig8Tol = 0.03
)

// fig8Sens are the extra popularity exponents reported as columns, to show how
// a hotter workload flattens every strategy onto the same curve.
var fig8Sens = []float64{0.8, 0.99}

func init() {
	Register(Experiment{
		Name:  "fig8",
		Title: "Figure 8: load-balancing efficiency against metadata per node (S=30, N=3, strategies 1, 2, 3)",
		Run:   runFig8,
	})
}

// fig8Size is the scale of a run: the key population and the repetitions
// (independent token draws and popularity rankings) averaged per point.
type fig8Size struct{ keys, reps int }

func fig8SizeOf(s Scale) fig8Size {
	if s == Full {
		return fig8Size{keys: 1_000_000, reps: 20}
	}
	return fig8Size{keys: 200_000, reps: 4}
}

// fig8Series is one curve: a strategy and how its Q follows T.
type fig8Series struct {
	label    string
	strategy ring.Strategy
	fixedQ   int // strategy 2 with a fixed Q
	qPerTok  int // strategy 2 with Q = qPerTok*S*T
	plotted  int // index in the main figure (0, 1, 2), or -1
}

var fig8AllSeries = []fig8Series{
	{label: "Strategy 1", strategy: ring.Strategy1, plotted: 0},
	{label: "Strategy 2", strategy: ring.Strategy2, fixedQ: fig8S2Q, plotted: 1},
	{label: "Strategy 3", strategy: ring.Strategy3, plotted: 2},
	{label: "Strategy 2, Q=8·S·T", strategy: ring.Strategy2, qPerTok: 8, plotted: -1},
	{label: "Strategy 2, Q=256", strategy: ring.Strategy2, fixedQ: 256, plotted: -1},
	{label: "Strategy 2, Q=4096", strategy: ring.Strategy2, fixedQ: 4096, plotted: -1},
	{label: "Strategy 2, Q=16384", strategy: ring.Strategy2, fixedQ: 16384, plotted: -1},
}

// fig8Config is one point of one series.
type fig8Config struct {
	series int // index in fig8AllSeries
	params ring.Params
}

// fig8Configs lists every point: for strategies 1 and 2, T = 1, 2, ..., 1024
// (metadata S*T); for strategy 3, Q = 30, 60, ..., 30720 (metadata Q).
func fig8Configs() []fig8Config {
	var out []fig8Config
	for si, s := range fig8AllSeries {
		for t := 1; t <= fig8MaxT; t *= 2 {
			p := ring.Params{Strategy: s.strategy}
			switch {
			case s.strategy == ring.Strategy1:
				p.T = t
			case s.strategy == ring.Strategy3:
				p.Q = fig8S * t
			case s.fixedQ > 0:
				p.T, p.Q = t, s.fixedQ
			default:
				p.T, p.Q = t, s.qPerTok*fig8S*t
			}
			out = append(out, fig8Config{series: si, params: p})
		}
	}
	return out
}

// fig8Eff is what one ring gives: efficiencies under each way of counting.
type fig8Eff struct {
	zipf, uniform, coord, own float64
	sens                      []float64 // one per fig8Sens
	metadata                  int
}

// fig8Point aggregates a config over the repetitions.
type fig8Point struct {
	cfg                             fig8Config
	metadata                        int
	zipfMean, zipfMin, zipfMax      float64
	uniformMean, coordMean, ownMean float64
	sensMean                        []float64
}

// fig8Data is the measured sweep, kept for the tests and the comparisons.
type fig8Data struct {
	size   fig8Size
	points []fig8Point
}

// series returns the points of series si in increasing metadata order.
func (d *fig8Data) series(si int) []fig8Point {
	var out []fig8Point
	for _, p := range d.points {
		if p.cfg.series == si {
			out = append(out, p)
		}
	}
	return out
}

// fig8Keys hashes the key population "key0".."key<n-1>" with ring.HashKey
// and returns the positions sorted, so that consecutive lookups hit the same
// or the next range.
func fig8Keys(n int) []ring.Token {
	pos := make([]ring.Token, n)
	for i := range pos {
		pos[i] = ring.HashKey("key" + strconv.Itoa(i))
	}
	slices.SortFunc(pos, ring.Token.Compare)
	return pos
}

// fig8ZipfByRank returns (r+1)^-s for ranks r = 0..n-1.
func fig8ZipfByRank(n int, s float64) []float64 {
	w := make([]float64, n)
	for r := range w {
		w[r] = math.Pow(float64(r+1), -s)
	}
	return w
}

func fig8Nodes() []ring.NodeID {
	nodes := make([]ring.NodeID, fig8S)
	for i := range nodes {
		nodes[i] = ring.NodeID(i)
	}
	return nodes
}

// fig8Measure runs the sweep. progress is called from the calling goroutine.
func fig8Measure(scale Scale, seed uint64, progress func(done, total int)) (*fig8Data, error) {
	return fig8MeasureSize(fig8SizeOf(scale), seed, progress)
}

func fig8MeasureSize(size fig8Size, seed uint64, progress func(done, total int)) (*fig8Data, error) {
	cfgs := fig8Configs()
	total := size.reps*len(cfgs) + 1
	report := func(done int) {
		if progress != nil {
			progress(done, total)
		}
	}
	report(0)

	keys := fig8Keys(size.keys)
	exps := append([]float64{fig8Zipf}, fig8Sens...)
	byRank := make([][]float64, len(exps))
	for i, s := range exps {
		byRank[i] = fig8ZipfByRank(size.keys, s)
	}
	report(1)

	// Repetition k draws everything from its own generator streams, seeded
	// from the run's seed, so results do not depend on scheduling.
	master := rand.New(rand.NewPCG(seed, 0x6669673820)) // "fig8 "
	repSeeds := make([]uint64, size.reps)
	for i := range repSeeds {
		repSeeds[i] = master.Uint64()
	}

	effs := make([][]fig8Eff, size.reps)
	errs := make([]error, size.reps)
	doneCh := make(chan struct{}, 64)
	jobs := make(chan int)
	workers := min(runtime.GOMAXPROCS(0), size.reps)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range jobs {
				effs[k], errs[k] = fig8Rep(keys, byRank, repSeeds[k], cfgs, func() { doneCh <- struct{}{} })
			}
		}()
	}
	go func() {
		for k := range size.reps {
			jobs <- k
		}
		close(jobs)
		wg.Wait()
		close(doneCh)
	}()
	done := 1
	for range doneCh {
		done++
		report(done)
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}

	d := &fig8Data{size: size}
	for ci, c := range cfgs {
		p := fig8Point{cfg: c, zipfMin: math.Inf(1), zipfMax: math.Inf(-1), sensMean: make([]float64, len(fig8Sens))}
		for k := range size.reps {
			e := effs[k][ci]
			p.metadata = e.metadata
			p.zipfMean += e.zipf
			p.zipfMin = min(p.zipfMin, e.zipf)
			p.zipfMax = max(p.zipfMax, e.zipf)
			p.uniformMean += e.uniform
			p.coordMean += e.coord
			p.ownMean += e.own
			for j := range fig8Sens {
				p.sensMean[j] += e.sens[j]
			}
		}
		n := float64(size.reps)
		p.zipfMean /= n
		p.uniformMean /= n
		p.coordMean /= n
		p.ownMean /= n
		for j := range p.sensMean {
			p.sensMean[j] /= n
		}
		d.points = append(d.points, p)
	}
	return d, nil
}

// fig8Rep measures every config for one repetition. Strategies 1 and 2 at the
// same T share one token draw, so the difference between them is the
// partitioning alone; the key popularity ranking is one random permutation
// per repetition.
func fig8Rep(keys []ring.Token, byRank [][]float64, repSeed uint64, cfgs []fig8Config, done func()) ([]fig8Eff, error) {
	nw := len(byRank)
	perm := rand.New(rand.NewPCG(repSeed, 1)).Perm(len(keys))
	weights := make([][]float64, nw)
	for j := range weights {
		w := make([]float64, len(keys))
		for i, r := range perm {
			w[i] = byRank[j][r]
		}
		weights[j] = w
	}

	nodes := fig8Nodes()
	members := map[int][]ring.Member{} // by T; looked up, never iterated
	type cached struct{ acc [][]float64 }
	byQ := map[int]cached{} // per-partition sums by Q; looked up, never iterated
	out := make([]fig8Eff, len(cfgs))
	buf := make([]ring.NodeID, 0, fig8S)

	for ci, c := range cfgs {
		p := c.params
		var ms []ring.Member
		var err error
		if p.Strategy == ring.Strategy3 {
			ms, err = ring.Assign(p, nodes, rand.New(rand.NewPCG(repSeed, 1_000_000+uint64(p.Q))))
		} else if ms = members[p.T]; ms == nil {
			ms, err = ring.Assign(ring.Params{Strategy: ring.Strategy1, T: p.T}, nodes, rand.New(rand.NewPCG(repSeed, 1000+uint64(p.T))))
			members[p.T] = ms
		}
		if err != nil {
			return nil, err
		}
		r, err := ring.New(p, ms)
		if err != nil {
			return nil, err
		}

		// Per-range sums: nw Zipf workloads, then the uniform count. Under
		// strategies 2 and 3 a range is a partition, which does not depend
		// on the tokens, so the sums are reused across rings with equal Q.
		var acc [][]float64
		if cq, ok := byQ[p.Q]; ok && p.Q > 0 {
			acc = cq.acc
		} else {
			acc = make([][]float64, nw+1)
			for j := range acc {
				acc[j] = make([]float64, r.NumRanges())
			}
			cnt := acc[nw]
			for i, k := range keys {
				idx := r.RangeIndex(k)
				for j := range nw {
					acc[j][idx] += weights[j][i]
				}
				cnt[idx]++
			}
			if p.Q > 0 {
				byQ[p.Q] = cached{acc}
			}
		}

		load := make([][fig8S]float64, nw+1)
		var coord, own [fig8S]float64
		for i := range r.NumRanges() {
			buf = r.RangePreference(i, buf)
			f := r.RangeAt(i).Fraction()
			for _, id := range buf[:fig8N] {
				for j := range acc {
					load[j][id] += acc[j][i]
				}
				own[id] += f
			}
			coord[buf[0]] += acc[0][i]
		}
		e := fig8Eff{
			zipf:     fig8Efficiency(load[0][:]),
			uniform:  fig8Efficiency(load[nw][:]),
			coord:    fig8Efficiency(coord[:]),
			own:      fig8Efficiency(own[:]),
			metadata: r.MetadataSize(),
		}
		for j := 1; j < nw; j++ {
			e.sens = append(e.sens, fig8Efficiency(load[j][:]))
		}
		out[ci] = e
		done()
	}
	return out, nil
}

// fig8Efficiency is the paper's "ratio of average number of requests served by
// each node to the maximum number of requests served by the hottest node".
func fig8Efficiency(load []float64) float64 {
	var sum, hot float64
	for _, l := range load {
		sum += l
		hot = max(hot, l)
	}
	if hot == 0 {
		return math.NaN()
	}
	return sum / float64(len(load)) / hot
}

func runFig8(scale Scale, seed uint64, progress func(done, total int)) (*Result, error) {
	d, err := fig8Measure(scale, seed, progress)
	if err != nil {
		return nil, err
	}
	res := &Result{
		Name:  "fig8",
		Title: "Figure 8: load-balancing efficiency against metadata per node (S=30, N=3, strategies 1, 2, 3)",
		Seed:  seed,
		Scale: scale,
		Params: []Param{
			{Name: "S (nodes)", Value: strconv.Itoa(fig8S)},
			{Name: "N (replicas counted per request)", Value: strconv.Itoa(fig8N)},
			{Name: "strategies 1 and 2: T (random tokens per node)", Value: "1, 2, 4, ..., 1024; metadata = S*T token positions (ring.MetadataSize)"},
			{Name: "strategy 3: Q (equal partitions, Q/S per node)", Value: "30, 60, ..., 30720; metadata = Q partition-to-node entries (ring.MetadataSize)"},
			{Name: "strategy 2: Q", Value: fmt.Sprintf("fixed Q=%d for every T (the plotted series); the CSV also has Q=256, 4096, 16384 and Q=8*S*T (always Q >> S*T)", fig8S2Q), Assumption: true},
			{Name: "strategy 2 tokens", Value: "the same token draw as strategy 1 at the same T and repetition, so S1 and S2 differ only in partitioning"},
			{Name: "strategy 3 assignment", Value: "ring.Assign: a random permutation of the Q partitions dealt round-robin, so every node owns exactly Q/S"},
			{Name: "keys", Value: fmt.Sprintf("%d keys \"key0\"..\"key%d\", placed by MD5 (ring.HashKey)", d.size.keys, d.size.keys-1)},
			{Name: "popularity", Value: fmt.Sprintf("Zipf, weight of rank r (1-based) = r^-%g; ranks are a random permutation of the keys per repetition", fig8Zipf), Assumption: true},
			{Name: "request counts", Value: "each key's expected request count (its popularity weight), i.e. the long-run load without sampling noise", Assumption: true},
			{Name: "load counting", Value: "efficiency_zipf/uniform: every request counted at each of its N replicas; efficiency_coordinator: at the first node of the preference list only; efficiency_ownership: each node's share of the key space among the first N (infinitely many uniform keys)"},
			{Name: "control workloads", Value: fmt.Sprintf("uniform popularity over the same keys; Zipf exponents %v", fig8Sens)},
			{Name: "efficiency", Value: "mean per-node load / the hottest node's load"},
			{Name: "repetitions averaged per point", Value: fmt.Sprintf("%d (each with its own token draw and popularity ranking; generator streams derived from the run's seed); min and max are over the repetitions", d.size.reps)},
		},
		Columns: []string{"series", "strategy", "T", "Q", "metadata",
			"efficiency_zipf_mean", "efficiency_zipf_min", "efficiency_zipf_max",
			"efficiency_uniform_mean", "efficiency_coordinator_mean", "efficiency_ownership_mean"},
	}
	for _, s := range fig8Sens {
		res.Columns = append(res.Columns, fmt.Sprintf("efficiency_zipf_%g_mean", s))
	}
	res.Columns = append(res.Columns, "repetitions")
	f4 := func(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) }
	for _, p := range d.points {
		s := fig8AllSeries[p.cfg.series]
		t, q := strconv.Itoa(p.cfg.params.T), strconv.Itoa(p.cfg.params.Q)
		switch s.strategy {
		case ring.Strategy1:
			q = ""
		case ring.Strategy3:
			t = strconv.Itoa(p.cfg.params.Q / fig8S)
		}
		row := []string{s.label, s.strategy.String(), t, q, strconv.Itoa(p.metadata),
			f4(p.zipfMean), f4(p.zipfMin), f4(p.zipfMax), f4(p.uniformMean), f4(p.coordMean), f4(p.ownMean)}
		for _, m := range p.sensMean {
			row = append(row, f4(m))
		}
		row = append(row, strconv.Itoa(d.size.reps))
		res.Rows = append(res.Rows, row)
	}
	figs, err := fig8Figures(d)
	if err != nil {
		return nil, err
	}
	res.Figures = figs
	res.Compare = fig8Compare(d)
	res.Notes = fig8Notes(d)
	return res, nil
}
