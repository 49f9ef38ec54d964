package client

import (
	"context"
	"net/http"
	"strconv"
)

// Limits of the API, checked before sending so that an oversized request
// fails at once with a reason rather than after an upload.
const (
	MaxKeyBytes   = 1 << 10
	MaxValueBytes = 1 << 20
)

// GetResult is what a get found.
type GetResult struct {
	// Values are the live siblings: one value normally, several after
	// concurrent writes the cluster could not order.
	Values [][]byte
	// Deleted counts the tombstone siblings: deletes concurrent with the
	// live values. A 404 does not say how many tombstones it covers, so it
	// is counted only when live values came with it.
	Deleted int
	// Context is opaque: pass it to the Put or Delete that follows, so that
	// the write supersedes every sibling read here. It is set even when
	// Found is false if the key was deleted, so that a later write
	// supersedes the delete instead of becoming its sibling.
	Context []byte
	// Found is len(Values) > 0.
	Found bool
	// Coordinator is the id of the node that coordinated the read, or -1
	// when the answer did not say.
	Coordinator int
}

// Option adjusts one call.
type Option func(*callOptions)

type callOptions struct{ r, w int }

// WithR asks a Get to wait for r replicas (1..N); 0 keeps the node's default.
func WithR(r int) Option { return func(o *callOptions) { o.r = r } }

// WithW asks a Put or Delete to wait for w replicas (1..N); 0 keeps the
// node's default.
func WithW(w int) Option { return func(o *callOptions) { o.w = w } }

func collect(opts []Option) callOptions {
	var o callOptions
	for _, f := range opts {
		f(&o)
	}
	return o
}

// Get reads key. A key never written, or deleted, is Found == false with a
// nil error; errors are a node's refusal (*Error), bad arguments, or no
// node reachable.
func (c *Client) Get(ctx context.Context, key string, opts ...Option) (GetResult, error) {
	o := collect(opts)
	req := &request{method: http.MethodGet, key: key}
	if err := checkCall(key, "r", o.r, &req.query); err != nil {
		return GetResult{}, err
	}
	resp, err := c.do(ctx, req)
	if err != nil {
		return GetResult{}, err
	}
	defer drain(resp)
	return readGet(resp)
}

// Put writes value under key. vctx is the Context of an earlier Get, or nil
// for a blind write, which becomes a sibling of whatever the key holds.
func (c *Client) Put(ctx context.Context, key string, value, vctx []byte, opts ...Option) error {
	if len(value) > MaxValueBytes {
		return badRequestf("value of %d bytes exceeds the %d-byte limit", len(value), MaxValueBytes)
	}
	if value == nil {
		value = []byte{} // a non-nil body marks the request as a put
	}
	return c.write(ctx, &request{method: http.MethodPut, key: key, body: value, context: vctx}, opts)
}

// Delete deletes key. vctx is as for Put: without it the delete is a
// tombstone beside whatever the key holds, and hides nothing.
func (c *Client) Delete(ctx context.Context, key string, vctx []byte, opts ...Option) error {
	return c.write(ctx, &request{method: http.MethodDelete, key: key, context: vctx}, opts)
}

func (c *Client) write(ctx context.Context, req *request, opts []Option) error {
	o := collect(opts)
	if err := checkCall(req.key, "w", o.w, &req.query); err != nil {
		return err
	}
	resp, err := c.do(ctx, req)
	if err != nil {
		return err
	}
	defer drain(resp)
	if resp.StatusCode/100 != 2 {
		return readError(resp)
	}
	return nil
}

// checkCall refuses what every node would refuse, and encodes the quorum
// parameter name=v into query.
func checkCall(key, name string, v int, query *string) error {
	switch {
	case key == "":
		return badRequestf("empty key")
	case len(key) > MaxKeyBytes:
		return badRequestf("key of %d bytes exceeds the %d-byte limit", len(key), MaxKeyBytes)
	case v < 0:
		return badRequestf("%s = %d: want 1..N, or 0 for the node's default", name, v)
	case v > 0:
		*query = name + "=" + strconv.Itoa(v)
	}
	return nil
}
