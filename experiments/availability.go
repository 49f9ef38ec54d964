package experiments

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/dynamo-replay/dynamo/checks"
	"github.com/dynamo-replay/dynamo/sim"
)

// Availability against consistency under partitions: the default profile
// (sloppy quorum, hinted handoff, asynchronous read repair) against the
// strict profile (no sloppy quorum, R+W>N, reads that write back before they
// answer), both at (3,2,2), under a nemesis that only partitions the network
// (two-way partitions, isolated nodes, one-way partitions), at several rates.
// For each: the fraction of client operations acknowledged, the stale reads
// (gets that missed a write acknowledged before they started), and
// porcupine's verdict on the multi-value-register history.

func init() {
	Register(Experiment{
		Name:  "availability",
		Title: "Availability against consistency under partitions: sloppy quorum (default) against the strict profile",
		Run:   runAvailability,
	})
}

var (
	availProfiles = []string{"default", "strict"}
	// availRates are partitions per simulated second, split evenly over the
	// three partition kinds. 0 is the baseline without partitions.
	availRates = []float64{0, 0.05, 0.1, 0.2, 0.5, 1}
)

// availLinTimeout bounds porcupine on one history. Histories of this size
// check in milliseconds; a timeout would show as "unknown" in the output.
const availLinTimeout = 60 * time.Second

type availScale struct{ seeds, ops int }

func availScaleFor(scale Scale) availScale {
	if scale == Full {
		return availScale{seeds: 10, ops: 6000}
	}
	return availScale{seeds: 3, ops: 3000}
}

func availConfig(profile string, seed uint64, rate float64, ops int) (sim.Config, error) {
	cfg, err := sim.ProfileConfig(profile, seed)
	if err != nil {
		return cfg, err
	}
	cfg.Workload.Ops = ops
	cfg.Workload.OpenLoopRate = availArrivals
	cfg.Faults.PartitionTime = availPartitionTime
	// No spare slots: nothing joins, and the nemesis would otherwise draw
	// its partitions over the spares' slots too, isolating nodes that are
	// not running.
	cfg.Faults.Spares = 0
	if rate > 0 {
		cfg.Faults.Nemesis = true
		for k := range cfg.Faults.Kinds {
			cfg.Faults.Kinds[k] = sim.KindSetting{Mode: sim.KindOff}
		}
		for _, k := range availKinds {
			cfg.Faults.Kinds[k] = sim.KindSetting{Mode: sim.KindOn, Rate: rate / float64(len(availKinds))}
		}
	}
	return cfg, nil
}

// Requests arrive open-loop (a Poisson process, whatever the latency), so
// that every second of a partition gets as many requests as any other: with
// closed-loop clients, a profile whose requests hang for seconds in a
// partition would simply issue fewer of them there, hiding its
// unavailability. availPartitionTime makes each partition outlast the
// failure detector's 500ms, so that sloppy quorum has time to route around
// it.
const availArrivals = 300.0 // requests per simulated second

var availPartitionTime = sim.Dist{Kind: "uniform", Min: time.Second, Scale: 3 * time.Second}

var availKinds = []sim.FaultKind{sim.FaultPartition, sim.FaultIsolate, sim.FaultOneWay}

type availRun struct {
	ops, ok          int
	writes, writesOK int
	gets, getsOK     int
	stale            int
	lost             int
	lin              porcupine.CheckResult
	partitions       uint64
	simTime          time.Duration
	load, cut        time.Duration // length of the load phase, and how much of it a partition held
	// inKind[k]: operations called while a partition of availKinds[k] held,
	// and how many of them succeeded; outside: the rest.
	inKind  [3][2]int
	outside [2]int
}

func runAvailability(scale Scale, seed uint64, progress func(done, total int)) (*Result, error) {
	sc := availScaleFor(scale)
	np, nr := len(availProfiles), len(availRates)
	runs := make([]availRun, np*nr*sc.seeds)
	err := runEach(len(runs), progress, func(j int) error {
		pi, ri, k := j/(nr*sc.seeds), (j/sc.seeds)%nr, j%sc.seeds
		cfg, err := availConfig(availProfiles[pi], seed+uint64(k), availRates[ri], sc.ops)
		if err != nil {
			return err
		}
		res, err := sim.Run(cfg)
		if err != nil {
			return err
		}
		h := res.History
		r := &runs[j]
		for _, op := range h.Ops[:res.LoadOps] {
			r.ops++
			ok := op.Outcome == checks.Ok
			if ok {
				r.ok++
			}
			if op.Kind == checks.Get {
				r.gets++
				if ok {
					r.getsOK++
				}
			} else {
				r.writes++
				if ok {
					r.writesOK++
				}
			}
		}
		r.stale = len(checks.FindStaleReads(h))
		r.lost = checks.NoLostWrites(h).Count
		r.lin = checks.CheckLinearizable(h, availLinTimeout).Outcome
		r.partitions = res.Stats.Partitions
		r.load, r.cut = availPartitioned(h, int64(cfg.StartDelay))
		availByKind(h, res.LoadOps, r)
		r.simTime = res.SimTime
		return nil
	})
	if err != nil {
		return nil, err
	}
	return availResult(scale, seed, sc, runs)
}

// availPoint sums one profile's runs at one rate.
type availPoint struct {
	availRun
	pass, fail, unknown int
}

func availResult(scale Scale, seed uint64, sc availScale, runs []availRun) (*Result, error) {
	base, err := availConfig("default", seed, 1, sc.ops)
	if err != nil {
		return nil, err
	}
	r := &Result{
		Name:  "availability",
		Title: "Availability against consistency under partitions: sloppy quorum (default profile) against the strict profile",
		Seed:  seed,
		Scale: scale,
	}
	r.Params = []Param{
		{"profiles", "default (sim.ProfileConfig: sloppy quorum with hinted handoff, asynchronous read repair) and strict (no sloppy quorum, reads write their merge back to W replicas before answering)", false},
		{"nodes, (N,R,W), causality", fmt.Sprintf("%d, (%d,%d,%d), %s", base.Nodes, base.N, base.R, base.W, base.Causality), false},
		{"partition rate", "0, 0.05, 0.1, 0.2, 0.5, 1 strikes per simulated second of the load (exponential gaps), split evenly over two-way partitions, isolated nodes and one-way partitions (the nemesis's other kinds off); one partition holds at a time and a strike while one holds is skipped, so the share of time partitioned saturates (see partitioned_time_fraction)", true},
		{"partition duration", base.Faults.PartitionTime.String() + " (longer than the failure detector's 500ms, so that sloppy quorum can route around a partition)", true},
		{"spare node slots", "0 (nothing joins; the partitions are drawn over the five nodes only)", true},
		{"clients", "reach every node whatever the partition (server-driven routing: a load balancer picks a random node that is up)", false},
		{"workload", fmt.Sprintf("open-loop Poisson arrivals at %g requests per simulated second (%d operations per run, so a load of about %.0fs); the default scenario's mix on %d uniform keys: 30%% gets, 60%% read-modify-writes, 2%% deletes, the rest blind puts", availArrivals, sc.ops, float64(sc.ops)/availArrivals, base.Workload.Keys), true},
		{"network", fmt.Sprintf("latency %s, loss %g, duplication %g, reordering %g (the profiles' default)", base.Net.Latency, base.Net.Loss, base.Net.Duplicate, base.Net.Reorder), false},
		{"timeouts", "a coordinator gives up after 500ms (core default); a client records an unknown outcome after three request timeouts and the largest network delay", false},
		{"seeds per point", fmt.Sprintf("%d (seeds %d..%d; the same for both profiles and every rate)", sc.seeds, seed, seed+uint64(sc.seeds)-1), false},
		{"success", "an operation whose outcome is ok (a get that answered, a write that reached W); unknown (timed out) and rejected outcomes are failures", false},
		{"stale read", "checks.FindStaleReads: an ok get that missed a write acknowledged before it started and not yet superseded", false},
		{"linearizability", fmt.Sprintf("porcupine against the multi-value register, %s per history", availLinTimeout), false},
	}
	r.Params = append(r.Params, beyondCommonParams(base)...)
	r.Columns = []string{"profile", "partitions_per_s", "runs", "partitions", "partitioned_time_fraction", "ops", "ok_fraction", "writes", "writes_ok_fraction", "gets", "gets_ok_fraction", "stale_reads", "stale_fraction_of_ok_gets", "lost_writes", "linearizable_pass", "linearizable_fail", "linearizable_unknown"}
	okPlot := NewPlot("Successful requests under partitions", "partitions per simulated second", "fraction of client operations acknowledged")
	okPlot.Legend.Top, okPlot.Legend.Left = false, true
	stalePlot := NewPlot("Stale reads under partitions", "partitions per simulated second", "stale reads / acknowledged gets")
	points := make([][]availPoint, len(availProfiles))
	per := len(availRates) * sc.seeds
	for pi, prof := range availProfiles {
		points[pi] = make([]availPoint, len(availRates))
		okY, wY, staleY := make([]float64, len(availRates)), make([]float64, len(availRates)), make([]float64, len(availRates))
		for ri, rate := range availRates {
			var pt availPoint
			for k := range sc.seeds {
				x := runs[pi*per+ri*sc.seeds+k]
				pt.ops += x.ops
				pt.ok += x.ok
				pt.writes += x.writes
				pt.writesOK += x.writesOK
				pt.gets += x.gets
				pt.getsOK += x.getsOK
				pt.stale += x.stale
				pt.lost += x.lost
				pt.partitions += x.partitions
				pt.simTime += x.simTime
				pt.load += x.load
				pt.cut += x.cut
				switch x.lin {
				case porcupine.Ok:
					pt.pass++
				case porcupine.Illegal:
					pt.fail++
				default:
					pt.unknown++
				}
			}
			points[pi][ri] = pt
			okY[ri] = beyondFrac(pt.ok, pt.ops)
			wY[ri] = beyondFrac(pt.writesOK, pt.writes)
			staleY[ri] = beyondFrac(pt.stale, pt.getsOK)
			r.Rows = append(r.Rows, []string{prof, beyondFmt(rate), strconv.Itoa(sc.seeds), strconv.FormatUint(pt.partitions, 10),
				beyondFmt(float64(pt.cut) / float64(max(1, pt.load))),
				strconv.Itoa(pt.ops), beyondFmt(okY[ri]), strconv.Itoa(pt.writes), beyondFmt(wY[ri]), strconv.Itoa(pt.gets),
				beyondFmt(beyondFrac(pt.getsOK, pt.gets)), strconv.Itoa(pt.stale), beyondFmt(staleY[ri]), strconv.Itoa(pt.lost),
				strconv.Itoa(pt.pass), strconv.Itoa(pt.fail), strconv.Itoa(pt.unknown)})
		}
		if err := AddPoints(okPlot, prof+": all operations", availRates, okY, pi); err != nil {
			return nil, err
		}
		if err := AddLine(okPlot, prof+": writes", availRates, wY, pi, true); err != nil {
			return nil, err
		}
		if err := AddPoints(stalePlot, prof, availRates, staleY, pi); err != nil {
			return nil, err
		}
	}
	okPlot.Y.Max = 1
	stalePlot.Y.Min = 0
	r.Figures = []Figure{{Name: "success", Plot: okPlot}, {Name: "stale", Plot: stalePlot}}

	def, str := points[0], points[1]
	lo, hi := 1, len(availRates)-1
	writesDef, writesStr := 0, 0
	staleDef, staleStr, strictFail, strictLost, defLost := 0, 0, 0, 0, 0
	for ri := 1; ri < len(availRates); ri++ {
		writesDef += def[ri].writesOK
		writesStr += str[ri].writesOK
		staleDef += def[ri].stale
		staleStr += str[ri].stale
		strictFail += str[ri].fail + str[ri].unknown
	}
	for ri := range availRates {
		strictLost += str[ri].lost
		defLost += def[ri].lost
	}
	failAt := func(p availPoint) float64 { return 1 - beyondFrac(p.ok, p.ops) }
	const paperFail = 1 - 0.999995
	r.Compare = []Comparison{
		{Claim: "99.9995% of requests succeeded without timing out: the share that failed (default profile, no partitions)", Paper: paperFail, Ours: failAt(def[0]), Holds: failAt(def[0]) <= paperFail,
			Note: "the paper's figure is two years of production; our baseline still loses 1% of node-to-node messages and draws long-tailed delays, so some requests time out"},
		{Claim: fmt.Sprintf("99.9995%% of requests succeeded: the share that failed (default profile, %g partitions/s)", availRates[lo]), Paper: paperFail, Ours: failAt(def[lo]), Holds: failAt(def[lo]) <= paperFail,
			Note: fmt.Sprintf("far harsher than production: partitioned %.0f%% of the time, each cut lasting 1 to 4s, on five nodes", 100*float64(def[lo].cut)/float64(max(1, def[lo].load)))},
		{Claim: fmt.Sprintf("sloppy quorum keeps writes available: default over strict, acknowledged writes under partitions (ratio at %g partitions/s)", availRates[hi]), Paper: math.NaN(),
			Ours: beyondFrac(def[hi].writesOK, max(1, str[hi].writesOK)), Unit: "", Holds: writesDef >= writesStr,
			Note: fmt.Sprintf("over every partition rate: %d acknowledged writes with the default profile, %d with strict", writesDef, writesStr)},
		{Claim: "the strict profile has no stale reads under partitions", Paper: 0, Ours: float64(staleStr), Unit: "reads", Holds: staleStr == 0 && strictFail == 0,
			Note: fmt.Sprintf("porcupine found a linearization of every strict history but %d", strictFail)},
		{Claim: "the default profile serves stale reads under partitions", Paper: math.NaN(), Ours: float64(staleDef), Unit: "reads", Holds: staleDef > 0},
		{Claim: "no acknowledged write lost (paper: no data loss event), both profiles", Paper: 0, Ours: float64(strictLost + defLost), Unit: "writes", Holds: strictLost+defLost == 0},
	}
	var simTotal time.Duration
	// Success inside each kind of partition, over every rate, by profile.
	var kinds [2][3][2]int
	var outside [2][2]int
	for j, x := range runs {
		pi := j / per
		for k := range availKinds {
			kinds[pi][k][0] += x.inKind[k][0]
			kinds[pi][k][1] += x.inKind[k][1]
		}
		outside[pi][0] += x.outside[0]
		outside[pi][1] += x.outside[1]
		simTotal += x.simTime
	}
	pct := func(c [2]int) string { return fmt.Sprintf("%.1f%%", 100*beyondFrac(c[0], c[1])) }
	breakdown := fmt.Sprintf("Success by what held when a request arrived (every rate together), default against strict: two-way partition %s against %s; one node isolated %s against %s; one-way partition %s against %s; no partition %s against %s.",
		pct(kinds[0][0]), pct(kinds[1][0]), pct(kinds[0][1]), pct(kinds[1][1]), pct(kinds[0][2]), pct(kinds[1][2]), pct(outside[0]), pct(outside[1]))
	r.Notes = []string{
		"What to look at: the success figure shows the price of the strict profile. With sloppy quorum a write lands on the first W reachable healthy nodes of the preference list, fallbacks keeping hinted replicas, so the default profile loses fewer requests than the strict profile as partitions grow more frequent, writes above all; the strict profile needs W of the key's own top N replicas (and reads need a write-back to W of them), so every partition that cuts a coordinator off from its quorum turns requests into timeouts. The stale-read figure shows what sloppy quorum pays: reads served from the side that did not see a write. The strict profile stays at zero, and porcupine linearizes its histories.",
		"Against the paper: Dynamo's 99.9995% is the success rate over two years of production, with rare and mostly short failures. Our nemesis partitions five nodes up to once a second, each cut lasting 1 to 4s (up to 70% of the time partitioned, see partitioned_time_fraction), on a network that also loses 1% of messages, so neither profile comes near the paper's figure at any partition rate, and neither should; the comparison to read is the gap between the two profiles.",
		breakdown + " Partitions do not cut clients from nodes (the load balancer keeps sending a fifth of the requests to an isolated node), so the unavailable requests are those whose coordinator cannot reach enough nodes in time. An isolated node can reach no one, so neither profile can serve what it coordinates: the two profiles fail alike there. A two-way or one-way split leaves every node some peers: with sloppy quorum a side with at least W (or R) nodes serves every key once it believes the others down, while the strict profile still needs W of the key's own top N on the coordinator's side. A request that times out is recorded as unknown (it may still take effect) and counts as a failure. Timeouts also feed the failure detector: the default profile's first requests into a new partition time out before the unreachable peers are believed down (500ms) and fallbacks take over, which is why its success rate dips too.",
		fmt.Sprintf("Simulated %s over %d runs.", simTotal.Round(time.Millisecond), len(runs)),
	}
	return r, nil
}

// availByKind classes the load's operations by the partition kind in force
// when they were called (none: outside).
func availByKind(h *checks.History, loadOps int, r *availRun) {
	type span struct {
		k          int
		start, end int64
	}
	var spans []span
	for _, a := range h.Annotations {
		for k, kind := range availKinds {
			if a.Tag == kind.String() {
				spans = append(spans, span{k, a.Start, a.End})
			}
		}
	}
	for _, op := range h.Ops[:loadOps] {
		ok := 0
		if op.Outcome == checks.Ok {
			ok = 1
		}
		cell := &r.outside
		for _, sp := range spans {
			if op.Call >= sp.start && op.Call < sp.end {
				cell = &r.inKind[sp.k]
				break
			}
		}
		cell[0] += ok
		cell[1]++
	}
}

// availPartitioned returns the length of the load phase (from start to the
// quiet annotation) and how much of it some partition held, from the
// history's annotations (one partition holds at a time, but a replaced one's
// annotation may overlap its successor's, so the intervals are merged).
func availPartitioned(h *checks.History, start int64) (load, cut time.Duration) {
	end := int64(-1)
	var iv [][2]int64
	for _, a := range h.Annotations {
		switch a.Tag {
		case "quiet":
			end = a.Start
		case sim.FaultPartition.String(), sim.FaultIsolate.String(), sim.FaultOneWay.String(), sim.FaultBridge.String():
			iv = append(iv, [2]int64{a.Start, a.End})
		}
	}
	if end < 0 {
		return 0, 0
	}
	sort.Slice(iv, func(i, j int) bool { return iv[i][0] < iv[j][0] })
	var total, curS, curE int64 = 0, -1, -1
	for _, x := range iv {
		s, e := max(x[0], start), min(x[1], end)
		if e <= s {
			continue
		}
		if s > curE {
			if curE > curS {
				total += curE - curS
			}
			curS, curE = s, e
		} else {
			curE = max(curE, e)
		}
	}
	if curE > curS {
		total += curE - curS
	}
	return time.Duration(end - start), time.Duration(total)
}
