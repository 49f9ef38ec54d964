package sim

import (
	"testing"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/stretchr/testify/require"
)

// The proof that the checks bite: each planted bug is caught by a
// sweep within 200 seeds, and the seed that catches it passes without the bug.
// A sweep stops at the first seed that fails.

func sweepUntilCaught(t *testing.T, bug core.Bugs, mk func(seed uint64) Config) uint64 {
	t.Helper()
	for seed := uint64(1); seed <= 200; seed++ {
		cfg := mk(seed)
		cfg.Bugs = bug
		_, rep := run(t, cfg)
		if !rep.Failed() {
			continue
		}
		var failed []string
		for _, v := range rep.Verdicts {
			if v.MustHold && !v.Passed {
				failed = append(failed, v.Name)
			}
		}
		t.Logf("%+v caught at seed %d by %v", bug, seed, failed)
		_, clean := run(t, mk(seed))
		require.False(t, clean.Failed(), "seed %d fails without the bug too", seed)
		return seed
	}
	t.Fatalf("%+v not caught in 200 seeds", bug)
	return 0
}

func nemesisSweep(seed uint64) Config {
	cfg := DefaultConfig(seed)
	cfg.Workload.Ops = 1000
	cfg.Faults.Nemesis = true
	return cfg
}

func TestSweepCatchesHintDeletedBeforeDelivery(t *testing.T) {
	sweepUntilCaught(t, core.Bugs{HintDeleteEarly: true}, func(seed uint64) Config {
		cfg := nemesisSweep(seed)
		cfg.Faults.Kinds[FaultPartition].Mode = KindOn
		cfg.Faults.Kinds[FaultLossBurst].Mode = KindOn
		return cfg
	})
}

func TestSweepCatchesAntiEntropySkippingARange(t *testing.T) {
	sweepUntilCaught(t, core.Bugs{AESkipRange: true}, func(seed uint64) Config {
		cfg := nemesisSweep(seed)
		cfg.Workload.Keys = 1000 // a few keys in every one of the 256 ranges
		return cfg
	})
}

func TestSweepCatchesAckBeforePersist(t *testing.T) {
	sweepUntilCaught(t, core.Bugs{AckBeforePersist: true}, func(seed uint64) Config {
		cfg := nemesisSweep(seed)
		cfg.W = 1
		cfg.Faults.Kinds[FaultCrash].Mode = KindOn
		cfg.Faults.Kinds[FaultSlowDisk].Mode = KindOn
		return cfg
	})
}

func TestSweepCatchesMembershipMergeIgnoringNewerEntries(t *testing.T) {
	sweepUntilCaught(t, core.Bugs{StaleMembership: true}, func(seed uint64) Config {
		cfg := nemesisSweep(seed)
		cfg.Faults.Kinds[FaultJoin].Mode = KindOn
		cfg.Faults.Kinds[FaultLeave].Mode = KindOn
		return cfg
	})
}

// Read repair is the only mechanism that makes replicas converge when
// anti-entropy is off and the run ends with a scrub; a repair that writes the
// stale version leaves them apart.
func TestSweepCatchesReadRepairWritingTheStaleVersion(t *testing.T) {
	sweepUntilCaught(t, core.Bugs{StaleRepair: true}, func(seed uint64) Config {
		cfg := nemesisSweep(seed)
		cfg.NoAntiEntropy = true
		cfg.Scrub = true
		return cfg
	})
}

// TestSweepFindsStaleReadsUnderPartitions: Dynamo's defaults (sloppy quorum,
// asynchronous read repair) allow stale reads, and under partitions they
// happen. Every must-hold check still passes; porcupine rejects some
// histories and the summary counts the stale reads. The point is that the
// checker sees what the system is allowed to do.
func TestSweepFindsStaleReadsUnderPartitions(t *testing.T) {
	var seeds []uint64
	for s := uint64(1); s <= 20; s++ {
		seeds = append(seeds, s)
	}
	sum := Sweep(seeds, func(seed uint64) Config {
		cfg := nemesisSweep(seed)
		for k := range cfg.Faults.Kinds {
			cfg.Faults.Kinds[k].Mode = KindOff
		}
		cfg.Faults.Kinds[FaultPartition].Mode = KindOn
		cfg.Faults.Kinds[FaultIsolate].Mode = KindOn
		return cfg
	}, 2, nil)
	require.Zero(t, sum.Failed, "failing seeds %v", sum.FailingSeeds)
	require.Positive(t, sum.StaleReads)
	require.Positive(t, sum.Linearizability.Fail, "porcupine should reject some histories")
	t.Logf("%d stale reads in %d of %d seeds; porcupine rejected %d histories",
		sum.StaleReads, sum.StaleReadSeeds, sum.Seeds, sum.Linearizability.Fail)
}
