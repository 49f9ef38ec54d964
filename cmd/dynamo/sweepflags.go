package main

import (
	"flag"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/dynamo-replay/dynamo/sim"
)

// Bounds that keep a typing error from asking for a sweep that cannot fit in
// memory or on any machine.
const (
	maxSweepRange = 100_000_000 // seeds named by --seeds, before --shard
	maxSweepSeeds = 10_000_000  // seeds one sweep runs
	maxJobs       = 4096
)

// sweepOnly are the flags of `dynamo sweep` that are not sim flags: they stay
// out of the per-seed configuration and the replay commands.
var sweepOnly = map[string]bool{"seeds": true, "shard": true, "jobs": true, "profile": true, "json": true, "per-seed": true}

// sweepCmd is a parsed `dynamo sweep` command line.
type sweepCmd struct {
	command   string
	seedSpec  string
	shardSpec string
	shardI    uint64
	shardN    uint64
	jobs      int
	profile   string
	asJSON    bool
	perSeed   bool
	seeds     []uint64
	// simArgs are the sim flags the user set, as --name=value, applied to
	// every seed on top of its profile's configuration.
	simArgs []string
	// plant, when set (tests only), changes every seed's configuration after
	// the flags: the way to plant bugs, which no flag can.
	plant func(*sim.Config)
}

func addSweepFlags(fs *flag.FlagSet, sc *sweepCmd) {
	fs.StringVar(&sc.seedSpec, "seeds", "", "seeds to run: A-B (inclusive), N, or a comma-separated list of them, such as 1-100,250")
	fs.StringVar(&sc.shardSpec, "shard", "0/1", "run only the seeds with seed mod n == i (i/n, 0 <= i < n), to split one sweep across machines")
	fs.IntVar(&sc.jobs, "jobs", runtime.NumCPU(), "seeds run in parallel (each run stays single-threaded and deterministic)")
	fs.StringVar(&sc.profile, "profile", "default", "starting configuration of every seed before the sim flags: "+strings.Join(sim.Profiles, " or "))
	fs.BoolVar(&sc.asJSON, "json", false, "print the summary as one JSON object (failing seeds also go to stderr as they are found)")
	fs.BoolVar(&sc.perSeed, "per-seed", false, "print one line per seed (seed, verdict, trace); with --json, a runs array")
}

const sweepUsage = `usage: dynamo sweep --seeds A-B [--shard i/n] [--jobs k] [--profile default|strict] [--json] [--per-seed] [sim flags]

Runs every seed of the range with the same sim flags (see 'dynamo sim -h'), in
parallel, prints each failing seed with the command that replays it, and ends
with a summary. Exit status: 0 when every must-hold check passed on every
seed, 1 when one failed or a run did not finish, 2 for bad flags.

flags:
`

// parseSweep reads a sweep command line. Its errors name the offending flag.
func parseSweep(args []string, stderr io.Writer) (*sweepCmd, error) {
	sc := &sweepCmd{command: strings.Join(append([]string{"dynamo sweep"}, args...), " ")}
	f := newSimFlags("dynamo sweep", stderr)
	addSweepFlags(f.fs, sc)
	f.fs.Usage = func() {
		fmt.Fprint(stderr, sweepUsage)
		f.fs.PrintDefaults()
	}
	if err := f.fs.Parse(args); err != nil {
		return nil, err
	}
	if f.fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", f.fs.Arg(0))
	}
	var err error
	f.fs.Visit(func(fl *flag.Flag) {
		switch {
		case fl.Name == "seed":
			err = fmt.Errorf("--seed: dynamo sweep takes --seeds A-B (dynamo sim --seed N runs one seed)")
		case !sweepOnly[fl.Name]:
			sc.simArgs = append(sc.simArgs, "--"+fl.Name+"="+fl.Value.String())
		}
	})
	if err != nil {
		return nil, err
	}
	if sc.shardI, sc.shardN, err = parseShard(sc.shardSpec); err != nil {
		return nil, fmt.Errorf("--shard=%q: %w", sc.shardSpec, err)
	}
	if sc.seedSpec == "" {
		return nil, fmt.Errorf("--seeds: required, such as --seeds 1-200")
	}
	if sc.seeds, err = parseSeeds(sc.seedSpec, sc.shardI, sc.shardN); err != nil {
		return nil, fmt.Errorf("--seeds=%q: %w", sc.seedSpec, err)
	}
	if sc.jobs < 1 || sc.jobs > maxJobs {
		return nil, fmt.Errorf("--jobs=%d: want 1..%d", sc.jobs, maxJobs)
	}
	if _, err := sim.ProfileConfig(sc.profile, 1); err != nil {
		return nil, fmt.Errorf("--profile=%q: want %s", sc.profile, strings.Join(sim.Profiles, " or "))
	}
	// The profile must survive the trip through the flags unchanged, or the
	// sweep would not run what ProfileConfig says.
	for _, name := range sim.Profiles {
		if err := checkProfileFlags(name); err != nil {
			return nil, err
		}
	}
	// Every seed gets the same flags, so one seed's configuration shows whether
	// they are valid.
	if _, err := sc.config(sc.firstSeed()); err != nil {
		return nil, err
	}
	return sc, nil
}

func (sc *sweepCmd) firstSeed() uint64 {
	if len(sc.seeds) == 0 {
		return sc.shardI
	}
	return sc.seeds[0]
}

// parseSeeds reads A-B, N, or a comma-separated list of them, and keeps the
// seeds of shard i/n, sorted and without repeats.
func parseSeeds(spec string, i, n uint64) ([]uint64, error) {
	type span struct{ a, b uint64 }
	var spans []span
	var total uint64
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(strings.TrimSpace(lo), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q: want A-B, N, or a comma-separated list of them", part)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(strings.TrimSpace(hi), 10, 64); err != nil {
				return nil, fmt.Errorf("%q: want A-B, N, or a comma-separated list of them", part)
			}
		}
		if b < a {
			return nil, fmt.Errorf("%q: the range ends before it starts", part)
		}
		if b-a >= maxSweepRange || total+(b-a+1) > maxSweepRange {
			return nil, fmt.Errorf("more than %d seeds", maxSweepRange)
		}
		total += b - a + 1
		spans = append(spans, span{a, b})
	}
	var seeds []uint64
	for _, s := range spans {
		for x := s.a; ; x++ {
			if x%n == i {
				seeds = append(seeds, x)
				if len(seeds) > maxSweepSeeds {
					return nil, fmt.Errorf("more than %d seeds in one sweep (split it with --shard)", maxSweepSeeds)
				}
			}
			if x == s.b {
				break
			}
		}
	}
	slices.Sort(seeds)
	return slices.Compact(seeds), nil
}

// parseShard reads i/n with 0 <= i < n.
func parseShard(spec string) (i, n uint64, err error) {
	a, b, ok := strings.Cut(spec, "/")
	if ok {
		i, err = strconv.ParseUint(strings.TrimSpace(a), 10, 64)
		if err == nil {
			n, err = strconv.ParseUint(strings.TrimSpace(b), 10, 64)
		}
	}
	if !ok || err != nil {
		return 0, 0, fmt.Errorf("want i/n, such as 0/4")
	}
	if n == 0 || i >= n {
		return 0, 0, fmt.Errorf("want 0 <= i < n")
	}
	return i, n, nil
}

// setBase makes cfg the flags' starting point: a flag the command line does
// not set keeps cfg's value. Flags parsed from strings keep their text in
// simFlags, so each needs its line here (checkProfileFlags catches one that
// is missing). The nemesis's kind lists (--nemesis-on, --nemesis-off,
// --nemesis-rate) are empty by default and leave cfg.Faults.Kinds alone.
func (f *simFlags) setBase(cfg sim.Config) {
	f.cfg = cfg
	f.strategy = fmt.Sprint(int(cfg.Ring.Strategy))
	f.causality = cfg.Causality.String()
	f.routing = string(cfg.Routing)
	f.latency = cfg.Net.Latency.String()
	f.diskLat = cfg.Disk.Latency.String()
	f.faultTime = cfg.Faults.FaultTime.String()
}

// checkProfileFlags requires a profile's configuration to come back unchanged
// from flags that set nothing: a field that setBase does not carry over would
// silently revert to the default scenario.
func checkProfileFlags(name string) error {
	base, err := sim.ProfileConfig(name, 1)
	if err != nil {
		return err
	}
	f := newSimFlags("dynamo sweep", io.Discard)
	f.setBase(base)
	got, err := f.parse(nil)
	if err != nil {
		return fmt.Errorf("profile %s: %w", name, err)
	}
	if !reflect.DeepEqual(got, base) {
		return fmt.Errorf("internal error: profile %s does not survive the sim flags (cmd/dynamo setBase misses a field)", name)
	}
	return nil
}

// config is one seed's configuration: its profile's, then the sim flags.
func (sc *sweepCmd) config(seed uint64) (sim.Config, error) {
	base, err := sim.ProfileConfig(sc.profile, seed)
	if err != nil {
		return sim.Config{}, err
	}
	f := newSimFlags("dynamo sweep", io.Discard)
	f.setBase(base)
	cfg, err := f.parse(sc.simArgs)
	if err != nil {
		return cfg, err
	}
	cfg.Seed = seed
	if sc.plant != nil {
		sc.plant(&cfg)
	}
	return cfg, nil
}

// replayArgs are the `dynamo sim` arguments that replay one seed: the flags in
// which its profile differs from sim's defaults, then the sim flags given.
func (sc *sweepCmd) replayArgs(seed uint64) []string {
	vals := map[string]string{}
	if base, err := sim.ProfileConfig(sc.profile, seed); err == nil {
		f := newSimFlags("dynamo sim", io.Discard)
		f.setBase(base)
		f.fs.VisitAll(func(fl *flag.Flag) {
			if fl.Name != "seed" && fl.Value.String() != fl.DefValue {
				vals[fl.Name] = fl.Value.String()
			}
		})
	}
	for _, a := range sc.simArgs {
		name, v, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		vals[name] = v
	}
	names := make([]string, 0, len(vals))
	for name := range vals {
		names = append(names, name)
	}
	slices.Sort(names)
	args := []string{"--seed", strconv.FormatUint(seed, 10)}
	for _, name := range names {
		args = append(args, "--"+name+"="+vals[name])
	}
	return args
}

// replay is the shell command that replays one seed.
func (sc *sweepCmd) replay(seed uint64) string { return replayLine(sc.replayArgs(seed)) }

func replayLine(args []string) string {
	parts := []string{"go run ./cmd/dynamo sim"}
	for _, a := range args {
		if strings.ContainsAny(a, " \t'\"") {
			name, v, _ := strings.Cut(a, "=")
			a = name + "='" + v + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// replayExact says whether `dynamo sim` with the replay arguments runs exactly
// the seed's configuration. It does not when a profile sets something that no
// sim flag can (planted bugs aside).
func (sc *sweepCmd) replayExact(seed uint64) bool {
	want, err := sc.config(seed)
	if err != nil {
		return false
	}
	f := newSimFlags("dynamo sim", io.Discard)
	got, err := f.parse(sc.replayArgs(seed))
	if err != nil {
		return false
	}
	if sc.plant != nil {
		sc.plant(&got)
	}
	return reflect.DeepEqual(got, want)
}
