package experiments

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/dynamo-replay/dynamo/sim"
)

// Section 6.3: how many versions a shopping cart's reads see, and whether
// divergence grows with concurrent writers or with failures (PAPER.md
// section 2.5 and section 3's spec "§6.3").
//
// Human sessions are closed-loop clients that read a cart, or read it and
// write it back with the read's context (a read-modify-write, like adding an
// item), one request at a time; carts are chosen uniformly, so two humans
// rarely touch one cart at once. Robots (sim.Workload.Robots) are extra
// clients that write blindly, without a context, to a few carts: every robot
// write is concurrent with whatever the cart holds, and stays a sibling until
// a human's read-modify-write reads and merges it. Failures come from the
// nemesis: partitions, crashes and bursts of message loss at a given rate.
//
// Three groups of runs: a paper-like run (no robots, mild failures), a sweep
// over the number of robots at the paper-like failure rate, and a sweep over
// the failure rate without robots. The paper-like run is the first point of
// both sweeps.

func init() {
	Register(Experiment{
		Name:  "divergence",
		Title: "Section 6.3: versions seen per read, against concurrent writers (robots) and against failures",
		Run:   runDivergence,
	})
}

const (
	divNodes     = 10
	divClients   = 100 // human sessions
	divKeys      = 30_000
	divRobotKeys = 300 // 1% of the carts
	divGetFrac   = 0.3
	divRMWFrac   = 0.7
	// divPaperRobots and divPaperRate are the paper-like run: no robots,
	// and a fault every 50 simulated seconds on average.
	divPaperRobots = 0
	divPaperRate   = 0.02
)

// divThink is a client's pause between operations (humans and robots alike:
// the simulator gives every closed-loop client the same think time).
var divThink = sim.Dist{Kind: "exp", Scale: 25 * time.Millisecond}

// divFaultKinds are the failures of the failure axis; the rate is split
// evenly among them.
var divFaultKinds = []sim.FaultKind{sim.FaultPartition, sim.FaultCrash, sim.FaultLossBurst}

// divSweeps are the two sweeps' values: robots, and faults per simulated
// second. Each holds the paper-like value.
func divSweeps(scale Scale) (robots []int, rates []float64) {
	if scale == Full {
		return []int{0, 1, 2, 4, 8, 16}, []float64{0, 0.02, 0.2, 0.5, 1, 2}
	}
	return []int{0, 1, 4, 16}, []float64{0, 0.02, 0.5, 2}
}

// divRunOps is the operation budget of one simulator run: about 25 simulated
// seconds, long enough to take in most of the divergence a partition leaves
// behind until hinted handoff has drained. Every run has the same length at
// both scales, so that the two scales measure the same thing; the full scale
// runs more of them and more sweep points.
const divRunOps = 100_000

// divReplicates is how many runs (seeds) the paper-like point and every other
// sweep point pool.
func divReplicates(scale Scale) (paper, sweep int) {
	if scale == Full {
		return 8, 3
	}
	return 1, 1
}

// divRun is one point of the experiment: its runs' reads, pooled.
type divRun struct {
	Group  string // "paper-like", "writers" or "failures"
	Robots int
	Rate   float64 // faults per simulated second of the load
	Runs   int     // simulator runs pooled, each of divRunOps operations

	// Reads[v] is how many successful gets returned v versions.
	Reads       []int
	Ops         int // operations issued
	Gets        int // gets issued
	Unknown     int // operations without an answer
	Rejected    int
	RobotWrites int
	Crashes     int
	Partitions  int
	LossBursts  int
	SimTime     time.Duration
	Wall        time.Duration
}

// add pools one run's counts into the point.
func (r *divRun) add(o *divRun) {
	for len(r.Reads) < len(o.Reads) {
		r.Reads = append(r.Reads, 0)
	}
	for v, n := range o.Reads {
		r.Reads[v] += n
	}
	r.Ops += o.Ops
	r.Gets += o.Gets
	r.Unknown += o.Unknown
	r.Rejected += o.Rejected
	r.RobotWrites += o.RobotWrites
	r.Crashes += o.Crashes
	r.Partitions += o.Partitions
	r.LossBursts += o.LossBursts
	r.SimTime += o.SimTime
	r.Wall += o.Wall
}

func divConfig(seed uint64, robots int, rate float64, ops int) sim.Config {
	cfg := sim.DefaultConfig(seed)
	cfg.Nodes = divNodes
	w := &cfg.Workload
	w.Clients = divClients
	w.Keys = divKeys
	w.Zipf = 0
	w.GetFraction, w.RMWFraction, w.DeleteFraction = divGetFrac, divRMWFrac, 0
	w.Think = divThink
	w.Ops = ops
	w.Robots = robots
	if robots > 0 {
		w.RobotKeys = divRobotKeys
	}
	if rate > 0 {
		cfg.Faults.Nemesis = true
		for k := range cfg.Faults.Kinds {
			cfg.Faults.Kinds[k].Mode = sim.KindOff
		}
		for _, k := range divFaultKinds {
			cfg.Faults.Kinds[k] = sim.KindSetting{Mode: sim.KindOn, Rate: rate / float64(len(divFaultKinds))}
		}
	}
	// The measurement is the load's reads; no need to wait for convergence.
	cfg.Quiet = 0
	return cfg
}

// divPlan lists the points: the paper-like point first, then the other
// points of the writers sweep, then those of the failures sweep.
func divPlan(scale Scale) []divRun {
	paperRuns, sweepRuns := divReplicates(scale)
	robots, rates := divSweeps(scale)
	runs := []divRun{{Group: "paper-like", Robots: divPaperRobots, Rate: divPaperRate, Runs: paperRuns}}
	for _, r := range robots {
		if r != divPaperRobots {
			runs = append(runs, divRun{Group: "writers", Robots: r, Rate: divPaperRate, Runs: sweepRuns})
		}
	}
	for _, f := range rates {
		if f != divPaperRate {
			runs = append(runs, divRun{Group: "failures", Robots: divPaperRobots, Rate: f, Runs: sweepRuns})
		}
	}
	return runs
}

// divSeed derives the seed of replicate j (splitmix64). Replicate j of every
// point has the same seed: common random numbers, so that points differ only
// in what is swept.
func divSeed(seed uint64, j int) uint64 {
	z := seed + uint64(j+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// divExecute runs replicate j of a point and returns its counts.
func divExecute(seed uint64, j int, pt *divRun) (*divRun, error) {
	cfg := divConfig(divSeed(seed, j), pt.Robots, pt.Rate, divRunOps)
	res, err := sim.Run(cfg)
	if err != nil {
		return nil, err
	}
	r := &divRun{Ops: res.LoadOps}
	ops := res.History.Ops[:res.LoadOps]
	sum := sim.Summarize(ops)
	maxV := 0
	for _, b := range sum.VersionsPerRead {
		maxV = max(maxV, b.Versions)
	}
	r.Reads = make([]int, maxV+1)
	for _, b := range sum.VersionsPerRead {
		r.Reads[b.Versions] = b.Reads
	}
	r.Gets, r.Unknown, r.Rejected = sum.Gets, sum.Unknown, sum.Rejected
	for _, op := range ops {
		// The simulator creates the robots first: clients 0..Robots-1.
		if op.Client < pt.Robots && op.Kind != "get" {
			r.RobotWrites++
		}
	}
	r.Crashes, r.Partitions = int(res.Stats.Crashes), int(res.Stats.Partitions)
	for _, p := range res.Probes {
		if p.Name == sim.FaultLossBurst.Probe() {
			r.LossBursts = int(p.Count)
		}
	}
	r.SimTime, r.Wall = res.SimTime, res.Wall
	return r, nil
}

// Derived statistics of a run's reads.

// existing is the number of successful reads that found the key (at least
// one version); all counts the empty reads too.
func (r *divRun) existing() int {
	n := 0
	for v := 1; v < len(r.Reads); v++ {
		n += r.Reads[v]
	}
	return n
}

func (r *divRun) all() int {
	if len(r.Reads) == 0 {
		return 0
	}
	return r.existing() + r.Reads[0]
}

func (r *divRun) count(v int) int {
	if v < len(r.Reads) {
		return r.Reads[v]
	}
	return 0
}

// share is count/n, NaN for n = 0.
func divShare(count, n int) float64 {
	if n == 0 {
		return math.NaN()
	}
	return float64(count) / float64(n)
}

// multi is the fraction of reads of existing keys that saw more than one
// version.
func (r *divRun) multi() float64 { return divShare(r.existing()-r.count(1), r.existing()) }

// meanVersions is the mean number of versions over reads of existing keys.
func (r *divRun) meanVersions() float64 {
	s := 0
	for v := 1; v < len(r.Reads); v++ {
		s += v * r.Reads[v]
	}
	return divShare(s, r.existing())
}

// extra is the number of divergent versions per read beyond the first (the
// mean number of versions minus one, over reads of existing keys): the
// paper's "number of divergent versions", per read.
func (r *divRun) extra() float64 { return r.meanVersions() - 1 }

// divData is every run of one experiment.
type divData struct {
	Scale Scale
	Seed  uint64
	Runs  []divRun // points, in divPlan's order
}

func divMeasure(scale Scale, seed uint64, progress func(done, total int)) (*divData, error) {
	runs := divPlan(scale)
	type job struct{ point, rep int }
	var jobs []job
	for i := range runs {
		for j := range runs[i].Runs {
			jobs = append(jobs, job{i, j})
		}
	}
	// The robot-heavy runs first (their sibling sets make them the slowest),
	// so that the others fill the gaps.
	sort.SliceStable(jobs, func(a, b int) bool { return runs[jobs[a].point].Robots > runs[jobs[b].point].Robots })
	out := make([]*divRun, len(jobs))
	err := runEach(len(jobs), progress, func(i int) error {
		pt := &runs[jobs[i].point]
		r, err := divExecute(seed, jobs[i].rep, pt)
		if err != nil {
			return fmt.Errorf("divergence: robots=%d rate=%g run %d: %w", pt.Robots, pt.Rate, jobs[i].rep, err)
		}
		out[i] = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Pool in replicate order, whatever order the runs finished in.
	for j := 0; ; j++ {
		any := false
		for i, jb := range jobs {
			if jb.rep == j {
				runs[jb.point].add(out[i])
				any = true
			}
		}
		if !any {
			break
		}
	}
	return &divData{Scale: scale, Seed: seed, Runs: runs}, nil
}

// paper is the paper-like run.
func (d *divData) paper() *divRun { return &d.Runs[0] }

// writers is the writers sweep in divRobots order (the paper-like run at its
// robot count); failures the failures sweep in divRates order.
func (d *divData) writers() []*divRun {
	var out []*divRun
	robots, _ := divSweeps(d.Scale)
	for _, n := range robots {
		for i := range d.Runs {
			r := &d.Runs[i]
			if r.Robots == n && r.Rate == divPaperRate && (r.Group != "failures") {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

func (d *divData) failures() []*divRun {
	var out []*divRun
	_, rates := divSweeps(d.Scale)
	for _, f := range rates {
		for i := range d.Runs {
			r := &d.Runs[i]
			if r.Rate == f && r.Robots == divPaperRobots && r.Group != "writers" {
				out = append(out, r)
				break
			}
		}
	}
	return out
}
