package sim

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/dynamo-replay/dynamo/checks"
)

// Profiles are the names ProfileConfig accepts, in the order help texts list them.
var Profiles = []string{"default", "strict"}

// ProfileConfig is the one place that says what a sweep profile means: the
// configuration every seed of `dynamo sweep --profile name` starts from, before
// the command line's sim flags apply. It takes the seed so that a profile may
// one day draw knobs per seed (as TigerBeetle's VOPR swarm does); today neither
// profile does. Keep every field a profile sets reachable by a `dynamo sim`
// flag, or the replay lines a sweep prints cannot be exact (the sweep warns).
//
//   - default: the scenario of `dynamo sim`, DefaultConfig: (N,R,W) = (3,2,2),
//     sloppy quorum, dvv. Stale reads are allowed; no invented values, no lost
//     acknowledged writes and convergence must hold.
//   - strict: the core's strict mode (no sloppy quorum, R + W > N, reads that
//     write the merged result back to a write quorum before they answer) on
//     the same (3,2,2); the simulator then promises linearizability.
func ProfileConfig(name string, seed uint64) (Config, error) {
	cfg := DefaultConfig(seed)
	switch name {
	case "default":
	case "strict":
		cfg.Strict = true
	default:
		return Config{}, fmt.Errorf("unknown profile %q: want %s", name, strings.Join(Profiles, " or "))
	}
	return cfg, nil
}

// KnownProbes is every coverage probe the core and the simulator can fire.
// A sweep lists those that never fired on any seed: a fault or a protocol path
// the sweep never exercised proves nothing about it. Add a name here whenever
// a new probe call lands (TestKnownProbesListsEveryProbe checks).
var KnownProbes = []string{
	// sim: the nemesis, one probe per FaultKind (FaultKind.Probe)
	"nemesis_partition",
	"nemesis_isolate",
	"nemesis_one_way",
	"nemesis_bridge",
	"nemesis_crash",
	"nemesis_reboot",
	"nemesis_clock_jump",
	"nemesis_clock_drift",
	"nemesis_slow_disk",
	"nemesis_disk_fail",
	"nemesis_loss_burst",
	"nemesis_dup_burst",
	"nemesis_reorder_burst",
	"nemesis_clog",
	"nemesis_join",
	"nemesis_leave",
	// sim: what the faults did
	"disk_write_failed",
	"torn_tail_truncated",
	// core: requests
	"forwarded",
	"forward_duplicate_dropped",
	"forward_timeout",
	"get_timeout",
	"put_timeout",
	"local_write_failed",
	"read_repair",
	"strict_write_back",
	"buffer_full_flush",
	// core: failure detection, sloppy quorum, hinted handoff
	"peer_down",
	"peer_recovered",
	"sloppy_fallback",
	"fallback_coordinator",
	"hint_stored",
	"hint_delivered",
	"hint_readdressed",
	// core: Merkle anti-entropy
	"ae_exchange",
	"ae_moved_keys",
	// core: membership and key-range transfer
	"join",
	"leave",
	"left",
	"leaver_dealt_tokens",
	"membership_incomplete",
	"ring_changed",
	"transfer_planned",
	"transfer_refused_duplicate",
	"transfer_confirmed",
	"transfer_taken_over",
	// core: admission control of background work
	"background_deferred",
	"background_throttled",
}

// SeedResult is one seed of a sweep: its run and the checks of its history.
type SeedResult struct {
	Seed   uint64
	Config Config
	// Result is nil when Err is set.
	Result *Result
	Report checks.Report
	// Err is set when the run did not finish: an invalid configuration, or a
	// panic (a node's broken invariant, or anywhere else in the run or checks).
	Err error
	// Wall is the wall-clock time of the run and its checks.
	Wall time.Duration
}

// Failed says whether the seed fails the sweep: a must-hold check did not pass,
// or the run did not finish.
func (r SeedResult) Failed() bool { return r.Err != nil || r.Report.Failed() }

// RunSeed runs one seed as a sweep does: builds its configuration with mk
// (whose Seed is then forced to seed), simulates it, and checks the history.
// It never panics: a panic becomes Err.
func RunSeed(seed uint64, mk func(seed uint64) Config) (r SeedResult) {
	start := time.Now()
	r.Seed = seed
	defer func() {
		if p := recover(); p != nil {
			r.Result, r.Report = nil, checks.Report{}
			r.Err = fmt.Errorf("seed %d: panic: %v", seed, p)
		}
		r.Wall = time.Since(start)
	}()
	cfg := mk(seed)
	cfg.Seed = seed
	r.Config = cfg
	s, err := New(cfg)
	if err != nil {
		r.Err = fmt.Errorf("seed %d: %w", seed, err)
		return r
	}
	res, err := s.Run()
	if err != nil {
		r.Err = err
		return r
	}
	r.Result = res
	r.Report = checks.Run(res.History, checks.Options{})
	return r
}

// Sweep runs every seed with up to jobs seeds at a time, each in its own
// goroutine with its own Sim (a run stays single-threaded and deterministic;
// runs share nothing). mk builds a seed's configuration and must be safe to
// call from several goroutines. Checks run in the workers too, since they cost
// about as much as the simulation.
//
// onResult, when not nil, sees every seed in the order of seeds, whatever
// order they finish in, so anything printed from it is deterministic. At most
// a few times jobs results wait for a slow seed before it.
//
// The summary is a pure function of the seeds' results, except for the
// wall-clock fields.
func Sweep(seeds []uint64, mk func(seed uint64) Config, jobs int, onResult func(SeedResult)) SweepSummary {
	start := time.Now()
	if jobs < 1 {
		jobs = 1
	}
	if jobs > len(seeds) {
		jobs = max(len(seeds), 1)
	}
	var t tally
	t.init()

	type done struct {
		i int
		r SeedResult
	}
	// A slot per seed started and not yet reported bounds how many finished
	// results (histories included) can wait behind a slow one.
	slots := make(chan struct{}, 4*jobs)
	next := make(chan int)
	out := make(chan done, jobs)
	go func() {
		defer close(next)
		for i := range seeds {
			slots <- struct{}{}
			next <- i
		}
	}()
	var wg sync.WaitGroup
	for w := 0; w < jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out <- done{i, RunSeed(seeds[i], mk)}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(out)
	}()

	pending := make(map[int]SeedResult, 4*jobs)
	want := 0
	for d := range out {
		pending[d.i] = d.r
		for {
			r, ok := pending[want]
			if !ok {
				break
			}
			delete(pending, want)
			t.add(r)
			if onResult != nil {
				onResult(r)
			}
			<-slots
			want++
		}
	}
	return t.summary(time.Since(start), jobs)
}

// SweepSummary aggregates a sweep's seeds.
type SweepSummary struct {
	Seeds int `json:"seeds"`
	// Failed counts seeds that failed a must-hold check or did not finish.
	Failed       int      `json:"failed"`
	FailingSeeds []uint64 `json:"failing_seeds"`
	// Errors counts seeds whose run did not finish (a panic, an invalid configuration).
	Errors int `json:"errors"`

	// Checks tallies each checker over the seeds, in report order.
	Checks []CheckTally `json:"checks"`
	// StaleReads sums the stale reads found; StaleReadSeeds counts the seeds with any.
	StaleReads     int `json:"stale_reads"`
	StaleReadSeeds int `json:"stale_read_seeds"`
	// Linearizability counts porcupine's outcomes.
	Linearizability LinearizabilityTally `json:"linearizability"`
	// Convergence says how long after the final heal every key's replicas
	// agreed, before the scrub (Result.ConvergeTime).
	Convergence ConvergeTally `json:"convergence"`

	// Ops counts load-phase client operations; CheckedOps every operation the
	// checks saw (the end-of-run scrub reads included).
	Ops        int `json:"ops"`
	CheckedOps int `json:"checked_ops"`
	// World sums sim.Stats: events and the faults injected (messages lost,
	// duplicated, reordered, dropped; crashes, restarts, partitions ...).
	World Counters `json:"world"`
	// NodeStats sums core.Stats over the nodes up at the end of each run. A
	// node's counters restart at zero when it reboots, so under crashes these
	// undercount.
	NodeStats Counters `json:"node_stats"`
	// Probes merges the probe counts of every seed; ProbeSeeds says on how many
	// seeds each fired.
	Probes     []Probe        `json:"probes"`
	ProbeSeeds map[string]int `json:"probe_seeds"`
	// NeverFired lists the KnownProbes that fired on no seed; Unlisted the
	// probes that fired but are missing from KnownProbes.
	NeverFired []string `json:"probes_never_fired"`
	Unlisted   []string `json:"probes_not_in_known_probes,omitempty"`

	// Fingerprint hashes every seed's trace in seed order: two sweeps with the
	// same fingerprint ran the same seeds the same way.
	Fingerprint string `json:"fingerprint"`

	// SimSeconds sums simulated time; WallSeconds is the sweep's wall-clock
	// time; RunSeconds sums the seeds' wall-clock times (run and checks),
	// SimRunSeconds the part of it spent simulating.
	SimSeconds    float64 `json:"sim_seconds"`
	WallSeconds   float64 `json:"wall_seconds"`
	RunSeconds    float64 `json:"run_seconds"`
	SimRunSeconds float64 `json:"sim_run_seconds"`
	// SimPerWall is simulated seconds per wall-clock second of the sweep.
	SimPerWall     float64 `json:"sim_seconds_per_wall_second"`
	SeedsPerMinute float64 `json:"seeds_per_minute"`
	Jobs           int     `json:"jobs"`
}

// CheckTally is one checker over a sweep.
type CheckTally struct {
	Name string `json:"name"`
	// Promised counts the seeds on which the check must hold.
	Promised int `json:"promised"`
	// Failed counts seeds where the check must hold and did not pass (a
	// porcupine timeout included); FailedInformational those where it failed
	// without being promised (stale reads under Dynamo's defaults, say).
	Failed              int `json:"failed"`
	FailedInformational int `json:"failed_informational"`
	// Unknown counts porcupine timeouts.
	Unknown int `json:"unknown"`
	// Violations sums the verdicts' counts over every failing seed.
	Violations int `json:"violations"`
}

// LinearizabilityTally counts porcupine's verdicts over a sweep.
type LinearizabilityTally struct {
	Pass    int `json:"pass"`
	Fail    int `json:"fail"`
	Unknown int `json:"unknown"`
	Skipped int `json:"skipped"`
}

// ConvergeTally summarises, over the seeds, the time from the final heal
// until every key's top N replicas held the same siblings (polled every 100ms
// of simulated time during the quiet period).
type ConvergeTally struct {
	// Converged counts the seeds that converged within the quiet period;
	// NotConverged those that had not by its bound (the scrub's read repair
	// then has to do it).
	Converged    int           `json:"converged"`
	NotConverged int           `json:"not_converged"`
	Mean         time.Duration `json:"mean_ns"`
	P50          time.Duration `json:"p50_ns"`
	P99          time.Duration `json:"p99_ns"`
	Max          time.Duration `json:"max_ns"`
}

// Counter is one named count.
type Counter struct {
	Name  string
	Value uint64
}

// Counters keep the order of the struct fields they sum; they marshal as one
// JSON object.
type Counters []Counter

// Get returns the named counter.
func (cs Counters) Get(name string) (uint64, bool) {
	for _, c := range cs {
		if c.Name == name {
			return c.Value, true
		}
	}
	return 0, false
}

// MarshalJSON writes {"name": value, ...} in order.
func (cs Counters) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, c := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(c.Name)
		b = append(b, k...)
		b = fmt.Appendf(b, ":%d", c.Value)
	}
	return append(b, '}'), nil
}

// addCounters adds every unsigned and signed integer field of the struct v to
// cs, named in snake_case. Fields are found by reflection so that counters the
// simulator and the core add later show up in sweeps without a change here.
func addCounters(cs Counters, v any) Counters {
	rv := reflect.ValueOf(v)
	rt := rv.Type()
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		if !f.IsExported() {
			continue
		}
		var x uint64
		switch fv := rv.Field(i); fv.Kind() {
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			x = fv.Uint()
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			if fv.Int() < 0 {
				continue
			}
			x = uint64(fv.Int())
		default:
			continue
		}
		name := snake(f.Name)
		found := false
		for j := range cs {
			if cs[j].Name == name {
				cs[j].Value += x
				found = true
				break
			}
		}
		if !found {
			cs = append(cs, Counter{Name: name, Value: x})
		}
	}
	return cs
}

// snake turns a Go field name into snake_case: AEKeysMoved -> ae_keys_moved.
func snake(s string) string {
	r := []rune(s)
	var b strings.Builder
	for i, c := range r {
		if unicode.IsUpper(c) && i > 0 {
			prev := r[i-1]
			nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

// tally accumulates seeds in order.
type tally struct {
	s          SweepSummary
	checkIdx   map[string]int
	probes     map[string]uint64
	converge   []int64
	fp         uint64
	simTime    time.Duration
	runWall    time.Duration
	simRunWall time.Duration
}

func (t *tally) init() {
	t.checkIdx = map[string]int{}
	t.probes = map[string]uint64{}
	t.s.ProbeSeeds = map[string]int{}
	t.s.FailingSeeds = []uint64{}
	t.fp = 0xcbf29ce484222325
}

func (t *tally) mix(x uint64) {
	h := (t.fp ^ x) * 0x100000001b3
	t.fp = h ^ h>>29
}

func (t *tally) add(r SeedResult) {
	s := &t.s
	s.Seeds++
	t.runWall += r.Wall
	t.mix(r.Seed)
	if r.Failed() {
		s.Failed++
		s.FailingSeeds = append(s.FailingSeeds, r.Seed)
	}
	if r.Err != nil {
		s.Errors++
		t.mix(0)
		return
	}
	res := r.Result
	t.mix(res.Trace)
	s.Ops += res.LoadOps
	s.CheckedOps += len(res.History.Ops)
	t.simTime += res.SimTime
	t.simRunWall += res.Wall
	if res.Converged && res.ConvergeTime >= 0 {
		s.Convergence.Converged++
		t.converge = append(t.converge, int64(res.ConvergeTime))
	} else {
		s.Convergence.NotConverged++
	}
	s.World = addCounters(s.World, res.Stats)
	for _, n := range res.Nodes {
		s.NodeStats = addCounters(s.NodeStats, n.Stats)
	}
	for _, p := range res.Probes {
		t.probes[p.Name] += p.Count
		if p.Count > 0 {
			s.ProbeSeeds[p.Name]++
		}
	}

	rep := r.Report
	for _, v := range rep.Verdicts {
		i, ok := t.checkIdx[v.Name]
		if !ok {
			i = len(s.Checks)
			t.checkIdx[v.Name] = i
			s.Checks = append(s.Checks, CheckTally{Name: v.Name})
		}
		c := &s.Checks[i]
		if v.MustHold {
			c.Promised++
		}
		failed := !v.Passed && v.Status != checks.Skipped
		if failed && v.MustHold {
			c.Failed++
		} else if failed {
			c.FailedInformational++
		}
		if v.Status == checks.TimeOut {
			c.Unknown++
		}
		if v.Status == checks.Fail {
			c.Violations += v.Count
		}
		if v.Name == checks.NameLinearizable {
			switch v.Status {
			case checks.Pass:
				s.Linearizability.Pass++
			case checks.Fail:
				s.Linearizability.Fail++
			case checks.TimeOut:
				s.Linearizability.Unknown++
			default:
				s.Linearizability.Skipped++
			}
		}
	}
	s.StaleReads += rep.StaleReads
	if rep.StaleReads > 0 {
		s.StaleReadSeeds++
	}
}

func (t *tally) summary(wall time.Duration, jobs int) SweepSummary {
	s := t.s
	s.Jobs = jobs
	names := make([]string, 0, len(t.probes))
	for name := range t.probes {
		names = append(names, name)
	}
	sort.Strings(names)
	s.Probes = []Probe{}
	for _, name := range names {
		s.Probes = append(s.Probes, Probe{Name: name, Count: t.probes[name]})
	}
	s.NeverFired = []string{}
	known := map[string]bool{}
	for _, name := range KnownProbes {
		known[name] = true
		if t.probes[name] == 0 {
			s.NeverFired = append(s.NeverFired, name)
		}
	}
	for _, name := range names {
		if !known[name] {
			s.Unlisted = append(s.Unlisted, name)
		}
	}
	if s.World == nil {
		s.World = Counters{}
	}
	if s.NodeStats == nil {
		s.NodeStats = Counters{}
	}
	if n := len(t.converge); n > 0 {
		slices.Sort(t.converge)
		var sum int64
		for _, x := range t.converge {
			sum += x
		}
		c := &s.Convergence
		c.Mean = time.Duration(sum / int64(n))
		c.P50 = time.Duration(Percentile(t.converge, 0.50))
		c.P99 = time.Duration(Percentile(t.converge, 0.99))
		c.Max = time.Duration(t.converge[n-1])
	}
	s.Fingerprint = fmt.Sprintf("%016x", t.fp)
	s.SimSeconds = t.simTime.Seconds()
	s.RunSeconds = t.runWall.Seconds()
	s.SimRunSeconds = t.simRunWall.Seconds()
	s.WallSeconds = wall.Seconds()
	if s.WallSeconds > 0 {
		s.SimPerWall = s.SimSeconds / s.WallSeconds
		s.SeedsPerMinute = float64(s.Seeds) / s.WallSeconds * 60
	}
	return s
}
