package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/dynamo-replay/dynamo/checks"
	"github.com/dynamo-replay/dynamo/core/causality"
	"github.com/dynamo-replay/dynamo/core/ring"
	"github.com/stretchr/testify/require"
)

// mustHold runs seeds of a scenario and requires every promised check to pass.
func mustHold(t *testing.T, seeds int, mk func(seed uint64) Config) []checks.Report {
	t.Helper()
	var reps []checks.Report
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		res, rep := run(t, mk(seed))
		if rep.Failed() {
			var b []byte
			for _, v := range rep.Verdicts {
				b = fmt.Appendf(b, "%s %s %v\n", v.Name, v.Status, v.Messages)
			}
			t.Fatalf("seed %d failed a must-hold check:\n%s", seed, b)
		}
		require.Greater(t, res.LoadOps, 0)
		reps = append(reps, rep)
	}
	return reps
}

func TestDefaultScenarioHolds(t *testing.T) {
	reps := mustHold(t, 20, small)
	for _, rep := range reps {
		require.True(t, verdict(t, rep, checks.NameNoLostWrites).MustHold)
		require.True(t, verdict(t, rep, checks.NameConverged).MustHold)
	}
}

func TestCrashesAndTornWritesLoseNothingAcknowledged(t *testing.T) {
	mustHold(t, 20, func(seed uint64) Config {
		cfg := small(seed)
		cfg.Faults.Crashes = 4
		cfg.Faults.TornWrites = true
		return cfg
	})
}

func TestPartitionsLoseNothingAcknowledged(t *testing.T) {
	mustHold(t, 15, func(seed uint64) Config {
		cfg := small(seed)
		cfg.Faults.Partitions = 2
		cfg.Faults.OneWayPartitions = 2
		cfg.Net.Loss = 0.05
		return cfg
	})
}

func TestClientDrivenAndOpenLoop(t *testing.T) {
	mustHold(t, 5, func(seed uint64) Config {
		cfg := small(seed)
		cfg.Routing = ClientDriven
		return cfg
	})
	mustHold(t, 5, func(seed uint64) Config {
		cfg := small(seed)
		cfg.Workload.OpenLoopRate = 2000
		cfg.Workload.Zipf = 1.1
		return cfg
	})
}

func TestBufferedWritesWithoutCrashes(t *testing.T) {
	mustHold(t, 5, func(seed uint64) Config {
		cfg := small(seed)
		cfg.Buffered = true
		return cfg
	})
}

func TestEveryStrategy(t *testing.T) {
	for _, strategy := range []int{1, 2, 3} {
		mustHold(t, 3, func(seed uint64) Config {
			cfg := small(seed)
			cfg.Ring.Strategy = ring.Strategy(strategy)
			return cfg
		})
	}
}

// TestStrictProfileIsLinearizable: without sloppy quorum, with R + W > N and
// reads that write back before answering, the multi-value-register history
// must be linearizable, partitions and crashes notwithstanding.
func TestStrictProfileIsLinearizable(t *testing.T) {
	reps := mustHold(t, 10, func(seed uint64) Config {
		cfg := small(seed)
		cfg.Strict = true
		cfg.Faults.Partitions = 2
		cfg.Faults.Crashes = 2
		return cfg
	})
	for _, rep := range reps {
		v := verdict(t, rep, checks.NameLinearizable)
		require.True(t, v.MustHold)
		require.Equal(t, checks.Pass, v.Status)
	}
}

// TestVCAndLWWAreReportedNotPromised: vc and lww lose writes by design, so
// their runs promise convergence but not durability of every acknowledged
// write; lww under heavy clock skew does lose some, and the checker sees it.
func TestVCAndLWWAreReportedNotPromised(t *testing.T) {
	lost := 0
	for seed := uint64(1); seed <= 5; seed++ {
		cfg := small(seed)
		cfg.Causality = causality.LWW
		cfg.Clocks.MaxSkew = 50 * time.Millisecond
		cfg.Workload.Keys = 5
		_, rep := run(t, cfg)
		require.False(t, rep.Failed(), "seed %d", seed)
		v := verdict(t, rep, checks.NameNoLostWrites)
		require.False(t, v.MustHold)
		lost += v.Count
	}
	require.Greater(t, lost, 0, "lww under skew and contention should lose acknowledged writes")
	mustHold(t, 3, func(seed uint64) Config {
		cfg := small(seed)
		cfg.Causality = causality.VC
		return cfg
	})
}

// TestDuplicatedForwardsAreCoordinatedOnce: a regression. A Forward the
// network duplicated used to be coordinated twice, making two versions of one
// client write; a later write covering one resurrected the other as a sibling,
// which porcupine saw as a non-linearizable read.
func TestDuplicatedForwardsAreCoordinatedOnce(t *testing.T) {
	reps := mustHold(t, 10, func(seed uint64) Config {
		cfg := small(seed)
		cfg.Strict = true
		cfg.Net.Duplicate = 0.2
		cfg.Workload.Keys = 10
		return cfg
	})
	for _, rep := range reps {
		require.Equal(t, checks.Pass, verdict(t, rep, checks.NameLinearizable).Status)
	}
}
