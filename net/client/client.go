package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Mode chooses who routes a request to its coordinator (section 6.4).
type Mode int

const (
	// ServerDriven sends each request to one of Options.Addrs.
	ServerDriven Mode = iota
	// ClientDriven sends each request to the first node of the key's
	// preference list, from a membership table polled from the cluster.
	ClientDriven
)

func (m Mode) String() string {
	switch m {
	case ServerDriven:
		return "server-driven"
	case ClientDriven:
		return "client-driven"
	}
	return fmt.Sprintf("mode(%d)", int(m))
}

// Defaults for the zero fields of Options.
const (
	// DefaultRefreshInterval is how often a client-driven client polls for
	// the membership: section 6.4's clients poll a random node every 10 s.
	DefaultRefreshInterval = 10 * time.Second
	// DefaultN is the replication factor the nodes run with by default.
	DefaultN = 3
)

// Options configure a Client.
type Options struct {
	// Addrs are nodes' HTTP addresses, "host:port" or "http://host:port"
	// URLs; at least one. Server-driven requests go to them, and a
	// client-driven client learns the ring from them.
	Addrs []string
	// Mode is ServerDriven (the zero value) or ClientDriven.
	Mode Mode
	// RefreshInterval is how often a client-driven client polls the
	// membership; zero means DefaultRefreshInterval.
	RefreshInterval time.Duration
	// HTTPClient is used for every request; nil means one with bounded
	// dial and idle timeouts and enough idle connections per node for
	// dozens of concurrent callers. Give one with a Timeout to bound calls
	// whose context has no deadline.
	HTTPClient *http.Client
	// N is the cluster's replication factor: a client-driven client sends a
	// request only to the key's first N nodes, the ones that store it. Zero
	// means DefaultN.
	N int
}

// Client talks to one cluster. Close it when done.
type Client struct {
	addrs    []string // base URLs, "scheme://host:port[/prefix]"
	mode     Mode
	n        int
	interval time.Duration
	hc       *http.Client
	ownHC    bool
	next     atomic.Uint64 // round-robin cursor over addrs

	routes routes // client-driven state; unused when server-driven

	closed    atomic.Bool
	closeOnce sync.Once
	bg        context.Context // canceled by Close, ends background refreshes
	cancel    context.CancelFunc
	wg        sync.WaitGroup
}

// New checks opts and returns a Client. It does no I/O: a client-driven
// client fetches the ring on its first call.
func New(opts Options) (*Client, error) {
	if len(opts.Addrs) == 0 {
		return nil, errors.New("client: Options.Addrs is empty: want at least one node's HTTP address")
	}
	c := &Client{mode: opts.Mode, n: opts.N, interval: opts.RefreshInterval, hc: opts.HTTPClient}
	for _, a := range opts.Addrs {
		base, err := baseURL(a)
		if err != nil {
			return nil, fmt.Errorf("client: Options.Addrs: %w", err)
		}
		c.addrs = append(c.addrs, base)
	}
	switch {
	case opts.Mode != ServerDriven && opts.Mode != ClientDriven:
		return nil, fmt.Errorf("client: Options.Mode = %d: want ServerDriven or ClientDriven", int(opts.Mode))
	case opts.RefreshInterval < 0:
		return nil, fmt.Errorf("client: Options.RefreshInterval = %s: want a positive interval, or 0 for %s", opts.RefreshInterval, DefaultRefreshInterval)
	case opts.N < 0:
		return nil, fmt.Errorf("client: Options.N = %d: want at least 1, or 0 for %d", opts.N, DefaultN)
	}
	if c.n == 0 {
		c.n = DefaultN
	}
	if c.interval == 0 {
		c.interval = DefaultRefreshInterval
	}
	if c.hc == nil {
		c.hc, c.ownHC = defaultHTTPClient(), true
	}
	c.bg, c.cancel = context.WithCancel(context.Background())
	return c, nil
}

// Close stops background membership refreshes and waits for them. Calls
// after Close fail with ErrClosed. Close may be called more than once.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		// Set under the routes lock, which guards starting a refresh, so that
		// no refresh can start after the Wait below has begun.
		c.routes.mu.Lock()
		c.closed.Store(true)
		c.routes.mu.Unlock()
		c.cancel()
		c.wg.Wait()
		if c.ownHC {
			c.hc.CloseIdleConnections()
		}
	})
	return nil
}

// defaultHTTPClient bounds dialing so that failover from a dead node is
// quick, and keeps enough idle connections per node that 50 concurrent
// callers reuse them instead of opening new ones for each request. Nodes
// never redirect, so a redirect means the server rewrote the path (a key
// with "." or ".." segments, which a mux cleans) and following it would
// answer for another key: it is returned as an error instead.
func defaultHTTPClient() *http.Client {
	dialer := &net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           dialer.DialContext,
			MaxIdleConns:          512,
			MaxIdleConnsPerHost:   128,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   5 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
	}
}

// baseURL turns "host:port" or an http(s) URL into "scheme://host[/path]".
// An address without a host (":8001", a node's wildcard listen address) is
// refused: nothing can dial it.
func baseURL(addr string) (string, error) {
	raw := strings.TrimSpace(addr)
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("address %q: %v", addr, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("address %q: scheme %q, want http or https", addr, u.Scheme)
	}
	if u.Hostname() == "" {
		return "", fmt.Errorf("address %q: no host", addr)
	}
	if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsUnspecified() {
		return "", fmt.Errorf("address %q: %s is a wildcard, not a host to dial", addr, u.Hostname())
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("address %q: want scheme, host, port and at most a path", addr)
	}
	return u.Scheme + "://" + u.Host + strings.TrimSuffix(u.EscapedPath(), "/"), nil
}
