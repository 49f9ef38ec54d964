package sim

import (
	"fmt"
	"time"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/core/causality"
	"github.com/dynamo-replay/dynamo/core/ring"
)

// Routing says how clients reach coordinators (section 6.4).
type Routing string

const (
	// ServerDriven: a load balancer sends each request to a random node, which
	// coordinates a get itself and forwards a put to one of the key's top N.
	ServerDriven Routing = "server"
	// ClientDriven: the client holds the ring and sends each request straight to
	// one of the key's top N.
	ClientDriven Routing = "client"
)

// Config describes one simulated run. Everything not here comes from the seed.
type Config struct {
	Seed uint64

	Nodes     int
	N, R, W   int
	Ring      ring.Params
	Causality causality.Mode
	Buffered  bool
	Routing   Routing
	// Strict is the strict profile: no sloppy quorum, R + W > N, and reads
	// that write their merge back to W replicas before answering. Its
	// histories must be linearizable.
	Strict bool

	Workload Workload
	Net      Network
	Disk     Disk
	Clocks   Clocks
	Faults   Faults

	// StartDelay holds the clients back while the nodes boot: a request that
	// reaches a node before its first incarnation record is durable is refused.
	StartDelay time.Duration
	// LoadWindow, when positive, counts the requests every node receives per
	// window of this length (Result.Load), for the imbalance of Figure 6.
	LoadWindow time.Duration
	// Quiet bounds the fault-free period after the workload: it ends as soon
	// as replicas have converged (no hints left, every key's owners agree),
	// or at this bound; then the scrub reads every key and the final states
	// are taken. Default 20s: hand-off waits for a ping to find the owner up
	// and the next hint scan, and anti-entropy needs a pass over the peers
	// (and transfers to finish after joins); a run that converges sooner
	// ends sooner.
	Quiet time.Duration
	// Scrub adds an end-of-run read of every key with R=N after the quiet
	// period, whose read repair makes replicas converge even without
	// anti-entropy. Off by default: anti-entropy and hinted handoff must
	// converge on their own, and the converged check proves they do.
	Scrub bool
	// NoAntiEntropy turns the nodes' Merkle exchanges off (with Scrub, the
	// configuration before anti-entropy existed).
	NoAntiEntropy bool

	// Node overrides the nodes' timing knobs when non-zero.
	RequestTimeout   time.Duration
	ReadRepairWindow time.Duration

	// Bugs plants defects in every node (checker tests only).
	Bugs core.Bugs
}

// Workload is what the clients do.
type Workload struct {
	// Clients is the number of closed-loop clients (each waits for its answer).
	Clients int
	// Ops is the total number of client operations (a read-modify-write counts
	// two: its get and its put).
	Ops int
	// Keys is the size of the key space.
	Keys int
	// Zipf is the exponent of a Zipf key distribution; 0 means uniform.
	Zipf float64
	// GetFraction, RMWFraction and DeleteFraction split operations; the rest are
	// blind puts. A read-modify-write is a get whose context goes into a put,
	// like adding an item to a shopping cart.
	GetFraction, RMWFraction, DeleteFraction float64
	// Think is a closed-loop client's pause between operations.
	Think Dist
	// OpenLoopRate, when positive, replaces the closed loop: requests arrive as a
	// Poisson process at this many per simulated second, whatever the latency.
	OpenLoopRate float64
	// Diurnal, with a positive Period, makes the open-loop rate follow a daily
	// cycle: OpenLoopRate at the peak (mid-period), Low times that at the
	// trough (the start and end of each period).
	Diurnal Diurnal
	// Robots are extra closed-loop clients that only write, blindly (no
	// context), to the first RobotKeys keys: the automated clients that the
	// paper blames for divergent versions (section 6.3).
	Robots, RobotKeys int
}

// Diurnal is a daily cycle of the request rate.
type Diurnal struct {
	Period time.Duration
	Low    float64 // trough rate as a fraction of the peak, 0..1
}

// Network is the simulated network between nodes, and between clients and nodes.
type Network struct {
	// Balancer is the extra delay, each way, of the load balancer that
	// server-driven requests go through (section 6.4); client-driven
	// requests skip it.
	Balancer Dist
	Latency  Dist
	// Loss, Duplicate and Reorder are per-message probabilities between nodes. A
	// reordered message waits an extra Reorder delay, so later ones overtake it.
	Loss, Duplicate, Reorder float64
	ReorderDelay             Dist
}

// Disk is the simulated disk's write-and-sync latency. Writes complete in order.
type Disk struct {
	Latency Dist
}

// Clocks bounds the nodes' clock errors, drawn per node from the seed.
type Clocks struct {
	MaxSkew     time.Duration // wall-clock offset, either sign
	MaxDriftPPM int64         // monotonic rate error, either sign
}

// Faults says which faults happen during the load phase. Two schedules exist
// side by side:
//
//   - fixed counts (Crashes, Partitions, OneWayPartitions): that many faults at
//     uniformly random times of the expected load, as in the first simulator;
//   - the nemesis (Nemesis): a swarm schedule in the style of FoundationDB and
//     TigerBeetle's VOPR. The seed draws which fault kinds are enabled and how
//     often each strikes; Kinds forces a kind on or off and fixes its rate.
//
// Every fault is recorded as an annotation of the history and counted by a
// coverage probe named nemesis_<kind>. When the load ends every fault heals:
// partitions, clogs, disk faults and network bursts end, crashed nodes restart,
// and clocks keep their offsets and rates but stop jumping.
type Faults struct {
	// Crashes is how many node crashes happen during the workload; each node
	// restarts after Downtime.
	Crashes  int
	Downtime Dist
	// TornWrites: a crash may leave a torn last record on disk. Under the
	// nemesis, crashes tear when this is set, or when the seed says so.
	TornWrites bool
	// Partitions is how many random two-way partitions happen, each lasting
	// PartitionTime. One partition holds at a time: a partition due while
	// another holds is skipped, as is any fault due after the load.
	Partitions int
	// OneWayPartitions is how many random one-way partitions happen: one group
	// cannot send to the other, which can still send back.
	OneWayPartitions int
	PartitionTime    Dist

	// Nemesis turns on the seeded swarm schedule. Off by default, so that a
	// run without it is the run it always was.
	Nemesis bool
	// Kinds overrides the swarm for each kind, indexed by FaultKind.
	Kinds [NumFaultKinds]KindSetting
	// Spares are node slots beyond Nodes that the nemesis can boot and have
	// join the ring (FaultJoin). Default 2.
	Spares int
	// RebootTime is how long a rebooted node stays down (a process restart
	// onto the same disk, which keeps every write already issued).
	RebootTime Dist
	// FaultTime is how long a slow disk, a failing disk, a burst of message
	// faults or a clogged node lasts.
	FaultTime Dist
	// MaxClockJump bounds one jump of a node's wall clock, either way.
	MaxClockJump time.Duration
	// MaxDriftPPM bounds the monotonic rate a drift change sets, either sign.
	MaxDriftPPM int64
	// SlowDiskFactor is the largest factor a slow disk multiplies its
	// latency by (each slow spell draws a factor from 2 up to it).
	SlowDiskFactor int
	// DiskFailProb is the largest probability with which a failing disk
	// fails each write (each spell draws one from (0, DiskFailProb]).
	DiskFailProb float64
	// BurstLoss, BurstDup and BurstReorder are the largest message-fault
	// probabilities during a burst (each burst draws one between the
	// network's own and this).
	BurstLoss, BurstDup, BurstReorder float64
}

// KindMode says whether a fault kind is on under the nemesis.
type KindMode uint8

const (
	// KindAuto: the seed decides, like every other swarm parameter.
	KindAuto KindMode = iota
	// KindOn: always on when the nemesis is.
	KindOn
	// KindOff: never.
	KindOff
)

// KindSetting overrides the swarm for one fault kind.
type KindSetting struct {
	Mode KindMode
	// Rate is how often the kind strikes, in mean occurrences per simulated
	// second of the load phase; 0 lets the seed draw it.
	Rate float64
}

// DefaultConfig is the default scenario of `dynamo sim`: five nodes, (3,2,2),
// dvv, a few thousand operations from ten clients, with message loss and
// long-tailed delays.
func DefaultConfig(seed uint64) Config {
	return Config{
		Seed:      seed,
		Nodes:     5,
		N:         3,
		R:         2,
		W:         2,
		Ring:      ring.DefaultParams(),
		Causality: causality.DVV,
		Routing:   ServerDriven,
		Workload: Workload{
			Clients: 10,
			Ops:     3000,
			Keys:    100,
			Zipf:    0,
			// Mostly read-modify-writes, like the shopping cart: each put
			// carries the context of a read, so siblings stay rare.
			GetFraction:    0.3,
			RMWFraction:    0.6,
			DeleteFraction: 0.02,
			Think:          Dist{Kind: "exp", Scale: time.Millisecond},
		},
		Net: Network{
			// Median 0.5ms within a datacenter, with a long tail past 10ms.
			Latency:      Dist{Kind: "lognormal", Min: 100 * time.Microsecond, Scale: 400 * time.Microsecond, Sigma: 0.9, Max: time.Second},
			Balancer:     Dist{Kind: "const"},
			Loss:         0.01,
			Duplicate:    0.005,
			Reorder:      0.01,
			ReorderDelay: Dist{Kind: "uniform", Scale: 5 * time.Millisecond},
		},
		Disk: Disk{
			// An fsync: about a millisecond, sometimes far more.
			Latency: Dist{Kind: "lognormal", Min: 200 * time.Microsecond, Scale: time.Millisecond, Sigma: 0.8, Max: 2 * time.Second},
		},
		Clocks: Clocks{MaxSkew: 10 * time.Millisecond, MaxDriftPPM: 100},
		Faults: Faults{
			Downtime:      Dist{Kind: "uniform", Min: 100 * time.Millisecond, Scale: 900 * time.Millisecond},
			PartitionTime: Dist{Kind: "uniform", Min: 100 * time.Millisecond, Scale: 900 * time.Millisecond},
			RebootTime:    Dist{Kind: "uniform", Min: time.Millisecond, Scale: 49 * time.Millisecond},
			FaultTime:     Dist{Kind: "uniform", Min: 50 * time.Millisecond, Scale: 450 * time.Millisecond},
			MaxClockJump:  time.Second,
			MaxDriftPPM:   20_000,
			// A slow disk: an fsync of a millisecond takes up to 20.
			SlowDiskFactor: 20,
			DiskFailProb:   1,
			BurstLoss:      0.5,
			BurstDup:       0.5,
			BurstReorder:   0.5,
			Spares:         2,
		},
		StartDelay: 50 * time.Millisecond,
		Quiet:      20 * time.Second,
	}
}

// Validate names the first field that makes the configuration unusable.
func (c *Config) Validate() error {
	w := &c.Workload
	switch {
	case c.Nodes < 1 || c.Nodes > 1000:
		return fmt.Errorf("nodes=%d, want 1..1000", c.Nodes)
	case c.N < 1:
		return fmt.Errorf("N=%d, want at least 1", c.N)
	case c.N > c.Nodes:
		return fmt.Errorf("N=%d exceeds nodes=%d", c.N, c.Nodes)
	case c.R < 1 || c.R > c.N:
		return fmt.Errorf("R=%d, want 1..N (N=%d)", c.R, c.N)
	case c.W < 1 || c.W > c.N:
		return fmt.Errorf("W=%d, want 1..N (N=%d)", c.W, c.N)
	case c.Strict && c.R+c.W <= c.N:
		return fmt.Errorf("strict profile needs R + W > N (R=%d W=%d N=%d)", c.R, c.W, c.N)
	case c.Routing != ServerDriven && c.Routing != ClientDriven:
		return fmt.Errorf("routing=%q, want server or client", c.Routing)
	case w.Clients < 1:
		return fmt.Errorf("clients=%d, want at least 1", w.Clients)
	case w.Ops < 0:
		return fmt.Errorf("ops=%d, want at least 0", w.Ops)
	case w.Keys < 1:
		return fmt.Errorf("keys=%d, want at least 1", w.Keys)
	case w.Zipf < 0:
		return fmt.Errorf("zipf=%g, want 0 (uniform) or positive", w.Zipf)
	case w.GetFraction < 0 || w.RMWFraction < 0 || w.DeleteFraction < 0 ||
		w.GetFraction+w.RMWFraction+w.DeleteFraction > 1:
		return fmt.Errorf("operation mix get=%g rmw=%g delete=%g: want non-negative fractions summing to at most 1",
			w.GetFraction, w.RMWFraction, w.DeleteFraction)
	case w.OpenLoopRate < 0:
		return fmt.Errorf("open-loop rate %g, want >= 0", w.OpenLoopRate)
	case w.Diurnal.Period < 0 || w.Diurnal.Low < 0 || w.Diurnal.Low > 1:
		return fmt.Errorf("diurnal period %s low %g: want a non-negative period and 0 <= low <= 1", w.Diurnal.Period, w.Diurnal.Low)
	case w.Robots < 0 || (w.Robots > 0 && (w.RobotKeys < 1 || w.RobotKeys > w.Keys)):
		return fmt.Errorf("robots=%d robot keys=%d: want robots >= 0 writing to 1..keys keys", w.Robots, w.RobotKeys)
	case c.Net.Loss < 0 || c.Net.Loss >= 1:
		return fmt.Errorf("loss=%g, want 0 <= loss < 1", c.Net.Loss)
	case c.Net.Duplicate < 0 || c.Net.Duplicate >= 1:
		return fmt.Errorf("duplicate=%g, want 0 <= p < 1", c.Net.Duplicate)
	case c.Net.Reorder < 0 || c.Net.Reorder >= 1:
		return fmt.Errorf("reorder=%g, want 0 <= p < 1", c.Net.Reorder)
	case c.Clocks.MaxSkew < 0 || c.Clocks.MaxDriftPPM < 0 || c.Clocks.MaxDriftPPM > 100_000:
		return fmt.Errorf("clocks: skew %s drift %dppm, want non-negative and drift <= 100000", c.Clocks.MaxSkew, c.Clocks.MaxDriftPPM)
	case c.Faults.Spares < 0 || c.Nodes+c.Faults.Spares > 1000:
		return fmt.Errorf("faults: spares=%d, want 0..%d", c.Faults.Spares, 1000-c.Nodes)
	case c.Faults.Crashes < 0 || c.Faults.Partitions < 0 || c.Faults.OneWayPartitions < 0:
		return fmt.Errorf("faults: crashes=%d partitions=%d one-way=%d, want non-negative",
			c.Faults.Crashes, c.Faults.Partitions, c.Faults.OneWayPartitions)
	case c.Faults.MaxClockJump < 0:
		return fmt.Errorf("faults: max clock jump %s, want non-negative", c.Faults.MaxClockJump)
	case c.Faults.MaxDriftPPM < 0 || c.Faults.MaxDriftPPM > 100_000:
		return fmt.Errorf("faults: max drift %dppm, want 0..100000", c.Faults.MaxDriftPPM)
	case c.Faults.SlowDiskFactor < 0 || c.Faults.SlowDiskFactor > 10_000:
		return fmt.Errorf("faults: slow disk factor %d, want 0..10000 (0 or 1: disks never slow down)", c.Faults.SlowDiskFactor)
	case c.Faults.DiskFailProb < 0 || c.Faults.DiskFailProb > 1:
		return fmt.Errorf("faults: disk failure probability %g, want 0..1", c.Faults.DiskFailProb)
	case c.Faults.BurstLoss < 0 || c.Faults.BurstLoss >= 1 || c.Faults.BurstDup < 0 || c.Faults.BurstDup >= 1 ||
		c.Faults.BurstReorder < 0 || c.Faults.BurstReorder >= 1:
		return fmt.Errorf("faults: burst loss %g dup %g reorder %g, want 0 <= p < 1",
			c.Faults.BurstLoss, c.Faults.BurstDup, c.Faults.BurstReorder)
	case c.StartDelay < 0:
		return fmt.Errorf("start delay %s, want non-negative", c.StartDelay)
	case c.Quiet < 0:
		return fmt.Errorf("quiet=%s, want non-negative", c.Quiet)
	}
	type namedDist struct {
		name string
		d    Dist
	}
	dists := []namedDist{
		{"net latency", c.Net.Latency}, {"reorder delay", c.Net.ReorderDelay}, {"disk latency", c.Disk.Latency},
		{"balancer", c.Net.Balancer},
		{"think time", w.Think}, {"downtime", c.Faults.Downtime}, {"partition time", c.Faults.PartitionTime},
	}
	if c.Faults.Nemesis {
		dists = append(dists, namedDist{"reboot time", c.Faults.RebootTime}, namedDist{"fault time", c.Faults.FaultTime})
		for k, ks := range c.Faults.Kinds {
			if ks.Mode > KindOff || ks.Rate < 0 || ks.Rate > 1e6 {
				return fmt.Errorf("faults: %s: mode %d rate %g, want mode auto, on or off and a rate in 0..1e6 per second",
					FaultKind(k), ks.Mode, ks.Rate)
			}
		}
	}
	for _, x := range dists {
		if err := x.d.Validate(); err != nil {
			return fmt.Errorf("%s: %w", x.name, err)
		}
	}
	return c.Ring.Validate(c.Nodes)
}
