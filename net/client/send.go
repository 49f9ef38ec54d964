package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
)

// Headers of the API.
const (
	ContextHeader     = "X-Dynamo-Context"
	CoordinatorHeader = "X-Dynamo-Coordinator"
)

var errTryNext = errors.New("try the next node")

// request is one call, which may be sent to several nodes in turn.
type request struct {
	method  string
	key     string
	query   string // already encoded, without the '?'
	body    []byte // nil for get and delete
	context []byte
}

// do sends req, client-driven to the key's top N nodes when the ring is
// known, then to Addrs in round-robin order, each address at most once,
// and returns the first answer of any status: only failing to reach a node
// (for a write, failing to connect) moves on to the next. Some attempt
// always fails before the last line, so lastErr is set there.
func (c *Client) do(ctx context.Context, req *request) (*http.Response, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	var tried []string
	var lastErr error
	// attempt answers errTryNext when another node may do better.
	attempt := func(base string) (*http.Response, error) {
		if slices.Contains(tried, base) {
			return nil, errTryNext
		}
		tried = append(tried, base)
		resp, err := c.send(ctx, base, req)
		if err == nil || ctx.Err() != nil || !resendable(req, err) {
			return resp, err
		}
		lastErr = err
		return nil, errTryNext
	}
	if c.mode == ClientDriven {
		if v := c.view(ctx); v != nil {
			for _, base := range v.targets(req, c.n) {
				if resp, err := attempt(base); err != errTryNext {
					return resp, err
				}
			}
		}
	}
	start := c.next.Add(1) - 1
	for i := range uint64(len(c.addrs)) {
		if resp, err := attempt(c.addrs[(start+i)%uint64(len(c.addrs))]); err != errTryNext {
			return resp, err
		}
	}
	return nil, fmt.Errorf("%w (tried %d): %w", ErrUnreachable, len(tried), lastErr)
}

// resendable says whether a failed request may go to another node. A get
// may always. A write may only if it never left: one that reached a node
// and then lost its answer may have been applied, and sent again through
// another coordinator it would become a second, concurrent version.
func resendable(req *request, err error) bool {
	if req.method == http.MethodGet {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

func (c *Client) send(ctx context.Context, base string, req *request) (*http.Response, error) {
	u := base + "/kv/" + url.PathEscape(req.key)
	if req.query != "" {
		u += "?" + req.query
	}
	var body io.Reader
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, u, body)
	if err != nil {
		return nil, err
	}
	if len(req.context) > 0 {
		hr.Header.Set(ContextHeader, base64.StdEncoding.EncodeToString(req.context))
	}
	if req.method == http.MethodGet {
		// Siblings come as JSON unless multipart is asked for; say so
		// rather than rely on the default.
		hr.Header.Set("Accept", "application/json")
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/octet-stream")
	}
	return c.hc.Do(hr)
}
