package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/sim"
	"github.com/stretchr/testify/require"
)

// sweepJSON is the part of `dynamo sweep --json` the tests read.
type sweepJSON struct {
	OK          bool   `json:"ok"`
	Profile     string `json:"profile"`
	SeedCommand string `json:"seed_command"`
	Seeds       int    `json:"seeds"`
	Failed      int    `json:"failed"`
	Fingerprint string `json:"fingerprint"`
	Checks      []struct {
		Name     string `json:"name"`
		Promised int    `json:"promised"`
		Failed   int    `json:"failed"`
	} `json:"checks"`
	Linearizability struct {
		Pass, Fail, Unknown, Skipped int
	} `json:"linearizability"`
	World           map[string]uint64 `json:"world"`
	NodeStats       map[string]uint64 `json:"node_stats"`
	NeverFired      []string          `json:"probes_never_fired"`
	SimPerWall      float64           `json:"sim_seconds_per_wall_second"`
	SeedsPerMinute  float64           `json:"seeds_per_minute"`
	StaleReads      *int              `json:"stale_reads"`
	Ops             int               `json:"ops"`
	Failures        []sweepFailure    `json:"failures"`
	Runs            []sweepRun        `json:"runs"`
	FailingSeedList []uint64          `json:"failing_seeds"`
}

func sweepJSONOf(t *testing.T, args ...string) (int, sweepJSON) {
	t.Helper()
	code, out, errOut := runCmd(append([]string{"sweep", "--json"}, args...)...)
	var v sweepJSON
	require.NoError(t, json.Unmarshal([]byte(out), &v), "stdout is not one JSON object:\n%s\nstderr:\n%s", out, errOut)
	return code, v
}

func TestSweepSmallPasses(t *testing.T) {
	code, out, errOut := runCmd("sweep", "--seeds", "1-20", "--ops", "300")
	require.Equal(t, exitOK, code, "%s\n%s", out, errOut)
	require.Empty(t, errOut, "no progress line when stderr is not a terminal")
	for _, want := range []string{
		"dynamo sweep  seeds 1-20 (20 seeds)",
		"each seed: go run ./cmd/dynamo sim --seed N --ops=300\n",
		"summary: 20 seeds, 0 failing",
		"no_lost_writes", "stale reads", "linearizability", "faults injected", "probes never fired",
		"seeds/min", "sim-s per wall-s", "fingerprint",
	} {
		require.Contains(t, out, want)
	}
	require.Regexp(t, `(?m)^  result +ok$`, out)
	require.NotContains(t, out, "FAIL")
}

func TestSweepJSONParses(t *testing.T) {
	code, v := sweepJSONOf(t, "--seeds", "3,1-2", "--ops", "300")
	require.Equal(t, exitOK, code)
	require.True(t, v.OK)
	require.Equal(t, "default", v.Profile)
	require.Equal(t, 3, v.Seeds)
	require.Zero(t, v.Failed)
	require.Empty(t, v.Failures)
	require.NotNil(t, v.Failures, "failures is [] rather than null")
	require.Len(t, v.Checks, 5)
	require.Equal(t, 3, v.Linearizability.Pass+v.Linearizability.Fail+v.Linearizability.Unknown+v.Linearizability.Skipped)
	require.Contains(t, v.World, "lost")
	require.Contains(t, v.NodeStats, "read_repairs")
	require.Contains(t, v.NeverFired, "nemesis_crash")
	require.NotNil(t, v.StaleReads)
	require.Positive(t, v.SimPerWall)
	require.Positive(t, v.SeedsPerMinute)
	require.Len(t, v.Fingerprint, 16)
	require.Nil(t, v.Runs, "runs only with --per-seed")
}

// Sharding splits a sweep without changing any seed's run: the shards
// together run exactly the unsharded sweep's seeds, with the same traces.
func TestSweepShardsCoverTheSweep(t *testing.T) {
	args := []string{"--seeds", "1-12", "--ops", "300", "--per-seed"}
	code, all := sweepJSONOf(t, args...)
	require.Equal(t, exitOK, code)
	require.Len(t, all.Runs, 12)
	traces := map[uint64]string{}
	for _, r := range all.Runs {
		traces[r.Seed] = r.Trace
	}
	covered := map[uint64]string{}
	for _, shard := range []string{"0/2", "1/2"} {
		code, part := sweepJSONOf(t, append(args, "--shard", shard)...)
		require.Equal(t, exitOK, code)
		require.Len(t, part.Runs, 6)
		for _, r := range part.Runs {
			require.Equal(t, shard, fmt.Sprintf("%d/2", r.Seed%2), "seed %d", r.Seed)
			_, dup := covered[r.Seed]
			require.False(t, dup, "seed %d in two shards", r.Seed)
			covered[r.Seed] = r.Trace
		}
	}
	require.Equal(t, traces, covered)
}

func TestSweepJobsDoNotChangeResults(t *testing.T) {
	args := []string{"--seeds", "1-8", "--ops", "300", "--per-seed", "--loss", "0.05", "--partitions-cut", "1"}
	_, one := sweepJSONOf(t, append(args, "--jobs", "1")...)
	_, four := sweepJSONOf(t, append(args, "--jobs", "4")...)
	require.Equal(t, one.Runs, four.Runs)
	require.Equal(t, one.Fingerprint, four.Fingerprint)
	require.Equal(t, one.Checks, four.Checks)
	require.Equal(t, one.World, four.World)

	// The text form differs only in its timings and the jobs it names.
	timing := regexp.MustCompile(`(?m)^  (speed|run time) .*$|jobs \d+`)
	_, a, _ := runCmd(append([]string{"sweep"}, append(args, "--jobs", "1")...)...)
	_, b, _ := runCmd(append([]string{"sweep"}, append(args, "--jobs", "4")...)...)
	require.Equal(t, timing.ReplaceAllString(a, ""), timing.ReplaceAllString(b, ""))
	require.Contains(t, a, "seed 8  ok  trace=")
}

func TestSweepBadFlagsExitTwoNamingTheFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{}, "--seeds: required"},
		{[]string{"--seeds", "x"}, `--seeds="x"`},
		{[]string{"--seeds", "5-3"}, `--seeds="5-3": "5-3": the range ends before it starts`},
		{[]string{"--seeds", "1-"}, `--seeds="1-"`},
		{[]string{"--seeds", "1,,2"}, `--seeds="1,,2"`},
		{[]string{"--seeds", "0-18446744073709551615"}, "--seeds"},
		{[]string{"--seeds", "1-4", "--shard", "2/2"}, `--shard="2/2": want 0 <= i < n`},
		{[]string{"--seeds", "1-4", "--shard", "0/0"}, `--shard="0/0"`},
		{[]string{"--seeds", "1-4", "--shard", "1"}, `--shard="1": want i/n`},
		{[]string{"--seeds", "1-4", "--shard", "-1/2"}, `--shard="-1/2"`},
		{[]string{"--seeds", "1-4", "--jobs", "0"}, "--jobs=0"},
		{[]string{"--seeds", "1-4", "--jobs", "-3"}, "--jobs=-3"},
		{[]string{"--seeds", "1-4", "--jobs", "many"}, "-jobs"},
		{[]string{"--seeds", "1-4", "--profile", "lenient"}, `--profile="lenient": want default or strict`},
		{[]string{"--seeds", "1-4", "--r", "4"}, "--r=4"},
		{[]string{"--seeds", "1-4", "--seed", "3"}, "--seed: dynamo sweep takes --seeds"},
		{[]string{"--seeds", "1-4", "extra"}, `unexpected argument "extra"`},
	} {
		code, out, errOut := runCmd(append([]string{"sweep"}, tc.args...)...)
		require.Equal(t, exitBadArgs, code, "%v", tc.args)
		require.Contains(t, errOut, tc.want, "%v", tc.args)
		require.Empty(t, out, "%v", tc.args)
	}
	code, out, _ := runCmd("sweep", "-h")
	require.Equal(t, exitOK, code)
	require.Empty(t, out)
	code, out, _ = runCmd("help")
	require.Equal(t, exitOK, code)
	require.Contains(t, out, "sweep")
}

// A failing seed is printed with its checks and its replay command, the sweep
// goes on, and it exits 1. No flag plants a bug, so the test plants one
// through the parsed command.
func TestSweepReportsFailingSeeds(t *testing.T) {
	sc, err := parseSweep([]string{"--seeds", "1-4", "--ops", "300", "--jobs", "2"}, io.Discard)
	require.NoError(t, err)
	sc.plant = func(c *sim.Config) {
		switch c.Seed {
		case 2:
			c.Bugs = core.Bugs{CorruptValue: true}
		case 3:
			c.R = 99 // the run cannot even start: it fails too
		}
	}
	var out, errOut bytes.Buffer
	code := sc.execute(&out, &errOut)
	require.Equal(t, exitFailed, code, out.String())
	text := out.String()
	require.Contains(t, text, "FAIL seed 2  trace=")
	require.Regexp(t, `(?m)^  no_invented_values +FAIL \d+$`, text)
	require.Contains(t, text, "  replay: go run ./cmd/dynamo sim --seed 2 --ops=300\n")
	require.Contains(t, text, "FAIL seed 3: the run did not finish: seed 3: R=99")
	require.Contains(t, text, "  replay: go run ./cmd/dynamo sim --seed 3 --ops=300\n")
	require.NotContains(t, text, "FAIL seed 1")
	require.NotContains(t, text, "FAIL seed 4")
	require.Contains(t, text, "summary: 4 seeds, 2 failing (1 did not finish)")
	require.Regexp(t, `(?m)^  result +FAILED: 2 of 4 seeds: 2 3$`, text)
	require.Less(t, strings.Index(text, "FAIL seed 2"), strings.Index(text, "FAIL seed 3"))

	// With --json, stdout is the one object and failing seeds go to stderr too.
	sc, err = parseSweep([]string{"--seeds", "1-4", "--ops", "300", "--json"}, io.Discard)
	require.NoError(t, err)
	sc.plant = func(c *sim.Config) {
		if c.Seed == 2 {
			c.Bugs = core.Bugs{CorruptValue: true}
		}
	}
	out.Reset()
	errOut.Reset()
	require.Equal(t, exitFailed, sc.execute(&out, &errOut))
	require.Contains(t, errOut.String(), "FAIL seed 2")
	var v sweepJSON
	require.NoError(t, json.Unmarshal(out.Bytes(), &v))
	require.False(t, v.OK)
	require.Equal(t, []uint64{2}, v.FailingSeedList)
	require.Len(t, v.Failures, 1)
	f := v.Failures[0]
	require.Equal(t, uint64(2), f.Seed)
	require.Equal(t, "go run ./cmd/dynamo sim --seed 2 --ops=300", f.Replay)
	require.NotEmpty(t, f.Checks)
	require.Equal(t, "no_invented_values", f.Checks[0].Name)
	for _, c := range f.Checks {
		require.True(t, c.MustHold)
		require.Positive(t, c.Count)
		require.LessOrEqual(t, len(c.Messages), failureMessages)
	}
}

// The printed replay command runs exactly the seed the sweep ran, profile
// included: the same trace.
func TestSweepReplayReproducesTheSeed(t *testing.T) {
	cases := [][]string{{"--keys", "30"}, {"--nemesis", "--nemesis-on", "crash,clog", "--latency", "exp:200us+300us"}}
	for i, profile := range sim.Profiles {
		args := append([]string{"--seeds", "5", "--ops", "300", "--profile", profile, "--per-seed"}, cases[i%len(cases)]...)
		code, v := sweepJSONOf(t, args...)
		require.Equal(t, exitOK, code)
		require.Equal(t, profile, v.Profile)
		sc, err := parseSweep(args, io.Discard)
		require.NoError(t, err)
		require.True(t, sc.replayExact(5))
		replay := sc.replay(5)
		require.Equal(t, strings.Replace(v.SeedCommand, "--seed N", "--seed 5", 1), replay)
		code, out, _ := runCmd(append([]string{"sim"}, sc.replayArgs(5)...)...)
		require.Equal(t, exitOK, code)
		require.Equal(t, v.Runs[0].Trace, traceRe.FindStringSubmatch(out)[1], "%s: %s", profile, replay)
		require.Contains(t, out, "replay: "+replay+"\n", "sim prints the same replay line")
	}
}

func TestSweepStrictProfile(t *testing.T) {
	code, v := sweepJSONOf(t, "--seeds", "1-4", "--ops", "300", "--profile", "strict")
	require.Equal(t, exitOK, code)
	require.Equal(t, "go run ./cmd/dynamo sim --seed N --ops=300 --strict=true", v.SeedCommand)
	for _, c := range v.Checks {
		if c.Name == "linearizable" {
			require.Equal(t, 4, c.Promised, "the strict profile promises linearizability")
			require.Zero(t, c.Failed)
		}
	}
	require.Equal(t, 4, v.Linearizability.Pass)

	// Sim flags apply on top of the profile, and win.
	code, v = sweepJSONOf(t, "--seeds", "1", "--ops", "300", "--profile", "strict", "--r", "3")
	require.Equal(t, exitOK, code)
	require.Equal(t, "go run ./cmd/dynamo sim --seed N --ops=300 --r=3 --strict=true", v.SeedCommand)
	code, v = sweepJSONOf(t, "--seeds", "1", "--ops", "300", "--profile", "strict", "--strict=false")
	require.Equal(t, exitOK, code)
	require.Equal(t, "go run ./cmd/dynamo sim --seed N --ops=300 --strict=false", v.SeedCommand)
	for _, c := range v.Checks {
		if c.Name == "linearizable" {
			require.Zero(t, c.Promised)
		}
	}
}

func TestSweepEmptyShard(t *testing.T) {
	code, v := sweepJSONOf(t, "--seeds", "4", "--shard", "1/2")
	require.Equal(t, exitOK, code)
	require.Zero(t, v.Seeds)
}

func TestParseSeeds(t *testing.T) {
	s, err := parseSeeds("7", 0, 1)
	require.NoError(t, err)
	require.Equal(t, []uint64{7}, s)
	s, err = parseSeeds(" 10-12, 3 ,11-13", 0, 1)
	require.NoError(t, err)
	require.Equal(t, []uint64{3, 10, 11, 12, 13}, s)
	s, err = parseSeeds("1-10", 1, 3)
	require.NoError(t, err)
	require.Equal(t, []uint64{1, 4, 7, 10}, s)
	s, err = parseSeeds("18446744073709551614-18446744073709551615", 0, 1)
	require.NoError(t, err)
	require.Len(t, s, 2)
}

func TestProgressLine(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, 10)
	clock := p.start
	p.now = func() time.Time { return clock }
	clock = clock.Add(2 * time.Second)
	p.update(4, 1)
	require.Equal(t, "\r\x1b[Ksweep: 4/10 seeds, 1 failing, 2.0 seeds/s, ETA 3s", b.String())
	b.Reset()
	clock = clock.Add(10 * time.Millisecond)
	p.update(5, 1) // too soon: not redrawn
	require.Empty(t, b.String())
	p.clear()
	require.Equal(t, "\r\x1b[K", b.String())
	b.Reset()
	p.clear() // nothing shown: nothing to erase
	require.Empty(t, b.String())

	var nilProgress *progress
	nilProgress.update(1, 0)
	nilProgress.clear()
	require.False(t, isTerminal(&b))
}
