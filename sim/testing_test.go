package sim

import (
	"testing"

	"github.com/dynamo-replay/dynamo/checks"
	"github.com/stretchr/testify/require"
)

// run simulates cfg and checks the history, failing the test on a simulator
// error (a panic inside a node, a stalled run).
func run(t *testing.T, cfg Config) (*Result, checks.Report) {
	t.Helper()
	s, err := New(cfg)
	require.NoError(t, err)
	res, err := s.Run()
	require.NoError(t, err, "seed %d", cfg.Seed)
	return res, checks.Run(res.History, checks.Options{})
}

// verdict returns the named verdict of a report.
func verdict(t *testing.T, rep checks.Report, name string) checks.Verdict {
	t.Helper()
	v, ok := rep.Verdict(name)
	require.True(t, ok, "no verdict %s", name)
	return v
}

// small is the default scenario at a size that keeps the test suite fast.
func small(seed uint64) Config {
	cfg := DefaultConfig(seed)
	cfg.Workload.Ops = 1000
	cfg.Workload.Keys = 40
	return cfg
}
