package sim

import (
	"testing"
	"time"

	"github.com/dynamo-replay/dynamo/checks"
	"github.com/dynamo-replay/dynamo/core"
	"github.com/stretchr/testify/require"
)

// Each checker must catch a deliberately broken node, and pass the same
// scenario without the bug: a checker that cannot fail proves nothing.

// caught runs seeds until the named check fails a run with the bug planted,
// and requires the same seeds to pass without it.
func caught(t *testing.T, check string, maxSeeds int, bug core.Bugs, mk func(seed uint64) Config) {
	t.Helper()
	for seed := uint64(1); seed <= uint64(maxSeeds); seed++ {
		cfg := mk(seed)
		_, clean := run(t, cfg)
		require.False(t, clean.Failed(), "seed %d fails even without the bug", seed)
		cfg.Bugs = bug
		_, broken := run(t, cfg)
		v := verdict(t, broken, check)
		if !v.Passed && v.Status == checks.Fail {
			require.True(t, v.MustHold, "%s caught the bug but is not a must-hold check here", check)
			require.True(t, broken.Failed())
			t.Logf("seed %d: %s caught %+v: %v", seed, check, bug, v.Messages[0])
			return
		}
	}
	t.Fatalf("%s never caught %+v in %d seeds", check, bug, maxSeeds)
}

// A replica that acknowledges before its write is durable loses acknowledged
// writes when it crashes. One replica per key (N=1) and a slow disk make the
// window wide.
func TestNoLostWritesCatchesAckBeforePersist(t *testing.T) {
	caught(t, checks.NameNoLostWrites, 30, core.Bugs{AckBeforePersist: true}, func(seed uint64) Config {
		cfg := small(seed)
		cfg.N, cfg.R, cfg.W = 1, 1, 1
		cfg.Faults.Crashes = 6
		cfg.Disk.Latency = Dist{Kind: "uniform", Min: 20 * time.Millisecond, Scale: 30 * time.Millisecond}
		return cfg
	})
}

// A coordinator that drops a sibling while returning a context that covers it
// makes the client's next write overwrite a value it never saw.
func TestNoLostWritesCatchesDroppedSibling(t *testing.T) {
	caught(t, checks.NameNoLostWrites, 30, core.Bugs{DropSibling: true}, func(seed uint64) Config {
		cfg := small(seed)
		cfg.Workload.Keys = 10 // contention makes siblings
		return cfg
	})
}

// The same dropped sibling is a read that returns less than the live set,
// which porcupine rejects where linearizability is promised.
func TestLinearizabilityCatchesDroppedSibling(t *testing.T) {
	caught(t, checks.NameLinearizable, 30, core.Bugs{DropSibling: true}, func(seed uint64) Config {
		cfg := small(seed)
		cfg.Strict = true
		cfg.Workload.Keys = 10
		return cfg
	})
}

// A replica that ignores read repair keeps what it missed missing: with lost
// messages, some replica ends up behind its peers.
func TestConvergedCatchesDroppedRepair(t *testing.T) {
	caught(t, checks.NameConverged, 30, core.Bugs{DropRepair: true}, func(seed uint64) Config {
		cfg := small(seed)
		cfg.Net.Loss = 0.05
		return cfg
	})
}

// A replica that replaces instead of merging drops concurrent siblings.
func TestNoLostWritesCatchesWrongMerge(t *testing.T) {
	caught(t, checks.NameNoLostWrites, 30, core.Bugs{WrongMerge: true}, func(seed uint64) Config {
		cfg := small(seed)
		cfg.Workload.Keys = 10
		return cfg
	})
}

// A replica that answers reads with a value nobody wrote.
func TestNoInventedValuesCatchesCorruptValue(t *testing.T) {
	caught(t, checks.NameNoInventedValues, 5, core.Bugs{CorruptValue: true}, small)
}
