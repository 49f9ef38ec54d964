package driver

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/stretchr/testify/require"
)

// readsBack reports whether every key reads back its value through node id,
// at read quorum r (0: the default).
func (c *testCluster) readsBack(id core.NodeID, r int, want map[string]string) error {
	for key, value := range want {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		res, err := c.nodes[id].Do(ctx, core.Op{Kind: core.OpGet, Key: key, R: r})
		cancel()
		switch {
		case err != nil:
			return fmt.Errorf("get %s at node %d: %w", key, id, err)
		case res.Err != nil:
			return fmt.Errorf("get %s at node %d: %w", key, id, res.Err)
		}
		if got := liveValues(res); len(got) != 1 || got[0] != value {
			return fmt.Errorf("get %s at node %d: %q, want %q", key, id, got, value)
		}
	}
	return nil
}

// eventually polls check until it returns nil, and fails with its last error
// after within.
func eventually(t *testing.T, within time.Duration, what string, check func() error) {
	t.Helper()
	start := time.Now()
	for {
		err := check()
		if err == nil {
			t.Logf("%s: after %v", what, time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Since(start) > within {
			t.Fatalf("%s: not within %v: %v", what, within, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A node added through Join (no peer list) learns the membership from its
// seed, takes tokens, becomes known with its addresses everywhere, and serves
// the keys written before it came; then a member leaves, hands its ranges
// over, and every key stays readable at R=2.
func TestNodeJoinsThroughAMemberAndAnotherLeaves(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	want := map[string]string{}
	for i := range 40 {
		key, value := fmt.Sprintf("before-%d", i), fmt.Sprintf("v%d", i)
		c.put(core.NodeID(1+i%3), key, value, nil)
		want[key] = value
	}

	nc := NodeConfig{
		Cluster: "test", ID: 4, Listen: freeAddr(t), HTTPAddr: "127.0.0.1:18004",
		DataDir: t.TempDir(), Join: c.nodes[1].PeerAddr, FaultInjection: true,
	}
	c.cfgs[4] = nc
	c.start(4) // Cleanup closes it with the others
	require.NoError(t, c.nodes[4].Joined())

	eventually(t, 30*time.Second, "every node learns that node 4 joined", func() error {
		for id, nd := range c.nodes {
			m := nd.Info().Membership
			if m == nil {
				return fmt.Errorf("node %d has no membership", id)
			}
			mem, ok := m.Member(4)
			if !ok || mem.Status != core.StatusJoined || mem.Addr == "" || mem.HTTPAddr == "" {
				return fmt.Errorf("node %d's entry for node 4: %+v (known %v)", id, mem, ok)
			}
			if !m.OwnsTokens(4) {
				return fmt.Errorf("node %d does not see node 4 own tokens", id)
			}
		}
		return nil
	})
	m4, _ := c.nodes[4].Info().Membership.Member(4)
	require.Equal(t, c.nodes[4].PeerAddr, m4.Addr)
	require.Equal(t, nc.HTTPAddr, m4.HTTPAddr)

	// Before any read through node 4 (reads repair), node 4 must hold every
	// key of the ranges it took once the hand-overs are done.
	r, err := c.nodes[4].Info().Membership.Ring()
	require.NoError(t, err)
	owned := 0
	for key := range want {
		if slices.Contains(r.PreferenceForKey(key, nil)[:3], 4) {
			owned++
		}
	}
	require.NotZero(t, owned, "node 4 is a replica of some of the %d keys", len(want))
	eventually(t, 30*time.Second, "node 4 receives the keys of its ranges", func() error {
		for id, nd := range c.nodes {
			if n := nd.Info().Node.Transfers; n > 0 {
				return fmt.Errorf("node %d has %d transfers pending", id, n)
			}
		}
		if n := c.nodes[4].Info().Node.Keys; n < owned {
			return fmt.Errorf("node 4 holds %d keys, is a replica of %d", n, owned)
		}
		return nil
	})

	eventually(t, 30*time.Second, "keys written before the join read back through node 4", func() error {
		return c.readsBack(4, 0, want)
	})

	// Keys written once node 4 is in the ring must survive the leave too.
	for i := range 20 {
		key, value := fmt.Sprintf("after-%d", i), fmt.Sprintf("w%d", i)
		c.put(core.NodeID(1+i%4), key, value, nil)
		want[key] = value
	}

	res := c.do(2, core.Op{Kind: core.OpLeave})
	require.NoError(t, res.Err)
	eventually(t, 30*time.Second, "node 2 is left in node 1's table", func() error {
		m := c.nodes[1].Info().Membership
		if mem, ok := m.Member(2); !ok || mem.Status != core.StatusLeft {
			return fmt.Errorf("node 1's entry for node 2: %+v (known %v)", mem, ok)
		}
		if m.OwnsTokens(2) {
			return fmt.Errorf("node 2 left but still owns tokens")
		}
		return nil
	})
	require.Zero(t, c.nodes[2].Info().Node.Transfers, "a left node has nothing left to hand over")
	// Three members remain and N=3: each must hold every key, before any
	// read repairs one.
	eventually(t, 30*time.Second, "the remaining nodes hold every key", func() error {
		for _, id := range []core.NodeID{1, 3, 4} {
			if n := c.nodes[id].Info().Node.Keys; n != len(want) {
				return fmt.Errorf("node %d holds %d keys, want %d", id, n, len(want))
			}
		}
		return nil
	})

	eventually(t, 30*time.Second, "every key reads back at R=2 from node 1 after node 2 left", func() error {
		return c.readsBack(1, 2, want)
	})
}

// A node that joined restarts from its log: it needs neither the node it
// joined through (down by then) nor a new join.
func TestJoinedNodeRestartsWithoutItsSeed(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	c.put(1, "k", "v", nil)
	c.cfgs[4] = NodeConfig{
		Cluster: "test", ID: 4, Listen: freeAddr(t), HTTPAddr: "127.0.0.1:18004",
		DataDir: t.TempDir(), Join: c.nodes[1].PeerAddr, FaultInjection: true,
	}
	c.start(4)
	require.NoError(t, c.nodes[4].Joined())
	// Until gossip has told nodes 2 and 3 of the join, and node 4 where
	// they listen, only node 1 connects them: wait for it, as an operator
	// waits for a join to settle before taking the seed down.
	eventually(t, 20*time.Second, "nodes 2, 3 and 4 know each other's addresses", func() error {
		for _, id := range []core.NodeID{2, 3, 4} {
			m := c.nodes[id].Info().Membership
			for _, other := range []core.NodeID{2, 3, 4} {
				if e, ok := m.Member(other); !ok || e.Status != core.StatusJoined || e.Addr == "" {
					return fmt.Errorf("node %d does not know where node %d listens", id, other)
				}
			}
		}
		return nil
	})
	c.stop(4)
	c.stop(1)
	delete(c.nodes, 1)
	c.start(4)
	require.NoError(t, c.nodes[4].Joined())
	self := c.nodes[4].Info().Node.Member
	require.Equal(t, core.StatusJoined, self.Status)
	eventually(t, 20*time.Second, "node 4 serves reads with node 1 down", func() error {
		return c.readsBack(4, 2, map[string]string{"k": "v"})
	})
}
