package client

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/core/ring"
	dnet "github.com/dynamo-replay/dynamo/net"
)

// cluster is three fake nodes, ids 1..3, each serving the same table whose
// HTTP addresses point at them.
type cluster struct {
	nodes map[core.NodeID]*fakeNode
	m     *core.Membership
	r     *ring.Ring
}

func newCluster(t *testing.T) *cluster {
	ids := []ring.NodeID{1, 2, 3}
	members, err := ring.Assign(ring.DefaultParams(), ids, rand.New(rand.NewPCG(1, 2)))
	require.NoError(t, err)
	r, err := ring.New(ring.DefaultParams(), members)
	require.NoError(t, err)
	cl := &cluster{nodes: make(map[core.NodeID]*fakeNode), m: core.BootstrapMembership(r), r: r}
	for _, id := range ids {
		f := newFakeNode(t, int(id))
		cl.nodes[id] = f
		cl.m = cl.m.WithAddrs(id, fmt.Sprintf("peer-%d:7000", id), f.addr())
	}
	cl.serve(t, cl.m)
	return cl
}

// serve makes every node answer /ring with m.
func (cl *cluster) serve(t *testing.T, m *core.Membership) {
	b, err := dnet.AppendMembership(nil, m)
	require.NoError(t, err)
	for _, f := range cl.nodes {
		f.setRing(b)
	}
}

func (cl *cluster) pref(key string) []core.NodeID { return cl.r.PreferenceForKey(key, nil) }

// sawLast returns node id's latest /kv request.
func (cl *cluster) sawLast(id core.NodeID) (fakeReq, bool) {
	reqs := cl.nodes[id].requests()
	if len(reqs) == 0 {
		return fakeReq{}, false
	}
	return reqs[len(reqs)-1], true
}

// receiver is the one node whose request count grew during f.
func (cl *cluster) receiver(t *testing.T, f func()) core.NodeID {
	t.Helper()
	before := map[core.NodeID]int{}
	for id, n := range cl.nodes {
		before[id] = len(n.requests())
	}
	f()
	got := core.NodeID(0)
	for id, n := range cl.nodes {
		switch len(n.requests()) - before[id] {
		case 0:
		case 1:
			require.Zero(t, got, "two nodes received the request")
			got = id
		default:
			t.Fatalf("node %d received %d requests", id, len(n.requests())-before[id])
		}
	}
	require.NotZero(t, got, "no node received the request")
	return got
}

func TestClientDrivenSendsToTheFirstOfThePreferenceList(t *testing.T) {
	cl := newCluster(t)
	// Only node 1 is configured: anything that reaches 2 or 3 was routed.
	c := newClient(t, Options{Addrs: []string{cl.nodes[1].addr()}, Mode: ClientDriven})
	ctx := context.Background()
	firsts := map[core.NodeID]bool{}
	for i := range 30 {
		key := fmt.Sprintf("key-%d", i)
		want := cl.pref(key)[0]
		firsts[want] = true
		require.Equal(t, want, cl.receiver(t, func() { require.NoError(t, c.Put(ctx, key, []byte("v"), nil)) }), "put %s", key)
		require.Equal(t, want, cl.receiver(t, func() { _, err := c.Get(ctx, key); require.NoError(t, err) }), "get %s", key)
		require.Equal(t, want, cl.receiver(t, func() { require.NoError(t, c.Delete(ctx, key, nil)) }), "delete %s", key)
		last, _ := cl.sawLast(want)
		require.Equal(t, key, last.Key)
	}
	require.Len(t, firsts, 3, "the keys should spread over every node")
}

func TestClientDrivenWriteGoesToTheFastestReader(t *testing.T) {
	cl := newCluster(t)
	c := newClient(t, Options{Addrs: []string{cl.nodes[1].addr()}, Mode: ClientDriven})
	ctx := context.Background()
	key := "fastest"
	pref := cl.pref(key)
	vctx := core.EncodeContext(core.Context{Fastest: pref[2], HasFastest: true})
	require.Equal(t, pref[2], cl.receiver(t, func() { require.NoError(t, c.Put(ctx, key, []byte("v"), vctx)) }))
	// A get has no reason to prefer it.
	require.Equal(t, pref[0], cl.receiver(t, func() { _, err := c.Get(ctx, key); require.NoError(t, err) }))
}

func TestClientDrivenSkipsUnusableFirstNodes(t *testing.T) {
	cl := newCluster(t)
	key := "skip-me"
	pref := cl.pref(key)
	for name, m := range map[string]*core.Membership{
		"unreachable": cl.m.WithAddrs(pref[0], "", deadAddr(t)),
		"leaving":     cl.m.WithStatus(pref[0], core.StatusLeaving),
		"no address":  cl.m.WithAddrs(pref[0], "", ""),
	} {
		t.Run(name, func(t *testing.T) {
			cl.serve(t, m)
			c := newClient(t, Options{Addrs: []string{cl.nodes[pref[2]].addr()}, Mode: ClientDriven})
			for _, op := range []func() error{
				func() error { _, err := c.Get(context.Background(), key); return err },
				func() error { return c.Put(context.Background(), key, []byte("v"), nil) },
			} {
				require.Equal(t, pref[1], cl.receiver(t, func() { require.NoError(t, op()) }))
			}
		})
	}
}

func TestClientDrivenFallsBackToServerDriven(t *testing.T) {
	t.Run("no ring", func(t *testing.T) {
		cl := newCluster(t)
		for _, f := range cl.nodes {
			f.setRing(nil)
		}
		c := newClient(t, Options{Addrs: []string{cl.nodes[2].addr()}, Mode: ClientDriven})
		for i := range 5 {
			key := fmt.Sprintf("k%d", i)
			require.Equal(t, core.NodeID(2), cl.receiver(t, func() { require.NoError(t, c.Put(context.Background(), key, nil, nil)) }))
		}
	})
	t.Run("top N down", func(t *testing.T) {
		cl := newCluster(t)
		key := "down"
		pref := cl.pref(key)
		cl.serve(t, cl.m.WithAddrs(pref[0], "", deadAddr(t)))
		// With N=1 the dead node is the key's only target.
		c := newClient(t, Options{Addrs: []string{cl.nodes[pref[2]].addr()}, Mode: ClientDriven, N: 1})
		require.Equal(t, pref[2], cl.receiver(t, func() { _, err := c.Get(context.Background(), key); require.NoError(t, err) }))
	})
}

func TestRefreshPicksUpAMembershipChange(t *testing.T) {
	cl := newCluster(t)
	key := "moving"
	first := cl.pref(key)[0]
	moved := newFakeNode(t, 99)
	get := func(c *Client) {
		_, err := c.Get(context.Background(), key)
		require.NoError(t, err)
	}

	lazy := newClient(t, Options{Addrs: []string{cl.nodes[1].addr()}, Mode: ClientDriven, RefreshInterval: time.Hour})
	eager := newClient(t, Options{Addrs: []string{cl.nodes[1].addr()}, Mode: ClientDriven, RefreshInterval: 10 * time.Millisecond})
	require.Equal(t, first, cl.receiver(t, func() { get(lazy) }))
	require.Equal(t, first, cl.receiver(t, func() { get(eager) }))

	// The first node now listens elsewhere.
	cl.serve(t, cl.m.WithAddrs(first, "", moved.addr()))
	require.Eventually(t, func() bool {
		// Not require: Eventually runs this off the test goroutine.
		_, err := eager.Get(context.Background(), key)
		return err == nil && len(moved.requests()) > 0
	}, 5*time.Second, 5*time.Millisecond)

	// Within its interval the other client keeps its view.
	seen := len(moved.requests())
	for range 5 {
		require.Equal(t, first, cl.receiver(t, func() { get(lazy) }))
	}
	require.Len(t, moved.requests(), seen)
}

func TestRefreshNeverRollsTheViewBack(t *testing.T) {
	cl := newCluster(t)
	key := "stay"
	first := cl.pref(key)[0]
	moved := newFakeNode(t, 99)
	newer := cl.m.WithAddrs(first, "", moved.addr())
	cl.serve(t, newer)
	c := newClient(t, Options{Addrs: []string{cl.nodes[1].addr()}, Mode: ClientDriven, RefreshInterval: time.Millisecond})
	_, err := c.Get(context.Background(), key)
	require.NoError(t, err)
	require.Len(t, moved.requests(), 1)

	// A node lagging behind serves the older table: merged, it loses.
	cl.serve(t, cl.m)
	for i := range 20 {
		time.Sleep(2 * time.Millisecond)
		_, err := c.Get(context.Background(), key)
		require.NoError(t, err)
		require.Len(t, moved.requests(), 2+i)
	}
}

// Fifty callers share one client while its view refreshes under them.
func TestConcurrentCallers(t *testing.T) {
	cl := newCluster(t)
	c := newClient(t, Options{Addrs: []string{cl.nodes[1].addr(), cl.nodes[2].addr()}, Mode: ClientDriven, RefreshInterval: time.Millisecond})
	const callers, rounds = 50, 10
	errs := make(chan error, callers)
	var wg sync.WaitGroup
	for g := range callers {
		wg.Go(func() {
			key := fmt.Sprintf("caller-%d", g)
			for i := range rounds {
				res, err := c.Get(context.Background(), key)
				if err != nil {
					errs <- err
					return
				}
				if err := c.Put(context.Background(), key, fmt.Appendf(nil, "%d", i), res.Context); err != nil {
					errs <- err
					return
				}
			}
			res, err := c.Get(context.Background(), key)
			switch {
			case err != nil:
				errs <- err
			case len(res.Values) != 1 || string(res.Values[0]) != fmt.Sprint(rounds-1):
				errs <- fmt.Errorf("%s: read %q, want only %q", key, res.Values, fmt.Sprint(rounds-1))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	total := 0
	for _, f := range cl.nodes {
		total += len(f.requests())
	}
	require.Equal(t, callers*(2*rounds+1), total)
}
