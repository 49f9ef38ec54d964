package sim

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/dynamo-replay/dynamo/checks"
	"github.com/dynamo-replay/dynamo/core"
	"github.com/stretchr/testify/require"
)

// nemesisConfig is the small scenario with the nemesis on: the seed's swarm
// plan, or only the kinds in only, each at rate (0: the seed's rate). The
// quiet bound is long, since the quiet period ends as soon as the replicas
// converge anyway.
func nemesisConfig(seed uint64, rate float64, only ...FaultKind) Config {
	cfg := small(seed)
	cfg.Faults.Nemesis = true
	cfg.Quiet = 20 * time.Second
	if len(only) > 0 {
		for k := range cfg.Faults.Kinds {
			cfg.Faults.Kinds[k].Mode = KindOff
		}
		for _, k := range only {
			cfg.Faults.Kinds[k] = KindSetting{Mode: KindOn, Rate: rate}
		}
	}
	return cfg
}

// allKinds lists every fault kind.
func allKinds() []FaultKind {
	out := make([]FaultKind, NumFaultKinds)
	for k := range out {
		out[k] = FaultKind(k)
	}
	return out
}

func probeCount(res *Result, name string) uint64 {
	for _, p := range res.Probes {
		if p.Name == name {
			return p.Count
		}
	}
	return 0
}

// annotationsOf returns the annotations tagged tag, and checks that every
// annotation of the run is closed and well ordered.
func annotationsOf(t *testing.T, res *Result, tag string) []checks.Annotation {
	t.Helper()
	var out []checks.Annotation
	for _, a := range res.History.Annotations {
		require.GreaterOrEqual(t, a.Start, int64(0), "%+v", a)
		require.GreaterOrEqual(t, a.End, a.Start, "annotation left open or ending before it starts: %+v", a)
		require.NotEmpty(t, a.Tag)
		require.NotEmpty(t, a.Description)
		if a.Tag == tag {
			out = append(out, a)
		}
	}
	return out
}

// TestNemesisEveryKindFires: each kind, on alone, strikes, is annotated with
// its tag and counted by its probe, and does what it says.
func TestNemesisEveryKindFires(t *testing.T) {
	for _, k := range allKinds() {
		t.Run(k.String(), func(t *testing.T) {
			for seed := uint64(1); seed <= 5; seed++ {
				s, err := New(nemesisConfig(seed, 10, k))
				require.NoError(t, err)
				require.Equal(t, []FaultKind{k}, s.Plan().Enabled())
				res, err := s.Run()
				require.NoError(t, err)
				anns := annotationsOf(t, res, k.String())
				n := probeCount(res, k.Probe())
				require.Equal(t, uint64(len(anns)), n, "every injection is annotated once")
				if n == 0 {
					continue
				}
				// Faults strike during the load phase only.
				healAt := res.History.Annotations[len(res.History.Annotations)-1]
				require.Equal(t, "quiet", healAt.Tag)
				for _, a := range anns {
					require.LessOrEqual(t, a.Start, healAt.Start)
					require.LessOrEqual(t, a.End, healAt.Start)
				}
				st := res.Stats
				switch k {
				case FaultPartition, FaultIsolate, FaultOneWay, FaultBridge:
					require.Equal(t, uint64(len(anns)), st.Partitions)
				case FaultCrash:
					require.Equal(t, uint64(len(anns)), st.Crashes)
					require.Equal(t, st.Crashes, st.Restarts)
				case FaultReboot:
					require.Equal(t, uint64(len(anns)), st.Reboots)
					require.Equal(t, st.Reboots, st.Restarts)
				case FaultClockJump, FaultClockDrift:
					for _, a := range anns {
						require.Equal(t, a.Start, a.End, "a clock fault is an instant")
					}
				case FaultDiskFail:
					if st.FailedWrites == 0 {
						continue // no write was issued while a disk failed
					}
					require.Greater(t, probeCount(res, "disk_write_failed"), uint64(0))
				case FaultClog:
					if st.Held == 0 {
						continue
					}
				}
				t.Logf("seed %d: %d × %s, e.g. %q", seed, n, k, anns[0].Description)
				return
			}
			t.Fatalf("%s never fired in 5 seeds", k)
		})
	}
}

// TestNemesisSwarmCoversEveryKind: the swarm, left to the seed, enables every
// kind in some seed, and every kind it enables strikes in some seed.
func TestNemesisSwarmCoversEveryKind(t *testing.T) {
	enabled := make(map[FaultKind]int)
	fired := make(map[FaultKind]int)
	for seed := uint64(1); seed <= 12; seed++ {
		cfg := nemesisConfig(seed, 0)
		s, err := New(cfg)
		require.NoError(t, err)
		require.NotEmpty(t, s.Plan().Enabled(), "a swarm run always has some fault")
		res, err := s.Run()
		require.NoError(t, err)
		for _, k := range s.Plan().Enabled() {
			enabled[k]++
			if probeCount(res, k.Probe()) > 0 {
				fired[k]++
			}
		}
		for k := range NumFaultKinds {
			if !s.Plan().On[k] {
				require.Zero(t, probeCount(res, k.Probe()), "seed %d: %s struck while off", seed, k)
			}
		}
	}
	for _, k := range allKinds() {
		require.Positive(t, enabled[k], "no seed enabled %s", k)
		require.Positive(t, fired[k], "%s never struck", k)
	}
}

// TestNemesisPlan: forcing kinds on or off overrides the swarm, fixed rates
// are kept, and changing one kind's setting leaves the others' draws alone.
func TestNemesisPlan(t *testing.T) {
	off := DefaultConfig(1)
	s, err := New(off)
	require.NoError(t, err)
	require.Empty(t, s.Plan().Enabled(), "without the nemesis nothing is on")
	require.Equal(t, "off", s.Plan().String())

	for seed := uint64(1); seed <= 20; seed++ {
		cfg := DefaultConfig(seed)
		cfg.Faults.Nemesis = true
		base := drawPlan(&cfg, rand.New(rand.NewPCG(seed, 1)))
		cfg.Faults.Kinds[FaultBridge] = KindSetting{Mode: KindOn, Rate: 7}
		cfg.Faults.Kinds[FaultCrash].Mode = KindOff
		p := drawPlan(&cfg, rand.New(rand.NewPCG(seed, 1)))
		require.True(t, p.On[FaultBridge])
		require.Equal(t, 7.0, p.Rate[FaultBridge])
		require.False(t, p.On[FaultCrash])
		for k := range NumFaultKinds {
			if k == FaultBridge || k == FaultCrash {
				continue
			}
			require.Equal(t, base.Rate[k], p.Rate[k], "seed %d: %s", seed, k)
			if len(base.Enabled()) > 1 || !base.On[FaultCrash] {
				require.Equal(t, base.On[k], p.On[k], "seed %d: %s", seed, k)
			}
		}
	}

	// Kinds that cannot do anything are never on.
	cfg := DefaultConfig(1)
	cfg.Nodes, cfg.N, cfg.R, cfg.W = 2, 2, 1, 1
	cfg.Faults.Nemesis = true
	cfg.Faults.Kinds[FaultBridge].Mode = KindOn
	cfg.Faults.MaxClockJump = 0
	cfg.Faults.Kinds[FaultClockJump].Mode = KindOn
	p := drawPlan(&cfg, rand.New(rand.NewPCG(1, 1)))
	require.False(t, p.On[FaultBridge], "a bridge needs three nodes")
	require.False(t, p.On[FaultClockJump])
}

// TestNemesisSameSeedSameTrace: with every fault kind on, and with the swarm,
// a seed still replays byte for byte, annotations and probes included.
func TestNemesisSameSeedSameTrace(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		for _, cfg := range []Config{nemesisConfig(seed, 0, allKinds()...), nemesisConfig(seed, 0)} {
			cfg.Faults.TornWrites = true
			a, _ := run(t, cfg)
			b, _ := run(t, cfg)
			require.Equal(t, a.TraceHex(), b.TraceHex(), "seed %d replayed differently", seed)
			require.Equal(t, a.History.Ops, b.History.Ops, "seed %d: histories differ", seed)
			require.Equal(t, a.History.Annotations, b.History.Annotations)
			require.Equal(t, a.History.Final, b.History.Final)
			require.Equal(t, a.Stats, b.Stats)
			require.Equal(t, a.Probes, b.Probes)
			require.Equal(t, a.ConvergeTime, b.ConvergeTime)
		}
	}
	// And the nemesis changes the run.
	a, _ := run(t, small(1))
	b, _ := run(t, nemesisConfig(1, 0))
	require.NotEqual(t, a.TraceHex(), b.TraceHex())
}

// TestNemesisMustHold is the nemesis's acceptance test: with every fault kind
// on, and with the seed's swarm, the default profile ((3,2,2), dvv, direct
// writes) keeps every must-hold check: no invented value, no acknowledged
// write lost, every replica converged.
func TestNemesisMustHold(t *testing.T) {
	for _, mode := range []string{"all", "swarm"} {
		t.Run(mode, func(t *testing.T) {
			var failed []string
			for seed := uint64(1); seed <= 30; seed++ {
				cfg := nemesisConfig(seed, 0)
				replay := fmt.Sprintf("go run ./cmd/dynamo sim --seed %d --ops=%d --keys=%d --quiet=%s --nemesis",
					seed, cfg.Workload.Ops, cfg.Workload.Keys, cfg.Quiet)
				if mode == "all" {
					cfg = nemesisConfig(seed, 0, allKinds()...)
					replay += " --nemesis-on=all"
				}
				s, err := New(cfg)
				require.NoError(t, err)
				res, err := s.Run()
				require.NoError(t, err, "seed %d", seed)
				rep := checks.Run(res.History, checks.Options{})
				require.True(t, verdict(t, rep, checks.NameNoLostWrites).MustHold)
				require.True(t, verdict(t, rep, checks.NameConverged).MustHold)
				if !rep.Failed() {
					continue
				}
				var b strings.Builder
				fmt.Fprintf(&b, "seed %d (plan %s; converged before the bound: %v)\n  replay: %s\n", seed, s.Plan(), res.Converged, replay)
				for _, v := range rep.Verdicts {
					if v.MustHold && !v.Passed {
						for _, m := range v.Messages {
							fmt.Fprintf(&b, "  %s: %s\n", v.Name, m)
						}
					}
				}
				failed = append(failed, b.String())
			}
			if len(failed) > 0 {
				t.Fatalf("%d of 30 seeds failed a must-hold check:\n%s", len(failed), strings.Join(failed, ""))
			}
		})
	}
}

// TestQuietPhaseEndsAtConvergence: without faults the replicas agree soon
// after the load, the quiet period ends there, and the result says when.
func TestQuietPhaseEndsAtConvergence(t *testing.T) {
	cfg := small(1)
	cfg.Net.Loss, cfg.Net.Duplicate, cfg.Net.Reorder = 0, 0, 0
	cfg.Quiet = 30 * time.Second
	res, rep := run(t, cfg)
	require.False(t, rep.Failed())
	require.True(t, res.Converged)
	require.GreaterOrEqual(t, res.ConvergeTime, time.Duration(0))
	require.Less(t, res.ConvergeTime, 5*time.Second)
	require.Less(t, res.SimTime, 20*time.Second, "the quiet period did not end at convergence")
	quiet := annotationsOf(t, res, "quiet")
	require.Len(t, quiet, 1)
	require.Equal(t, int64(res.ConvergeTime), quiet[0].End-quiet[0].Start)
	require.Contains(t, quiet[0].Description, "converged after")

	// A bound of zero: the quiet period ends at once, converged or not.
	cfg.Quiet = 0
	cfg.Net.Loss = 0.2
	res, _ = run(t, cfg)
	if !res.Converged {
		require.Equal(t, time.Duration(-1), res.ConvergeTime)
	}
}

// TestNodeClockMonotonic: under any sequence of wall-clock jumps and drift
// changes, the monotonic reading never goes back, the wall reading is the
// monotonic one plus the offset, and globalAt inverts the monotonic clock.
func TestNodeClockMonotonic(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for trial := 0; trial < 200; trial++ {
		var c nodeClock
		c.driftPPM = r.Int64N(200_001) - 100_000
		c.wallOffset = r.Int64N(2e9) - 1e9
		global, last := int64(0), c.mono(0)
		for step := 0; step < 300; step++ {
			switch r.IntN(4) {
			case 0:
				c.setDrift(global, r.Int64N(200_001)-100_000)
				require.Equal(t, last, c.mono(global), "a drift change moved the reading")
			case 1:
				before := c.mono(global)
				c.jump(r.Int64N(2e9+1) - 1e9)
				require.Equal(t, before, c.mono(global), "a wall jump moved the monotonic clock")
			}
			global += r.Int64N(int64(50 * time.Millisecond))
			now := c.read(global)
			require.GreaterOrEqual(t, int64(now.Mono), last, "trial %d step %d: monotonic clock went back", trial, step)
			require.Equal(t, int64(now.Mono)+c.wallOffset, int64(now.Wall))
			last = int64(now.Mono)

			// A deadline ahead of the reading maps to the first global time
			// at which the clock reaches it.
			want := last + 1 + r.Int64N(int64(time.Second))
			g := c.globalAt(want)
			require.Greater(t, g, global)
			require.GreaterOrEqual(t, c.mono(g), want)
			require.Less(t, c.mono(g-1), want)
		}
	}
}

// TestPersistFailedReachesNode: a failed write appends nothing, drops its
// Then effects (no acknowledgement leaves the node), and delivers
// PersistFailed when the node asked to be told; the node retries its boot
// record until a write succeeds.
func TestPersistFailedReachesNode(t *testing.T) {
	s, err := New(small(1))
	require.NoError(t, err)
	n := s.nodes[1]
	n.disk.retain = true
	n.disk.failProb, n.disk.failToken = 1, 1
	step := func() {
		ev := s.q.pop()
		s.now = ev.at
		s.dispatch(&ev)
	}
	messages := func() int {
		count := 0
		for _, h := range s.q.h {
			if s.q.slab[h.idx].kind == evMessage {
				count++
			}
		}
		return count
	}

	s.boot(n) // asks for its incarnation record, with Notify
	require.Len(t, n.disk.pending, 1)
	step()
	st := n.node.Status()
	require.Equal(t, uint64(1), st.Stats.PersistFailures, "PersistFailed did not reach the node")
	require.False(t, st.Ready)
	require.Empty(t, n.disk.durable, "a failed write reached the disk")
	require.Len(t, n.disk.pending, 1, "the node did not retry its boot record")

	// The retry was issued while the disk failed: it fails too. The next one
	// succeeds.
	n.disk.failProb, n.disk.failToken = 0, 0
	step()
	require.Equal(t, uint64(2), n.node.Status().Stats.PersistFailures)
	step()
	require.True(t, n.node.Status().Ready)
	durable := len(n.disk.durable)
	require.Positive(t, durable)

	// A replica's write whose acknowledgement rides on it: failed, the
	// acknowledgement is dropped; durable, it is sent.
	write := func() *core.Persist {
		return &core.Persist{
			Token:   1 << 40,
			Records: []core.Record{{Kind: core.RecordVersions, Key: "k", Versions: []core.Version{{Value: []byte("v")}}}},
			Then:    []core.Effect{&core.Send{To: 2, Msg: core.PutAck{Op: 7}}},
		}
	}
	s.netFaults = false
	n.disk.failProb, n.disk.failToken = 1, 1
	s.persist(n, write())
	step()
	require.Zero(t, messages(), "a failed replica write released its acknowledgement")
	require.Equal(t, durable, len(n.disk.durable))
	require.Equal(t, uint64(2), n.node.Status().Stats.PersistFailures, "PersistFailed without Notify")
	require.Equal(t, uint64(3), s.stats.FailedWrites)

	n.disk.failProb, n.disk.failToken = 0, 0
	s.persist(n, write())
	step()
	require.Equal(t, 1, messages(), "a durable replica write must release its acknowledgement")
	require.Greater(t, len(n.disk.durable), durable)
}

// TestFailingDisksLoseNothing: with disks failing writes (and nothing else),
// nodes see PersistFailed and every must-hold check passes.
func TestFailingDisksLoseNothing(t *testing.T) {
	var failed, persistFailures uint64
	for seed := uint64(1); seed <= 10; seed++ {
		cfg := nemesisConfig(seed, 5, FaultDiskFail)
		cfg.Faults.FaultTime = Dist{Kind: "uniform", Min: 200 * time.Millisecond, Scale: 300 * time.Millisecond}
		res, rep := run(t, cfg)
		require.False(t, rep.Failed(), "seed %d", seed)
		failed += res.Stats.FailedWrites
		for _, st := range res.Nodes {
			persistFailures += st.Stats.PersistFailures
		}
	}
	require.Positive(t, failed)
	require.Positive(t, persistFailures)
}

// TestStrictUnderNemesisIsLinearizable: the strict profile promises
// linearizability when no node can forget what it acknowledged and the ring
// does not change, and keeps that promise under every other fault kind.
func TestStrictUnderNemesisIsLinearizable(t *testing.T) {
	var kinds []FaultKind
	for _, k := range allKinds() {
		if k != FaultCrash && k != FaultReboot && k != FaultJoin && k != FaultLeave {
			kinds = append(kinds, k)
		}
	}
	for seed := uint64(1); seed <= 10; seed++ {
		cfg := nemesisConfig(seed, 0, kinds...)
		cfg.Strict = true
		res, rep := run(t, cfg)
		v := verdict(t, rep, checks.NameLinearizable)
		require.True(t, v.MustHold)
		require.False(t, rep.Failed(), "seed %d: %v", seed, v.Messages)
		require.Equal(t, checks.Pass, v.Status)
		require.Positive(t, res.Stats.Partitions)
	}
}
