package sim

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSameSeedSameTrace: a seed is a complete description of a run. Faults
// of every kind are on, so that every random draw is exercised.
func TestSameSeedSameTrace(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		cfg := small(seed)
		cfg.Faults.Crashes = 2
		cfg.Faults.TornWrites = true
		cfg.Faults.Partitions = 2
		a, _ := run(t, cfg)
		b, _ := run(t, cfg)
		require.Equal(t, a.TraceHex(), b.TraceHex(), "seed %d replayed differently", seed)
		require.Equal(t, a.History.Ops, b.History.Ops, "seed %d: histories differ", seed)
		require.Equal(t, a.Stats, b.Stats)
	}
}

// TestOtherSeedOtherTrace: the hash actually depends on the run.
func TestOtherSeedOtherTrace(t *testing.T) {
	seen := map[string]uint64{}
	for seed := uint64(1); seed <= 8; seed++ {
		res, _ := run(t, small(seed))
		prev, dup := seen[res.TraceHex()]
		require.False(t, dup, "seeds %d and %d share trace %s", prev, seed, res.TraceHex())
		seen[res.TraceHex()] = seed
	}
}

// TestTraceSeesBehaviour: the same seed with one knob changed is another run.
func TestTraceSeesBehaviour(t *testing.T) {
	a, _ := run(t, small(1))
	cfg := small(1)
	cfg.W = 3
	b, _ := run(t, cfg)
	require.NotEqual(t, a.TraceHex(), b.TraceHex())
}
