package driver

import (
	"context"
	"fmt"
	gonet "net"
	"testing"
	"time"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/stretchr/testify/require"
)

// testCluster is n nodes in this process, on loopback TCP and real logs in
// temporary directories, each behind a Faulty transport.
type testCluster struct {
	t     *testing.T
	nodes map[core.NodeID]*Node
	cfgs  map[core.NodeID]NodeConfig
}

func freeAddr(t *testing.T) string { return freeAddrs(t, 1)[0] }

// freeAddrs picks n free loopback ports, holding each until all are picked
// so that none is handed out twice.
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for range n {
		ln, err := gonet.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer ln.Close()
		out = append(out, ln.Addr().String())
	}
	return out
}

func newTestCluster(t *testing.T, n int, tune func(*NodeConfig)) *testCluster {
	t.Helper()
	c := &testCluster{t: t, nodes: make(map[core.NodeID]*Node), cfgs: make(map[core.NodeID]NodeConfig)}
	peers := make(map[core.NodeID]string)
	for i, addr := range freeAddrs(t, n) {
		peers[core.NodeID(i+1)] = addr
	}
	for id := core.NodeID(1); id <= core.NodeID(n); id++ {
		nc := NodeConfig{
			Cluster: "test", ID: id, Listen: peers[id], HTTPAddr: fmt.Sprintf("127.0.0.1:%d", 18000+int(id)),
			DataDir: t.TempDir(), Peers: peers, FaultInjection: true,
		}
		if tune != nil {
			tune(&nc)
		}
		c.cfgs[id] = nc
		c.start(id)
	}
	t.Cleanup(func() {
		for _, nd := range c.nodes {
			nd.Close()
		}
	})
	return c
}

func (c *testCluster) start(id core.NodeID) {
	c.t.Helper()
	nd, err := Open(c.cfgs[id])
	require.NoError(c.t, err)
	c.nodes[id] = nd
}

func (c *testCluster) stop(id core.NodeID) {
	c.t.Helper()
	require.NoError(c.t, c.nodes[id].Close())
}

func (c *testCluster) do(id core.NodeID, op core.Op) core.Result {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := c.nodes[id].Do(ctx, op)
	require.NoError(c.t, err)
	return res
}

// put retries while the cluster is still booting (the first requests can
// time out while connections open).
func (c *testCluster) put(id core.NodeID, key, value string, ctx []byte) {
	c.t.Helper()
	var res core.Result
	for try := 0; try < 20; try++ {
		res = c.do(id, core.Op{Kind: core.OpPut, Key: key, Value: []byte(value), Context: ctx})
		if res.Err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.NoError(c.t, res.Err, "put %s at node %d", key, id)
}

func liveValues(r core.Result) []string {
	var out []string
	for _, s := range r.Siblings {
		if !s.Deleted {
			out = append(out, string(s.Value))
		}
	}
	return out
}

func TestClusterServesPutsAndGetsFromAnyNode(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	c.put(1, "k", "v1", nil)
	got := c.do(2, core.Op{Kind: core.OpGet, Key: "k"})
	require.NoError(t, got.Err)
	require.Equal(t, []string{"v1"}, liveValues(got))
	c.put(3, "k", "v2", got.Context)
	got = c.do(1, core.Op{Kind: core.OpGet, Key: "k", R: 3})
	require.NoError(t, got.Err)
	require.Equal(t, []string{"v2"}, liveValues(got), "the context covered v1")

	// Every member learns every other's addresses through gossip.
	require.Eventually(t, func() bool {
		for _, nd := range c.nodes {
			m := nd.Info().Membership
			if m == nil {
				return false
			}
			for _, mem := range m.Members {
				if mem.Addr == "" || mem.HTTPAddr == "" {
					return false
				}
			}
		}
		return true
	}, 10*time.Second, 50*time.Millisecond)
}

func TestRestartRecoversTheLogAsANewIncarnation(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	for i := range 20 {
		c.put(1, fmt.Sprintf("k%d", i), fmt.Sprintf("v%d", i), nil)
	}
	c.stop(2)
	c.start(2)
	info := c.nodes[2].Info()
	require.Equal(t, uint32(2), info.Node.Incarnation)
	require.Equal(t, 20, info.Node.Keys, "every key was written to all three nodes before the acks")
	got := c.do(2, core.Op{Kind: core.OpGet, Key: "k7", R: 3})
	require.NoError(t, got.Err)
	require.Equal(t, []string{"v7"}, liveValues(got))
}

func TestPartitionThroughTheFaultyTransportHealsByAntiEntropy(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	c.put(1, "warmup", "w", nil)
	c.nodes[3].Faulty.Block(1, 2)
	c.nodes[1].Faulty.Block(3)
	c.nodes[2].Faulty.Block(3)
	before := c.nodes[3].Info().Node.Keys
	for i := range 30 {
		c.put(1, fmt.Sprintf("p%d", i), "x", nil)
	}
	res := c.do(3, core.Op{Kind: core.OpGet, Key: "p1"})
	require.ErrorIs(t, res.Err, core.ErrTimeout, "the minority side cannot reach a read quorum")
	require.Equal(t, before, c.nodes[3].Info().Node.Keys, "nothing crossed the partition")
	require.NotZero(t, c.nodes[3].Faulty.Dropped())

	for _, nd := range c.nodes {
		nd.Faulty.Heal()
	}
	require.Eventually(t, func() bool { return c.nodes[3].Info().Node.Keys == 31 }, 20*time.Second, 100*time.Millisecond,
		"anti-entropy brings the minority node every key it missed")
}

func TestLogIsCompactedAndRecoversFromTheSnapshot(t *testing.T) {
	c := newTestCluster(t, 3, func(nc *NodeConfig) { nc.CompactAfter = 200 })
	for i := range 300 {
		c.put(core.NodeID(1+i%3), fmt.Sprintf("c%d", i%50), fmt.Sprintf("v%d", i), nil)
	}
	require.Eventually(t, func() bool { return c.nodes[1].Info().Disk.Compactions > 0 }, 10*time.Second, 50*time.Millisecond)
	keys := c.nodes[1].Info().Node.Keys
	c.stop(1)
	c.start(1)
	info := c.nodes[1].Info()
	require.Equal(t, keys, info.Node.Keys)
	require.Less(t, info.Disk.RecoveredRecords, 300*3, "recovery read a snapshot, not the whole history")
}
