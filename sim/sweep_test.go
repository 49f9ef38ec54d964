package sim

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/dynamo-replay/dynamo/checks"
	"github.com/dynamo-replay/dynamo/core"
	"github.com/stretchr/testify/require"
)

// sweepSmall is a seed small enough that a test can sweep a dozen of them.
func sweepSmall(seed uint64) Config {
	cfg := DefaultConfig(seed)
	cfg.Workload.Ops = 300
	cfg.Workload.Keys = 40
	return cfg
}

func seedRange(a, b uint64) []uint64 {
	var s []uint64
	for x := a; x <= b; x++ {
		s = append(s, x)
	}
	return s
}

// timeless drops the wall-clock fields, which differ from sweep to sweep.
func timeless(s SweepSummary) SweepSummary {
	s.WallSeconds, s.RunSeconds, s.SimRunSeconds, s.SimPerWall, s.SeedsPerMinute, s.Jobs = 0, 0, 0, 0, 0, 0
	return s
}

func TestProfileConfig(t *testing.T) {
	def, err := ProfileConfig("default", 7)
	require.NoError(t, err)
	require.Equal(t, DefaultConfig(7), def)

	strict, err := ProfileConfig("strict", 7)
	require.NoError(t, err)
	require.Equal(t, uint64(7), strict.Seed)
	require.True(t, strict.Strict)
	require.Greater(t, strict.R+strict.W, strict.N)
	require.NoError(t, strict.Validate())
	strict.Workload.Ops = 300
	_, rep := run(t, strict)
	require.True(t, verdict(t, rep, checks.NameLinearizable).MustHold, "the strict profile promises linearizability")
	require.False(t, rep.Failed())

	for _, name := range Profiles {
		_, err := ProfileConfig(name, 1)
		require.NoError(t, err, name)
	}
	_, err = ProfileConfig("lenient", 1)
	require.ErrorContains(t, err, `unknown profile "lenient"`)
}

// A sweep reports seeds in seed order whatever the number of workers, and each
// seed is exactly the run a lone Sim would have made.
func TestSweepIsDeterministicAcrossJobs(t *testing.T) {
	seeds := seedRange(1, 10)
	var serial, parallel []SeedResult
	a := Sweep(seeds, sweepSmall, 1, func(r SeedResult) { serial = append(serial, r) })
	b := Sweep(seeds, sweepSmall, 4, func(r SeedResult) { parallel = append(parallel, r) })
	require.Len(t, serial, len(seeds))
	require.Len(t, parallel, len(seeds))
	for i, seed := range seeds {
		require.Equal(t, seed, serial[i].Seed)
		require.Equal(t, seed, parallel[i].Seed)
		require.NoError(t, serial[i].Err)
		require.NoError(t, parallel[i].Err)
		require.Equal(t, serial[i].Result.Trace, parallel[i].Result.Trace, "seed %d", seed)
		require.Equal(t, serial[i].Report.Verdicts, parallel[i].Report.Verdicts, "seed %d", seed)
	}
	// The same run as New+Run on its own.
	lone, _ := run(t, sweepSmall(4))
	require.Equal(t, lone.Trace, serial[3].Result.Trace)

	require.Equal(t, timeless(a), timeless(b))
	require.Equal(t, len(seeds), a.Seeds)
	require.Zero(t, a.Failed)
	require.Empty(t, a.FailingSeeds)
	require.Positive(t, a.Ops)
	require.Positive(t, a.SimSeconds)
	require.Positive(t, a.SimPerWall)
	require.Positive(t, a.SeedsPerMinute)
	require.Equal(t, 4, b.Jobs)
	lost, ok := a.World.Get("lost")
	require.True(t, ok)
	require.Positive(t, lost, "the default network loses messages")
	_, ok = a.NodeStats.Get("read_repairs")
	require.True(t, ok)
	require.Equal(t, len(seeds), a.Linearizability.Pass+a.Linearizability.Fail+a.Linearizability.Unknown+a.Linearizability.Skipped)
	require.Contains(t, a.NeverFired, "nemesis_crash", "no crashes were configured")
	require.Equal(t, len(seeds), a.Convergence.Converged+a.Convergence.NotConverged)
	if a.Convergence.Converged > 0 {
		require.LessOrEqual(t, a.Convergence.P50, a.Convergence.Max)
	}
	require.NotContains(t, a.NeverFired, "read_repair")
	require.Equal(t, names(a.Checks), []string{checks.NameWellFormed, checks.NameLinearizable,
		checks.NameNoInventedValues, checks.NameNoLostWrites, checks.NameConverged})

	// Another set of seeds has another fingerprint.
	c := Sweep(seedRange(2, 11), sweepSmall, 2, nil)
	require.NotEqual(t, a.Fingerprint, c.Fingerprint)
}

func names(cs []CheckTally) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

// A seed with a planted bug fails the sweep, and the tally says which checker
// caught it.
func TestSweepCountsFailingSeeds(t *testing.T) {
	mk := func(seed uint64) Config {
		cfg := sweepSmall(seed)
		if seed == 2 || seed == 5 {
			cfg.Bugs = core.Bugs{CorruptValue: true}
		}
		return cfg
	}
	var failed []uint64
	s := Sweep(seedRange(1, 6), mk, 3, func(r SeedResult) {
		if r.Failed() {
			failed = append(failed, r.Seed)
			v, _ := r.Report.Verdict(checks.NameNoInventedValues)
			require.False(t, v.Passed)
		}
	})
	require.Equal(t, []uint64{2, 5}, failed)
	require.Equal(t, 2, s.Failed)
	require.Equal(t, []uint64{2, 5}, s.FailingSeeds)
	require.Zero(t, s.Errors)
	inv := s.Checks[slices.IndexFunc(s.Checks, func(c CheckTally) bool { return c.Name == checks.NameNoInventedValues })]
	require.Equal(t, 2, inv.Failed)
	require.Equal(t, 6, inv.Promised)
	require.Positive(t, inv.Violations)
}

// A run that panics (anywhere: building its config, in a node, in the checks)
// fails its seed without stopping the sweep.
func TestSweepTurnsPanicsIntoFailures(t *testing.T) {
	mk := func(seed uint64) Config {
		if seed == 3 {
			panic("boom")
		}
		return sweepSmall(seed)
	}
	var got []SeedResult
	s := Sweep(seedRange(1, 4), mk, 2, func(r SeedResult) { got = append(got, r) })
	require.Len(t, got, 4)
	require.ErrorContains(t, got[2].Err, "seed 3: panic: boom")
	require.True(t, got[2].Failed())
	require.Nil(t, got[2].Result)
	require.Equal(t, 1, s.Errors)
	require.Equal(t, []uint64{3}, s.FailingSeeds)

	// An invalid configuration is an error of its seed too.
	s = Sweep([]uint64{1}, func(seed uint64) Config {
		cfg := sweepSmall(seed)
		cfg.R = 9
		return cfg
	}, 1, nil)
	require.Equal(t, 1, s.Errors)
}

func TestSweepOfNothing(t *testing.T) {
	s := Sweep(nil, sweepSmall, 4, func(SeedResult) { t.Fatal("no seeds, no results") })
	require.Zero(t, s.Seeds)
	require.Equal(t, len(KnownProbes), len(s.NeverFired))
}

func TestCountersByReflection(t *testing.T) {
	var cs Counters
	cs = addCounters(cs, struct {
		AEKeysMoved uint64
		HintsStored int
		Name        string
		unexported  uint64
	}{3, 4, "x", 5})
	cs = addCounters(cs, struct{ AEKeysMoved uint64 }{1})
	require.Equal(t, Counters{{"ae_keys_moved", 4}, {"hints_stored", 4}}, cs)
	b, err := cs.MarshalJSON()
	require.NoError(t, err)
	require.JSONEq(t, `{"ae_keys_moved":4,"hints_stored":4}`, string(b))
	for in, want := range map[string]string{"Lost": "lost", "PeersDown": "peers_down", "AEBytes": "ae_bytes", "P99Latency": "p99_latency"} {
		require.Equal(t, want, snake(in))
	}
}

// Every probe the code can fire is in KnownProbes, so that a sweep can say
// which never fired.
func TestKnownProbesListsEveryProbe(t *testing.T) {
	re := regexp.MustCompile(`\bprobe\("([^"]+)"\)`)
	seen := map[string]bool{}
	var missing []string
	for _, dir := range []string{".", "../core"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		require.NoError(t, err)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			require.NoError(t, err)
			for _, m := range re.FindAllStringSubmatch(string(src), -1) {
				if !slices.Contains(KnownProbes, m[1]) && !seen[m[1]] {
					seen[m[1]] = true
					missing = append(missing, fmt.Sprintf("%s (%s)", m[1], f))
				}
			}
		}
	}
	for k := range NumFaultKinds {
		if name := k.Probe(); !slices.Contains(KnownProbes, name) {
			missing = append(missing, name+" (FaultKind)")
		}
	}
	sort.Strings(missing)
	require.Empty(t, missing, "probes missing from sim.KnownProbes (sim/sweep.go)")
	for i, name := range KnownProbes {
		require.NotContains(t, KnownProbes[i+1:], name, "listed twice")
	}
}

// fixedFaults is the benchmark's seed: 2,000 operations under the fixed fault
// knobs (two crashes with torn writes, two partitions, one one-way partition,
// 1% message loss).
func fixedFaults(seed uint64) Config {
	cfg := DefaultConfig(seed)
	cfg.Workload.Ops = 2000
	cfg.Faults.Crashes = 2
	cfg.Faults.TornWrites = true
	cfg.Faults.Partitions = 2
	cfg.Faults.OneWayPartitions = 1
	cfg.Net.Loss = 0.01
	return cfg
}

// swarmNemesis is the same seed under the nemesis's seeded swarm schedule.
func swarmNemesis(seed uint64) Config {
	cfg := DefaultConfig(seed)
	cfg.Workload.Ops = 2000
	cfg.Faults.Nemesis = true
	return cfg
}

// BenchmarkSweep measures sweep throughput in seeds per wall-clock minute on
// every core, checks included, for seeds of 2,000 operations with faults on
// (issue 3, item 7: at least 1,000 seeds per minute on 2 cores). One b.N is
// one seed: run it with -benchtime 200x or more. GOGC is 400, as in
// `dynamo sweep`.
func BenchmarkSweep(b *testing.B) {
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	for _, bc := range []struct {
		name string
		mk   func(uint64) Config
	}{{"fixed", fixedFaults}, {"nemesis", swarmNemesis}} {
		b.Run(bc.name, func(b *testing.B) {
			s := Sweep(seedRange(1, uint64(b.N)), bc.mk, runtime.NumCPU(), nil)
			b.ReportMetric(s.SeedsPerMinute, "seeds/min")
			b.ReportMetric(s.SimPerWall, "sim-s/wall-s")
			b.ReportMetric(float64(s.Failed), "failing-seeds")
			if s.Errors > 0 {
				b.Fatalf("%d seeds did not finish (failing: %v)", s.Errors, s.FailingSeeds)
			}
		})
	}
}
