package sim

import (
	"testing"
	"time"

	"github.com/dynamo-replay/dynamo/checks"
	"github.com/stretchr/testify/require"
)

// driverConfig is the default scenario on a small key space, for the driver.
func driverConfig(seed uint64, keys int) Config {
	cfg := DefaultConfig(seed)
	cfg.Workload.Keys = keys
	return cfg
}

func newDriver(t *testing.T, cfg Config) *Driver {
	t.Helper()
	d, err := NewDriver(cfg)
	require.NoError(t, err)
	return d
}

// finish ends a driven run and checks its history.
func finish(t *testing.T, d *Driver) (*Result, checks.Report) {
	t.Helper()
	res, err := d.Finish()
	require.NoError(t, err)
	rep := checks.Run(res.History, checks.Options{SkipLinearizability: !res.History.Expect.Linearizable})
	return res, rep
}

// No client starts by itself: time passes, the nodes gossip and exchange
// Merkle trees, and the history stays empty (Finish's scrub, when the
// configuration asks for one, reads each key once).
func TestDriverIdle(t *testing.T) {
	d := newDriver(t, driverConfig(1, 4))
	require.NoError(t, d.Advance(5*time.Second))
	require.Empty(t, d.History().Ops)
	require.Equal(t, 5*time.Second+DefaultConfig(1).StartDelay, d.Now())
	res, rep := finish(t, d)
	require.False(t, rep.Failed())
	require.LessOrEqual(t, len(res.History.Ops), 4, "at most the scrub's reads")
	for _, op := range res.History.Ops {
		require.Equal(t, checks.Get, op.Kind)
	}
	require.True(t, res.Converged)
	_, err := d.Get(0, 0)
	require.Error(t, err, "a finished driver refuses calls")
}

// Operations answer as the protocol says: a read sees the write before it,
// a read-modify-write covers what its read saw, a delete writes a tombstone.
func TestDriverOperations(t *testing.T) {
	d := newDriver(t, driverConfig(2, 3))
	p, err := d.Put(0, 1)
	require.NoError(t, err)
	require.Equal(t, checks.Ok, p.Outcome)
	require.Equal(t, checks.Put, p.Kind)
	g, err := d.Get(1, 1)
	require.NoError(t, err)
	require.Equal(t, []string{p.Value}, g.Values)

	ops, err := d.Do(0, ClientRMW, 1)
	require.NoError(t, err)
	require.Len(t, ops, 2)
	require.Equal(t, checks.Get, ops[0].Kind)
	require.Equal(t, checks.Put, ops[1].Kind)
	require.Equal(t, []string{p.Value}, ops[1].Covers)

	del, err := d.Delete(2, 0)
	require.NoError(t, err)
	require.Equal(t, checks.Delete, del.Kind)
	require.True(t, d.Issued(del.Value))
	require.False(t, d.Issued("v999"))

	// Two clients at once: both writes are blind, so they become siblings.
	require.NoError(t, d.Start(0, ClientPut, 2))
	require.NoError(t, d.Start(1, ClientPut, 2))
	a, err := d.Wait(0)
	require.NoError(t, err)
	b, err := d.Wait(1)
	require.NoError(t, err)
	g, err = d.Get(2, 2)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{a[0].Value, b[0].Value}, g.Values)

	res, rep := finish(t, d)
	require.False(t, rep.Failed(), "%+v", rep.Verdicts)
	require.NotEmpty(t, res.History.Final)
}

// Faults: a partition, an isolated node, a crash and a restart, each an
// annotation; Finish heals whatever is left, and the checks pass.
func TestDriverFaults(t *testing.T) {
	d := newDriver(t, driverConfig(3, 4))
	require.NoError(t, d.Partition([]int{1, 2}))
	for k := range 4 {
		_, err := d.Put(k%2, k)
		require.NoError(t, err)
	}
	require.NoError(t, d.Isolate(3))
	_, err := d.RMW(0, 0)
	require.NoError(t, err)
	require.NoError(t, d.Heal())
	require.NoError(t, d.Crash(4))
	require.False(t, d.Up(4))
	require.Nil(t, d.Values(4, 0))
	_, err = d.Put(1, 3)
	require.NoError(t, err)
	require.NoError(t, d.Advance(300*time.Millisecond))
	require.NoError(t, d.Restart(4))
	require.True(t, d.Up(4))
	require.NoError(t, d.Crash(5)) // still down at Finish, which restarts it
	require.Error(t, d.Crash(9))
	require.Error(t, d.Partition([]int{1}, []int{1}))

	res, rep := finish(t, d)
	require.False(t, rep.Failed(), "%+v", rep.Verdicts)
	var tags []string
	for _, a := range res.History.Annotations {
		tags = append(tags, a.Tag)
		require.GreaterOrEqual(t, a.End, a.Start, "every fault annotation is closed: %+v", a)
	}
	require.Subset(t, tags, []string{"partition", "isolate", "crash", "quiet"})
	require.Equal(t, uint64(2), res.Stats.Crashes)
}

// One seed and one list of calls replay one run exactly.
func TestDriverDeterministic(t *testing.T) {
	script := func() uint64 {
		d := newDriver(t, driverConfig(4, 3))
		require.NoError(t, d.Start(0, ClientPut, 0))
		require.NoError(t, d.Start(1, ClientRMW, 0))
		require.NoError(t, d.Isolate(2))
		_, err := d.Get(2, 0)
		require.NoError(t, err)
		require.NoError(t, d.Crash(1))
		require.NoError(t, d.Advance(time.Second))
		res, _ := finish(t, d)
		return res.Trace
	}
	require.Equal(t, script(), script())
}

// The smallest failure rapid finds for a coordinator that drops a sibling,
// written out: two blind writes make two siblings, the read-modify-write
// sees one and overwrites both. The same calls pass without the bug.
func TestDriverDroppedSibling(t *testing.T) {
	for _, bug := range []bool{false, true} {
		cfg := driverConfig(5, 3)
		cfg.Bugs.DropSibling = bug
		d := newDriver(t, cfg)
		for range 2 {
			_, err := d.Put(0, 0)
			require.NoError(t, err)
		}
		rmw, err := d.RMW(0, 0)
		require.NoError(t, err)
		require.Equal(t, checks.Put, rmw.Kind)
		_, rep := finish(t, d)
		v := verdict(t, rep, checks.NameNoLostWrites)
		require.Equal(t, !bug, v.Passed, "bug %v: %+v", bug, rep.Verdicts)
		require.Equal(t, bug, rep.Failed())
	}
}
