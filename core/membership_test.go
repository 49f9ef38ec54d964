package core

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/dynamo-replay/dynamo/core/ring"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func bootstrapTable(t require.TestingT, strategy ring.Strategy, nodes int, seed uint64) *Membership {
	p := ring.DefaultParams()
	p.Strategy = strategy
	ids := make([]NodeID, nodes)
	for i := range ids {
		ids[i] = NodeID(i + 1)
	}
	members, err := ring.Assign(p, ids, rand.New(rand.NewPCG(seed, 1)))
	require.NoError(t, err)
	r, err := ring.New(p, members)
	require.NoError(t, err)
	return BootstrapMembership(r)
}

// histories derives tables from one bootstrap through random joins and
// leaves, as different nodes would see them mid-gossip.
func histories(t *rapid.T) (*Membership, *Membership, *Membership) {
	strategy := ring.Strategy(rapid.IntRange(1, 3).Draw(t, "strategy"))
	base := bootstrapTable(t, strategy, rapid.IntRange(3, 6).Draw(t, "nodes"), rapid.Uint64().Draw(t, "seed"))
	rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "rng"), 2))
	evolve := func(label string) *Membership {
		m := base
		for i, steps := 0, rapid.IntRange(0, 3).Draw(t, label+"-steps"); i < steps; i++ {
			if rapid.Bool().Draw(t, label+"-join") {
				m = m.WithJoin(NodeID(rapid.IntRange(10, 14).Draw(t, label+"-id")), rng)
			} else {
				joined := []NodeID{}
				for _, x := range m.Members {
					if x.Status == StatusJoined {
						joined = append(joined, x.ID)
					}
				}
				if len(joined) > 2 {
					m = m.WithLeave(rapid.SampledFrom(joined).Draw(t, label+"-leave"))
				}
			}
		}
		return m
	}
	return evolve("a"), evolve("b"), evolve("c")
}

func TestMembershipMergeIsASemilattice(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b, c := histories(t)
		ab, _ := a.Merge(b, false)
		ba, _ := b.Merge(a, false)
		require.Equal(t, ab, ba, "commutative")
		aa, changed := a.Merge(a, false)
		require.Equal(t, a, aa, "idempotent")
		require.False(t, changed)
		abc1, _ := ab.Merge(c, false)
		bc, _ := b.Merge(c, false)
		abc2, _ := a.Merge(bc, false)
		require.Equal(t, abc1, abc2, "associative")
		// The merge keeps every newer entry of its inputs.
		for _, x := range a.Members {
			m, ok := ab.Member(x.ID)
			require.True(t, ok)
			require.GreaterOrEqual(t, m.Version, x.Version)
		}
	})
}

func TestStrategy3JoinsAndLeavesStayBalanced(t *testing.T) {
	m := bootstrapTable(t, ring.Strategy3, 4, 7)
	rng := rand.New(rand.NewPCG(9, 9))
	m = m.WithJoin(5, rng).WithJoin(6, rng).WithLeave(2)
	r, err := m.Ring()
	require.NoError(t, err)
	require.Equal(t, []NodeID{1, 3, 4, 5, 6}, r.Nodes())
	ids, counts := m.owned()
	q := m.Params.Q
	for i := range ids {
		require.InDelta(t, float64(q)/float64(len(ids)), counts[i], 1.0+float64(q%len(ids)), "node %d owns %d of %d", ids[i], counts[i], q)
	}
	self, _ := m.Member(2)
	require.Equal(t, StatusLeaving, self.Status)
}

func TestStrategy1JoinAddsTokensLeaveRemovesThem(t *testing.T) {
	m := bootstrapTable(t, ring.Strategy1, 3, 1).WithJoin(9, rand.New(rand.NewPCG(1, 1)))
	r, err := m.Ring()
	require.NoError(t, err)
	require.Contains(t, r.Nodes(), NodeID(9))
	m = m.WithLeave(9)
	r, err = m.Ring()
	require.NoError(t, err)
	require.NotContains(t, r.Nodes(), NodeID(9))
}

func TestStaleMembershipBugIgnoresNewerEntries(t *testing.T) {
	old := bootstrapTable(t, ring.Strategy3, 4, 3)
	newer := old.WithLeave(4)
	merged, changed := old.Merge(newer, true)
	require.False(t, changed)
	require.Equal(t, old.Epoch(), merged.Epoch())
	merged, changed = old.Merge(newer, false)
	require.True(t, changed)
	require.Equal(t, newer.Epoch(), merged.Epoch())
}

func TestBootRecordsAddressesOnceAndChangesKeepThem(t *testing.T) {
	addrs := func(cfg *Config) {
		cfg.Addr = fmt.Sprintf("10.0.0.%d:7000", cfg.ID)
		cfg.HTTPAddr = fmt.Sprintf("10.0.0.%d:8000", cfg.ID)
	}
	c := newCluster(t, addrs)
	c.boot(1)
	for len(c.pendingWrites(1)) > 0 {
		c.completeWrite(1)
	}
	self := c.nodes[1].Status().Member
	require.Equal(t, "10.0.0.1:7000", self.Addr)
	require.Equal(t, "10.0.0.1:8000", self.HTTPAddr)
	require.Equal(t, uint64(2), self.Version, "the bootstrap entry is version 1; recording addresses is one change")

	// A restart with the same addresses changes nothing; a leave keeps them.
	c.restart(1)
	require.Equal(t, self, c.nodes[1].Status().Member)
	left := c.nodes[1].Membership().WithLeave(1)
	e, _ := left.Member(1)
	require.Equal(t, self.Addr, e.Addr)
	require.Equal(t, self.Version+1, e.Version)

	// Gossip carries them: an entry with the same version but other
	// addresses loses deterministically, a newer one wins.
	other := c.nodes[1].Membership().WithAddrs(1, "10.9.9.9:1", "10.9.9.9:2")
	merged, changed := c.nodes[1].Membership().Merge(other, false)
	require.True(t, changed)
	e, _ = merged.Member(1)
	require.Equal(t, "10.9.9.9:1", e.Addr)
}
