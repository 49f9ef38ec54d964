package client

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/core/ring"
	dnet "github.com/dynamo-replay/dynamo/net"
)

// fetchTimeout bounds one membership poll, so that a hung node cannot hold
// up the first call for longer than a dead one would.
const fetchTimeout = 5 * time.Second

// maxRingBody bounds a /ring answer; the paper's largest table is far
// smaller.
const maxRingBody = 16 << 20

// routes is a client-driven client's view of the cluster.
type routes struct {
	mu       sync.Mutex
	cur      *view
	polled   time.Time     // when the last poll started; zero before the first
	inflight chan struct{} // closed when the running poll ends; nil if none
}

// view is one membership table and what routing needs of it.
type view struct {
	m    *core.Membership
	ring *ring.Ring
	// base holds the URL of every joined member with a dialable HTTP
	// address; the others cannot coordinate (left, leaving, or not yet
	// telling where they listen).
	base map[core.NodeID]string
	// incomplete: some joined member has not told its address yet (a
	// cluster just started, before gossip spread the addresses). Such a
	// view is refreshed every incompleteRefresh, not every
	// RefreshInterval, so that routing is not server-driven for 10s.
	incomplete bool
}

const incompleteRefresh = time.Second

func newView(m *core.Membership) (*view, error) {
	r, err := m.Ring()
	if err != nil {
		return nil, err
	}
	v := &view{m: m, ring: r, base: make(map[core.NodeID]string)}
	for _, mem := range m.Members {
		if mem.Status != core.StatusJoined {
			continue
		}
		if b, err := baseURL(mem.HTTPAddr); mem.HTTPAddr != "" && err == nil {
			v.base[mem.ID] = b
		} else {
			v.incomplete = true
		}
	}
	return v, nil
}

// targets lists where to send req, best first: the key's first n nodes, in
// preference-list order, computed by the same ring function the nodes use
// (Ring.PreferenceForKey). A write whose context names the node that
// answered its read fastest goes to that node first when it is one of them,
// as the nodes themselves would forward it (section 5).
func (v *view) targets(req *request, n int) []string {
	pref := v.ring.PreferenceForKey(req.key, nil)
	pref = pref[:min(n, len(pref))]
	if req.method != http.MethodGet {
		if c, err := core.DecodeContext(req.context); err == nil && c.HasFastest {
			if k := slices.Index(pref, c.Fastest); k > 0 {
				pref = append([]core.NodeID{c.Fastest}, slices.Delete(slices.Clone(pref), k, k+1)...)
			}
		}
	}
	out := make([]string, 0, len(pref))
	for _, id := range pref {
		if b, ok := v.base[id]; ok {
			out = append(out, b)
		}
	}
	return out
}

// view returns the current view, starting a poll in the background when it
// is RefreshInterval old. Only a client that has never polled waits for the
// poll (or ctx); one whose poll failed routes server-driven until the next.
func (c *Client) view(ctx context.Context) *view {
	rt := &c.routes
	rt.mu.Lock()
	interval := c.interval
	if rt.cur != nil && rt.cur.incomplete {
		interval = min(interval, incompleteRefresh)
	}
	if rt.inflight == nil && !c.closed.Load() && (rt.polled.IsZero() || time.Since(rt.polled) >= interval) {
		rt.polled = time.Now()
		rt.inflight = make(chan struct{})
		c.wg.Add(1)
		go c.poll(rt.cur, rt.inflight)
	}
	v, wait := rt.cur, rt.inflight
	rt.mu.Unlock()
	if v != nil || wait == nil {
		return v
	}
	select {
	case <-wait:
	case <-ctx.Done():
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.cur
}

// poll fetches the membership and installs the new view. The table is
// merged into the one held, as gossip merges tables, so that a poll that
// reaches a node lagging behind cannot roll the view back.
func (c *Client) poll(old *view, done chan struct{}) {
	defer c.wg.Done()
	ctx, cancel := context.WithTimeout(c.bg, fetchTimeout)
	defer cancel()
	next := old
	if m, err := c.fetchMembership(ctx, old); err == nil {
		if old != nil {
			m, _ = old.m.Merge(m, false)
		}
		// A table that does not make a ring (mid-change) is skipped; the
		// old view serves until the next poll.
		if v, err := newView(m); err == nil {
			next = v
		}
	}
	c.routes.mu.Lock()
	c.routes.cur = next
	c.routes.inflight = nil
	c.routes.mu.Unlock()
	close(done)
}

// fetchMembership asks a random node for its table (section 6.4), trying the
// configured addresses in random order, then the members known so far, each
// once.
func (c *Client) fetchMembership(ctx context.Context, old *view) (*core.Membership, error) {
	cands := make([]string, 0, len(c.addrs))
	for _, k := range rand.Perm(len(c.addrs)) {
		cands = append(cands, c.addrs[k])
	}
	if old != nil {
		for _, b := range old.base {
			if !slices.Contains(cands, b) {
				cands = append(cands, b)
			}
		}
	}
	var lastErr error
	for _, base := range cands {
		m, err := c.fetchFrom(ctx, base)
		if err == nil {
			return m, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

func (c *Client) fetchFrom(ctx context.Context, base string) (*core.Membership, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/ring", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusOK {
		return nil, readError(resp)
	}
	b, err := readAtMost(resp.Body, maxRingBody, "membership")
	if err != nil {
		return nil, err
	}
	m, err := dnet.DecodeMembership(b)
	if err != nil {
		return nil, fmt.Errorf("%s/ring: %w", base, err)
	}
	return m, nil
}
