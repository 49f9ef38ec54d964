package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dynamo-replay/dynamo/core/causality"
	"github.com/dynamo-replay/dynamo/core/ring"
	"github.com/dynamo-replay/dynamo/sim"
)

// simFlags binds a sim.Config to command-line flags. Flags default to the
// embedded default scenario, so `dynamo sim --seed 1` needs nothing else.
type simFlags struct {
	fs        *flag.FlagSet
	cfg       sim.Config
	strategy  string
	causality string
	routing   string
	latency   string
	diskLat   string
	// the nemesis's kinds and rates, parsed into cfg.Faults by parse
	nemesisOn, nemesisOff, nemesisRate, faultTime string
}

func newSimFlags(name string, stderr io.Writer) *simFlags {
	f := &simFlags{fs: flag.NewFlagSet(name, flag.ContinueOnError), cfg: sim.DefaultConfig(1)}
	f.fs.SetOutput(stderr)
	c := &f.cfg
	fs := f.fs
	fs.Uint64Var(&c.Seed, "seed", 1, "the run's seed: it decides every random choice")
	fs.IntVar(&c.Nodes, "nodes", c.Nodes, "number of storage nodes")
	fs.IntVar(&c.N, "n", c.N, "replicas per key (N)")
	fs.IntVar(&c.R, "r", c.R, "read quorum (R), at most N")
	fs.IntVar(&c.W, "w", c.W, "write quorum (W), at most N")
	fs.StringVar(&f.strategy, "strategy", fmt.Sprint(int(c.Ring.Strategy)), "partitioning strategy of section 6.2: 1, 2 or 3")
	fs.IntVar(&c.Ring.T, "tokens", c.Ring.T, "tokens per node (strategies 1 and 2)")
	fs.IntVar(&c.Ring.Q, "partitions", c.Ring.Q, "equal partitions Q (strategies 2 and 3)")
	fs.StringVar(&f.causality, "causality", c.Causality.String(), "version tracking: dvv, vc or lww")
	fs.BoolVar(&c.Strict, "strict", c.Strict, "strict profile: no sloppy quorum, R+W>N, reads write back before answering (linearizable)")
	fs.BoolVar(&c.Buffered, "buffered", c.Buffered, "buffered writes (section 6.1): one durable replica, the rest from memory")
	fs.StringVar(&f.routing, "routing", string(c.Routing), "server (load balancer, nodes forward) or client (client holds the ring)")
	fs.IntVar(&c.Workload.Clients, "clients", c.Workload.Clients, "closed-loop clients")
	fs.IntVar(&c.Workload.Ops, "ops", c.Workload.Ops, "client operations in the load phase (a read-modify-write whose get fails skips its put)")
	fs.IntVar(&c.Workload.Keys, "keys", c.Workload.Keys, "size of the key space")
	fs.Float64Var(&c.Workload.Zipf, "zipf", c.Workload.Zipf, "Zipf exponent of key popularity (0: uniform)")
	fs.Float64Var(&c.Workload.GetFraction, "get-fraction", c.Workload.GetFraction, "fraction of plain gets")
	fs.Float64Var(&c.Workload.RMWFraction, "rmw-fraction", c.Workload.RMWFraction, "fraction of read-modify-writes (get, then put with its context)")
	fs.Float64Var(&c.Workload.DeleteFraction, "delete-fraction", c.Workload.DeleteFraction, "fraction of deletes (the rest are blind puts)")
	fs.Float64Var(&c.Workload.OpenLoopRate, "open-loop-rate", 0, "open loop: arrivals per simulated second (0: closed loop)")
	fs.StringVar(&f.latency, "latency", c.Net.Latency.String(), "network latency distribution, kind:min+scale[,sigma=S][,max=D]")
	fs.StringVar(&f.diskLat, "disk-latency", c.Disk.Latency.String(), "disk write+sync latency distribution")
	fs.Float64Var(&c.Net.Loss, "loss", c.Net.Loss, "probability a message between nodes is lost")
	fs.Float64Var(&c.Net.Duplicate, "dup", c.Net.Duplicate, "probability a message is duplicated")
	fs.Float64Var(&c.Net.Reorder, "reorder", c.Net.Reorder, "probability a message is held back so later ones overtake it")
	fs.DurationVar(&c.Clocks.MaxSkew, "skew", c.Clocks.MaxSkew, "largest wall-clock offset of a node, either sign")
	fs.IntVar(&c.Faults.Crashes, "crashes", c.Faults.Crashes, "node crashes (with restarts) during the load")
	fs.BoolVar(&c.Faults.TornWrites, "torn", c.Faults.TornWrites, "a crash may tear the last record on disk")
	fs.IntVar(&c.Faults.Partitions, "partitions-cut", c.Faults.Partitions, "two-way network partitions during the load")
	fs.IntVar(&c.Faults.OneWayPartitions, "one-way-cut", c.Faults.OneWayPartitions, "one-way network partitions during the load")
	fs.DurationVar(&c.Quiet, "quiet", c.Quiet, "longest fault-free time after the load, waiting for replicas to converge, before the scrub and the checks")
	fs.BoolVar(&c.Scrub, "scrub", c.Scrub, "after the quiet period, read every key with R=N so that read repair makes replicas converge")
	fs.BoolVar(&c.NoAntiEntropy, "no-anti-entropy", c.NoAntiEntropy, "turn Merkle anti-entropy off (converged then holds only with --scrub)")
	kinds := strings.Join(faultKindNames(), ", ")
	fs.BoolVar(&c.Faults.Nemesis, "nemesis", c.Faults.Nemesis, "the seeded nemesis: the seed draws which fault kinds strike during the load, and how often")
	fs.StringVar(&f.nemesisOn, "nemesis-on", "", "fault kinds always on, comma separated, or all (implies --nemesis): "+kinds)
	fs.StringVar(&f.nemesisOff, "nemesis-off", "", "fault kinds never on, comma separated, or all")
	fs.StringVar(&f.nemesisRate, "nemesis-rate", "", "fixed rates, kind=occurrences per simulated second, comma separated (e.g. crash=2,bridge=0.5)")
	fs.StringVar(&f.faultTime, "fault-time", c.Faults.FaultTime.String(), "how long a slow or failing disk, a message-fault burst or a clog lasts")
	fs.DurationVar(&c.Faults.MaxClockJump, "clock-jump", c.Faults.MaxClockJump, "largest jump of a wall clock, either way (nemesis)")
	fs.Int64Var(&c.Faults.MaxDriftPPM, "drift-change", c.Faults.MaxDriftPPM, "largest monotonic clock rate error a drift change sets, in ppm either way (nemesis)")
	fs.IntVar(&c.Faults.SlowDiskFactor, "slow-disk", c.Faults.SlowDiskFactor, "largest factor a slow disk multiplies its latency by (nemesis)")
	fs.Float64Var(&c.Faults.DiskFailProb, "disk-fail", c.Faults.DiskFailProb, "largest probability that a failing disk fails a write (nemesis)")
	fs.Float64Var(&c.Faults.BurstLoss, "burst-loss", c.Faults.BurstLoss, "largest loss probability during a loss burst (nemesis)")
	fs.Float64Var(&c.Faults.BurstDup, "burst-dup", c.Faults.BurstDup, "largest duplication probability during a duplication burst (nemesis)")
	fs.Float64Var(&c.Faults.BurstReorder, "burst-reorder", c.Faults.BurstReorder, "largest reorder probability during a reorder burst (nemesis)")
	return f
}

// parse reads args and returns a validated configuration, or an error that
// names the offending flag.
func (f *simFlags) parse(args []string) (sim.Config, error) {
	if err := f.fs.Parse(args); err != nil {
		return sim.Config{}, err
	}
	if f.fs.NArg() > 0 {
		return sim.Config{}, fmt.Errorf("unexpected argument %q", f.fs.Arg(0))
	}
	c := f.cfg
	var err error
	if c.Ring.Strategy, err = ring.ParseStrategy(f.strategy); err != nil {
		return c, fmt.Errorf("--strategy: %w", err)
	}
	if c.Causality, err = causality.ParseMode(f.causality); err != nil {
		return c, fmt.Errorf("--causality: %w", err)
	}
	switch sim.Routing(f.routing) {
	case sim.ServerDriven, sim.ClientDriven:
		c.Routing = sim.Routing(f.routing)
	default:
		return c, fmt.Errorf("--routing=%q: want server or client", f.routing)
	}
	if c.Net.Latency, err = sim.ParseDist(f.latency); err != nil {
		return c, fmt.Errorf("--latency: %w", err)
	}
	if c.Disk.Latency, err = sim.ParseDist(f.diskLat); err != nil {
		return c, fmt.Errorf("--disk-latency: %w", err)
	}
	switch {
	case c.Nodes < 1:
		return c, fmt.Errorf("--nodes=%d: want at least 1", c.Nodes)
	case c.N < 1:
		return c, fmt.Errorf("--n=%d: want at least 1", c.N)
	case c.N > c.Nodes:
		return c, fmt.Errorf("--n=%d exceeds --nodes=%d", c.N, c.Nodes)
	case c.R < 1 || c.R > c.N:
		return c, fmt.Errorf("--r=%d: want 1..N (--n=%d)", c.R, c.N)
	case c.W < 1 || c.W > c.N:
		return c, fmt.Errorf("--w=%d: want 1..N (--n=%d)", c.W, c.N)
	case c.Workload.Clients < 1:
		return c, fmt.Errorf("--clients=%d: want at least 1", c.Workload.Clients)
	case c.Workload.Ops < 0:
		return c, fmt.Errorf("--ops=%d: want at least 0", c.Workload.Ops)
	case c.Workload.Keys < 1:
		return c, fmt.Errorf("--keys=%d: want at least 1", c.Workload.Keys)
	case c.Net.Loss < 0 || c.Net.Loss >= 1:
		return c, fmt.Errorf("--loss=%g: want 0 <= p < 1", c.Net.Loss)
	case c.Net.Duplicate < 0 || c.Net.Duplicate >= 1:
		return c, fmt.Errorf("--dup=%g: want 0 <= p < 1", c.Net.Duplicate)
	case c.Net.Reorder < 0 || c.Net.Reorder >= 1:
		return c, fmt.Errorf("--reorder=%g: want 0 <= p < 1", c.Net.Reorder)
	case c.Faults.Crashes < 0:
		return c, fmt.Errorf("--crashes=%d: want at least 0", c.Faults.Crashes)
	case c.Faults.Partitions < 0:
		return c, fmt.Errorf("--partitions-cut=%d: want at least 0", c.Faults.Partitions)
	case c.Faults.OneWayPartitions < 0:
		return c, fmt.Errorf("--one-way-cut=%d: want at least 0", c.Faults.OneWayPartitions)
	case c.Quiet < 0:
		return c, fmt.Errorf("--quiet=%s: want non-negative", c.Quiet)
	case c.Clocks.MaxSkew < 0:
		return c, fmt.Errorf("--skew=%s: want non-negative", c.Clocks.MaxSkew)
	}
	if err := f.parseNemesis(&c.Faults); err != nil {
		return c, err
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("invalid flags: %w", err)
	}
	return c, nil
}

// parseNemesis reads the nemesis's kind and rate flags into faults.
func (f *simFlags) parseNemesis(faults *sim.Faults) error {
	var err error
	if faults.FaultTime, err = sim.ParseDist(f.faultTime); err != nil {
		return fmt.Errorf("--fault-time: %w", err)
	}
	on, err := parseFaultKinds(f.nemesisOn)
	if err != nil {
		return fmt.Errorf("--nemesis-on: %w", err)
	}
	off, err := parseFaultKinds(f.nemesisOff)
	if err != nil {
		return fmt.Errorf("--nemesis-off: %w", err)
	}
	for _, k := range on {
		if slices.Contains(off, k) {
			return fmt.Errorf("--nemesis-on and --nemesis-off both name %s", k)
		}
		faults.Kinds[k].Mode = sim.KindOn
		faults.Nemesis = true
	}
	for _, k := range off {
		faults.Kinds[k].Mode = sim.KindOff
	}
	if f.nemesisRate != "" {
		for _, part := range strings.Split(f.nemesisRate, ",") {
			name, val, ok := strings.Cut(part, "=")
			if !ok {
				return fmt.Errorf("--nemesis-rate: %q: want kind=rate", part)
			}
			k, err := sim.ParseFaultKind(name)
			if err != nil {
				return fmt.Errorf("--nemesis-rate: %w", err)
			}
			rate, err := strconv.ParseFloat(val, 64)
			if err != nil || rate <= 0 || rate > 1e6 {
				return fmt.Errorf("--nemesis-rate: %s=%s: want a rate in (0, 1e6] per simulated second", name, val)
			}
			faults.Kinds[k].Rate = rate
		}
	}
	switch {
	case faults.MaxClockJump < 0:
		return fmt.Errorf("--clock-jump=%s: want non-negative", faults.MaxClockJump)
	case faults.MaxDriftPPM < 0 || faults.MaxDriftPPM > 100_000:
		return fmt.Errorf("--drift-change=%d: want 0..100000", faults.MaxDriftPPM)
	case faults.SlowDiskFactor < 0 || faults.SlowDiskFactor > 10_000:
		return fmt.Errorf("--slow-disk=%d: want 0..10000", faults.SlowDiskFactor)
	case faults.DiskFailProb < 0 || faults.DiskFailProb > 1:
		return fmt.Errorf("--disk-fail=%g: want 0 <= p <= 1", faults.DiskFailProb)
	case faults.BurstLoss < 0 || faults.BurstLoss >= 1:
		return fmt.Errorf("--burst-loss=%g: want 0 <= p < 1", faults.BurstLoss)
	case faults.BurstDup < 0 || faults.BurstDup >= 1:
		return fmt.Errorf("--burst-dup=%g: want 0 <= p < 1", faults.BurstDup)
	case faults.BurstReorder < 0 || faults.BurstReorder >= 1:
		return fmt.Errorf("--burst-reorder=%g: want 0 <= p < 1", faults.BurstReorder)
	}
	return nil
}

// parseFaultKinds parses a comma-separated list of fault kinds, or "all".
func parseFaultKinds(list string) ([]sim.FaultKind, error) {
	if list == "" {
		return nil, nil
	}
	if list == "all" {
		all := make([]sim.FaultKind, sim.NumFaultKinds)
		for k := range all {
			all[k] = sim.FaultKind(k)
		}
		return all, nil
	}
	var out []sim.FaultKind
	for _, name := range strings.Split(list, ",") {
		k, err := sim.ParseFaultKind(strings.TrimSpace(name))
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

func faultKindNames() []string {
	names := make([]string, sim.NumFaultKinds)
	for k := range names {
		names[k] = sim.FaultKind(k).String()
	}
	return names
}

// replayCommand is the exact command that reproduces this run: the seed and
// every flag the user set that changes the run.
func (f *simFlags) replayCommand(seed uint64) string {
	parts := []string{"go run ./cmd/dynamo sim", fmt.Sprintf("--seed %d", seed)}
	f.fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "seed", "json", "history", "viz":
			return
		}
		v := fl.Value.String()
		if strings.ContainsAny(v, " \t'\"") {
			v = "'" + v + "'"
		}
		parts = append(parts, fmt.Sprintf("--%s=%s", fl.Name, v))
	})
	return strings.Join(parts, " ")
}

var errHelp = flag.ErrHelp

func isHelp(err error) bool { return errors.Is(err, errHelp) }

var _ = time.Second
