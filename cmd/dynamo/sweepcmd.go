package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/dynamo-replay/dynamo/checks"
	"github.com/dynamo-replay/dynamo/sim"
)

// sweepFailure is one failing seed, as printed and in the JSON summary.
type sweepFailure struct {
	Seed   uint64           `json:"seed"`
	Trace  string           `json:"trace,omitempty"`
	Replay string           `json:"replay"`
	Error  string           `json:"error,omitempty"`
	Checks []checks.Verdict `json:"checks,omitempty"`
}

// sweepRun is one seed's line under --per-seed.
type sweepRun struct {
	Seed       uint64 `json:"seed"`
	Failed     bool   `json:"failed"`
	Trace      string `json:"trace,omitempty"`
	Ops        int    `json:"ops"`
	StaleReads int    `json:"stale_reads"`
	Linearize  string `json:"linearizable,omitempty"`
	Error      string `json:"error,omitempty"`
}

// sweepOutput is the --json form of a sweep.
type sweepOutput struct {
	Command     string `json:"command"`
	SeedSpec    string `json:"seed_spec"`
	Shard       string `json:"shard"`
	Profile     string `json:"profile"`
	SeedCommand string `json:"seed_command"`
	OK          bool   `json:"ok"`
	sim.SweepSummary
	Failures []sweepFailure `json:"failures"`
	Runs     []sweepRun     `json:"runs,omitempty"`
}

// failureMessages bounds the messages printed under a failing check.
const failureMessages = 3

func runSweep(args []string, stdout, stderr io.Writer) int {
	sc, err := parseSweep(args, stderr)
	if err != nil {
		if isHelp(err) {
			return exitOK
		}
		fmt.Fprintf(stderr, "dynamo sweep: %v\n", err)
		return exitBadArgs
	}
	// Runs allocate freely and keep little: collecting garbage four times less
	// often saves about a quarter of the CPU for a few tens of MB per job.
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(sweepGCPercent)
	}
	return sc.execute(stdout, stderr)
}

// sweepGCPercent is the GOGC a sweep runs with unless the environment sets one.
const sweepGCPercent = 400

func (sc *sweepCmd) execute(stdout, stderr io.Writer) int {
	first := sc.firstSeed()
	cfg, err := sc.config(first)
	if err != nil {
		fmt.Fprintf(stderr, "dynamo sweep: %v\n", err)
		return exitBadArgs
	}
	seedArgs := sc.replayArgs(first)
	seedArgs[1] = "N"
	seedCommand := replayLine(seedArgs)
	if !sc.replayExact(first) {
		fmt.Fprintf(stderr, "dynamo sweep: warning: profile %s sets options that no sim flag can; replay lines are not exact\n", sc.profile)
	}
	// Failing seeds go where the summary does, or to stderr when stdout must
	// hold exactly one JSON object.
	live := stdout
	if sc.asJSON {
		live = stderr
	}
	if !sc.asJSON {
		sc.printHeader(stdout, cfg, seedCommand)
	}
	var prog *progress
	if isTerminal(stderr) {
		if _, ci := os.LookupEnv("CI"); !ci {
			prog = newProgress(stderr, len(sc.seeds))
		}
	}

	failures := []sweepFailure{}
	var runs []sweepRun
	done, failed := 0, 0
	mk := func(seed uint64) sim.Config {
		cfg, err := sc.config(seed)
		if err != nil {
			panic(fmt.Sprintf("configuration: %v", err))
		}
		return cfg
	}
	sum := sim.Sweep(sc.seeds, mk, sc.jobs, func(r sim.SeedResult) {
		done++
		if r.Failed() {
			failed++
			f := sc.failure(r)
			failures = append(failures, f)
			prog.clear()
			writeFailure(live, f)
		}
		if sc.perSeed {
			run := perSeedRun(r)
			runs = append(runs, run)
			if !sc.asJSON {
				prog.clear()
				writeRun(stdout, run)
			}
		}
		prog.update(done, failed)
	})
	prog.clear()

	if sc.asJSON {
		out := sweepOutput{
			Command: sc.command, SeedSpec: sc.seedSpec, Shard: fmt.Sprintf("%d/%d", sc.shardI, sc.shardN),
			Profile: sc.profile, SeedCommand: seedCommand, OK: sum.Failed == 0,
			SweepSummary: sum, Failures: failures, Runs: runs,
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "dynamo sweep: %v\n", err)
			return exitFailed
		}
	} else {
		writeSummary(stdout, sum)
	}
	if sum.Failed > 0 {
		return exitFailed
	}
	return exitOK
}

func (sc *sweepCmd) printHeader(w io.Writer, c sim.Config, seedCommand string) {
	shard := ""
	if sc.shardN > 1 {
		shard = fmt.Sprintf(", shard %d/%d", sc.shardI, sc.shardN)
	}
	writes := "direct"
	if c.Buffered {
		writes = "buffered"
	}
	fmt.Fprintf(w, "dynamo sweep  seeds %s (%d seeds%s)  jobs %d  profile %s\n", sc.seedSpec, len(sc.seeds), shard, sc.jobs, sc.profile)
	fmt.Fprintf(w, "  nodes=%d  (N,R,W)=(%d,%d,%d)  strict=%t  causality=%s  writes=%s  routing=%s  clients=%d ops=%d keys=%d\n",
		c.Nodes, c.N, c.R, c.W, c.Strict, c.Causality, writes, c.Routing, c.Workload.Clients, c.Workload.Ops, c.Workload.Keys)
	fmt.Fprintf(w, "  loss=%g dup=%g reorder=%g  crashes=%d torn=%t  partitions=%d one-way=%d  nemesis=%t\n",
		c.Net.Loss, c.Net.Duplicate, c.Net.Reorder, c.Faults.Crashes, c.Faults.TornWrites, c.Faults.Partitions,
		c.Faults.OneWayPartitions, c.Faults.Nemesis)
	fmt.Fprintf(w, "  each seed: %s\n", seedCommand)
}

func (sc *sweepCmd) failure(r sim.SeedResult) sweepFailure {
	f := sweepFailure{Seed: r.Seed, Replay: sc.replay(r.Seed)}
	if r.Err != nil {
		f.Error = r.Err.Error()
		return f
	}
	f.Trace = r.Result.TraceHex()
	for _, v := range r.Report.Verdicts {
		if v.MustHold && !v.Passed && v.Status != checks.Skipped {
			if len(v.Messages) > failureMessages {
				v.Messages = v.Messages[:failureMessages]
			}
			f.Checks = append(f.Checks, v)
		}
	}
	return f
}

func writeFailure(w io.Writer, f sweepFailure) {
	var b strings.Builder
	if f.Error != "" {
		fmt.Fprintf(&b, "FAIL seed %d: the run did not finish: %s\n", f.Seed, f.Error)
	} else {
		fmt.Fprintf(&b, "FAIL seed %d  trace=%s\n", f.Seed, f.Trace)
		for _, v := range f.Checks {
			switch v.Status {
			case checks.TimeOut:
				fmt.Fprintf(&b, "  %-20s UNKNOWN (porcupine timed out)\n", v.Name)
			default:
				fmt.Fprintf(&b, "  %-20s FAIL %d\n", v.Name, v.Count)
			}
			for _, m := range v.Messages {
				fmt.Fprintf(&b, "      %s\n", m)
			}
		}
	}
	fmt.Fprintf(&b, "  replay: %s\n", f.Replay)
	io.WriteString(w, b.String())
}

func perSeedRun(r sim.SeedResult) sweepRun {
	run := sweepRun{Seed: r.Seed, Failed: r.Failed()}
	if r.Err != nil {
		run.Error = r.Err.Error()
		return run
	}
	run.Trace = r.Result.TraceHex()
	run.Ops = r.Result.LoadOps
	run.StaleReads = r.Report.StaleReads
	if v, ok := r.Report.Verdict(checks.NameLinearizable); ok {
		run.Linearize = string(v.Status)
	}
	return run
}

func writeRun(w io.Writer, r sweepRun) {
	verdict := "ok"
	if r.Failed {
		verdict = "FAIL"
	}
	if r.Error != "" {
		fmt.Fprintf(w, "seed %d  %s  error: %s\n", r.Seed, verdict, r.Error)
		return
	}
	fmt.Fprintf(w, "seed %d  %s  trace=%s  ops=%d  stale_reads=%d  linearizable=%s\n",
		r.Seed, verdict, r.Trace, r.Ops, r.StaleReads, r.Linearize)
}

// writeSummary prints the end of a sweep.
func writeSummary(w io.Writer, s sim.SweepSummary) {
	fmt.Fprintf(w, "summary: %d seeds, %d failing", s.Seeds, s.Failed)
	if s.Errors > 0 {
		fmt.Fprintf(w, " (%d did not finish)", s.Errors)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  %-22s %8s %8s %14s %11s\n", "checks (seeds)", "promised", "failed", "informational", "violations")
	for _, c := range s.Checks {
		fmt.Fprintf(w, "    %-20s %8d %8d %14d %11d", c.Name, c.Promised, c.Failed, c.FailedInformational, c.Violations)
		if c.Unknown > 0 {
			fmt.Fprintf(w, "  (%d timed out)", c.Unknown)
		}
		fmt.Fprintln(w)
	}
	row := func(name, format string, args ...any) {
		fmt.Fprintf(w, "  %-22s %s\n", name, fmt.Sprintf(format, args...))
	}
	l := s.Linearizability
	row("stale reads", "%d in %d seeds (informational)", s.StaleReads, s.StaleReadSeeds)
	row("linearizability", "pass %d, fail %d, unknown %d, skipped %d", l.Pass, l.Fail, l.Unknown, l.Skipped)
	if c := s.Convergence; c.Converged > 0 {
		row("converged after heal", "%d seeds: p50 %s, p99 %s, max %s, mean %s; %d not by the end of the quiet period",
			c.Converged, c.P50, c.P99, c.Max, c.Mean.Round(time.Millisecond), c.NotConverged)
	} else if c.NotConverged > 0 {
		row("converged after heal", "no seed by the end of the quiet period (%d seeds)", c.NotConverged)
	}
	events, _ := s.World.Get("events")
	row("operations", "%d in the load phase, %d checked; %d events", s.Ops, s.CheckedOps, events)
	var faults []string
	for _, c := range s.World {
		if c.Name != "events" {
			faults = append(faults, fmt.Sprintf("%s %d", strings.ReplaceAll(c.Name, "_", " "), c.Value))
		}
	}
	wrapRow(w, "faults injected", faults)
	// Counters the core is growing (issue 3): shown once they exist.
	if hs, ok := s.NodeStats.Get("hints_stored"); ok {
		hd, _ := s.NodeStats.Get("hints_delivered")
		row("hinted handoff", "hints stored %d, delivered %d", hs, hd)
	}
	if km, ok := s.NodeStats.Get("ae_keys_moved"); ok {
		ab, _ := s.NodeStats.Get("ae_bytes")
		kd, _ := s.NodeStats.Get("ae_keys_differed")
		row("anti-entropy", "keys moved %d, bytes exchanged %d, keys that really differed %d", km, ab, kd)
	}
	var node []string
	for _, c := range s.NodeStats {
		node = append(node, fmt.Sprintf("%s %d", strings.ReplaceAll(c.Name, "_", " "), c.Value))
	}
	wrapRow(w, "node counters", node)
	var probes []string
	for _, p := range s.Probes {
		probes = append(probes, fmt.Sprintf("%s %d (%d seeds)", p.Name, p.Count, s.ProbeSeeds[p.Name]))
	}
	wrapRow(w, "probes", probes)
	if len(s.NeverFired) > 0 {
		wrapRow(w, "probes never fired", s.NeverFired)
	} else {
		row("probes never fired", "none")
	}
	if len(s.Unlisted) > 0 {
		wrapRow(w, "probes not in KnownProbes", s.Unlisted)
	}
	simShare := 0.0
	if s.RunSeconds > 0 {
		simShare = 100 * s.SimRunSeconds / s.RunSeconds
	}
	row("speed", "%.0f seeds/min on %d jobs; simulated %s in %s of wall time: %.0f sim-s per wall-s",
		s.SeedsPerMinute, s.Jobs, (time.Duration(s.SimSeconds * 1e9)).Round(time.Millisecond),
		(time.Duration(s.WallSeconds * 1e9)).Round(time.Millisecond), s.SimPerWall)
	row("run time", "%s over all seeds: %.0f%% simulating, %.0f%% checking",
		(time.Duration(s.RunSeconds * 1e9)).Round(time.Millisecond), simShare, 100-simShare)
	row("fingerprint", "%s (every seed's trace, in seed order)", s.Fingerprint)
	if s.Failed == 0 {
		row("result", "ok")
		return
	}
	const show = 20
	var list []string
	for i, seed := range s.FailingSeeds {
		if i == show {
			list = append(list, fmt.Sprintf("... (%d more)", len(s.FailingSeeds)-show))
			break
		}
		list = append(list, fmt.Sprint(seed))
	}
	row("result", "FAILED: %d of %d seeds: %s", s.Failed, s.Seeds, strings.Join(list, " "))
}

// wrapRow prints a labelled comma-separated list, wrapped near 100 columns.
func wrapRow(w io.Writer, name string, items []string) {
	if len(items) == 0 {
		fmt.Fprintf(w, "  %-22s none\n", name)
		return
	}
	const width = 100
	indent := strings.Repeat(" ", 25)
	line := fmt.Sprintf("  %-22s ", name)
	for i, it := range items {
		if i < len(items)-1 {
			it += ","
		}
		if len(line) > len(indent) && len(line)+len(it)+1 > width {
			fmt.Fprintln(w, strings.TrimRight(line, " "))
			line = indent
		}
		if line != indent && !strings.HasSuffix(line, " ") {
			line += " "
		}
		line += it
	}
	fmt.Fprintln(w, line)
}

// isTerminal says whether w is a terminal, where a progress line belongs.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progress keeps one line on a terminal up to date: seeds done, failures,
// speed and the estimated time to finish. A nil *progress does nothing.
type progress struct {
	w     io.Writer
	total int
	start time.Time
	last  time.Time
	shown bool
	now   func() time.Time
}

func newProgress(w io.Writer, total int) *progress {
	return &progress{w: w, total: total, start: time.Now(), now: time.Now}
}

func (p *progress) update(done, failed int) {
	if p == nil {
		return
	}
	now := p.now()
	if p.shown && done < p.total && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	elapsed := now.Sub(p.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(done) / elapsed
	}
	eta := "?"
	if rate > 0 {
		eta = time.Duration(float64(p.total-done) / rate * float64(time.Second)).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "\r\x1b[Ksweep: %d/%d seeds, %d failing, %.1f seeds/s, ETA %s", done, p.total, failed, rate, eta)
	p.shown = true
}

// clear erases the progress line, before other output or at the end.
func (p *progress) clear() {
	if p == nil || !p.shown {
		return
	}
	fmt.Fprint(p.w, "\r\x1b[K")
	p.shown = false
}
