package client

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func newClient(t *testing.T, opts Options) *Client {
	t.Helper()
	c, err := New(opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestGetParsesValueNotFoundAndSiblings(t *testing.T) {
	f := newFakeNode(t, 7)
	c := newClient(t, Options{Addrs: []string{f.addr()}})
	ctx := context.Background()

	res, err := c.Get(ctx, "missing")
	require.NoError(t, err, "a missing key is not an error")
	require.False(t, res.Found)
	require.Empty(t, res.Values)
	require.Nil(t, res.Context, "a key never written has no context")
	require.Equal(t, 7, res.Coordinator)

	require.NoError(t, c.Put(ctx, "k", []byte("one"), nil))
	res, err = c.Get(ctx, "k")
	require.NoError(t, err)
	require.True(t, res.Found)
	require.Equal(t, [][]byte{[]byte("one")}, res.Values)
	require.Equal(t, []byte("v1"), res.Context)

	// A second blind write and a blind delete become siblings: a 300.
	require.NoError(t, c.Put(ctx, "k", []byte("two"), nil))
	require.NoError(t, c.Delete(ctx, "k", nil))
	res, err = c.Get(ctx, "k")
	require.NoError(t, err)
	require.True(t, res.Found)
	require.Equal(t, [][]byte{[]byte("one"), []byte("two")}, res.Values)
	require.Equal(t, 1, res.Deleted)
	require.Equal(t, []byte("v3"), res.Context)
	require.Equal(t, "application/json", f.requests()[len(f.requests())-1].Accept, "300 answers must come as JSON")
}

func TestEmptyValueRoundTrips(t *testing.T) {
	f := newFakeNode(t, 1)
	c := newClient(t, Options{Addrs: []string{f.addr()}})
	require.NoError(t, c.Put(context.Background(), "k", nil, nil))
	res, err := c.Get(context.Background(), "k")
	require.NoError(t, err)
	require.True(t, res.Found)
	require.Equal(t, [][]byte{{}}, res.Values)
}

func TestWritesSendContextAndW(t *testing.T) {
	f := newFakeNode(t, 1)
	c := newClient(t, Options{Addrs: []string{f.addr()}})
	ctx := context.Background()

	require.NoError(t, c.Put(ctx, "k", []byte("a"), nil))
	require.NoError(t, c.Put(ctx, "k", []byte("b"), nil))
	res, err := c.Get(ctx, "k", WithR(2))
	require.NoError(t, err)
	require.Len(t, res.Values, 2)
	require.Equal(t, "r=2", f.requests()[2].Query)

	// Writing back with the read's context supersedes both siblings.
	require.NoError(t, c.Put(ctx, "k", []byte("merged"), res.Context, WithW(2)))
	last := f.requests()[3]
	require.Equal(t, base64.StdEncoding.EncodeToString(res.Context), last.Context)
	require.Equal(t, "w=2", last.Query)
	require.Equal(t, []byte("merged"), last.Body)
	res, err = c.Get(ctx, "k")
	require.NoError(t, err)
	require.Equal(t, [][]byte{[]byte("merged")}, res.Values)

	// A delete with the context leaves only a tombstone: not found, but with
	// a context, so that the next write supersedes the delete.
	require.NoError(t, c.Delete(ctx, "k", res.Context, WithW(3)))
	last = f.requests()[len(f.requests())-1]
	require.Equal(t, http.MethodDelete, last.Method)
	require.Equal(t, base64.StdEncoding.EncodeToString(res.Context), last.Context)
	require.Equal(t, "w=3", last.Query)
	res, err = c.Get(ctx, "k")
	require.NoError(t, err)
	require.False(t, res.Found)
	require.NotNil(t, res.Context)
	require.NoError(t, c.Put(ctx, "k", []byte("again"), res.Context))
	res, err = c.Get(ctx, "k")
	require.NoError(t, err)
	require.Equal(t, [][]byte{[]byte("again")}, res.Values)
	require.Zero(t, res.Deleted)
}

func TestKeysTravelEscaped(t *testing.T) {
	f := newFakeNode(t, 1)
	c := newClient(t, Options{Addrs: []string{"http://" + f.addr() + "/"}})
	for _, key := range []string{"a/b", "sp ace?x=1#frag", "pct%2F", "ü\x00\xff"} {
		require.NoError(t, c.Put(context.Background(), key, []byte(key), nil))
		require.Equal(t, key, f.requests()[len(f.requests())-1].Key)
		res, err := c.Get(context.Background(), key)
		require.NoError(t, err)
		require.Equal(t, [][]byte{[]byte(key)}, res.Values, "key %q", key)
	}
}

func TestNodeRefusalsMatchSentinels(t *testing.T) {
	f := newFakeNode(t, 1)
	c := newClient(t, Options{Addrs: []string{f.addr()}})
	ctx := context.Background()

	_, err := c.Get(ctx, "k", WithR(9))
	require.ErrorIs(t, err, ErrBadRequest)
	require.NotErrorIs(t, err, ErrUnavailable)
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, http.StatusBadRequest, e.Status)
	require.Equal(t, `r="9": want 1..3`, e.Message)

	for status, want := range map[int]error{
		http.StatusServiceUnavailable:    ErrUnavailable,
		http.StatusRequestEntityTooLarge: ErrBadRequest,
		http.StatusMethodNotAllowed:      nil,
	} {
		f.mu.Lock()
		f.failWith = status
		f.mu.Unlock()
		err := c.Put(ctx, "k", []byte("v"), nil)
		require.ErrorAs(t, err, &e)
		require.Equal(t, status, e.Status)
		require.Contains(t, e.Message, "refuses")
		require.Contains(t, err.Error(), http.StatusText(status))
		for _, s := range []error{ErrUnavailable, ErrBadRequest} {
			require.Equal(t, s == want, errors.Is(err, s), "status %d against %v", status, s)
		}
		_, err = c.Get(ctx, "k")
		require.ErrorAs(t, err, &e, "a get refused with %d", status)
		require.Equal(t, status, e.Status)
	}
}

func TestBadInputIsRefusedBeforeSending(t *testing.T) {
	f := newFakeNode(t, 1)
	c := newClient(t, Options{Addrs: []string{f.addr()}})
	ctx := context.Background()
	for name, err := range map[string]error{
		"empty key":  c.Put(ctx, "", []byte("v"), nil),
		"long key":   c.Delete(ctx, strings.Repeat("k", MaxKeyBytes+1), nil),
		"big value":  c.Put(ctx, "k", make([]byte, MaxValueBytes+1), nil),
		"negative w": c.Put(ctx, "k", []byte("v"), nil, WithW(-1)),
		"negative r": func() error { _, err := c.Get(ctx, "k", WithR(-2)); return err }(),
	} {
		require.ErrorIs(t, err, ErrBadRequest, name)
	}
	_, err := c.Get(ctx, "k", WithR(-2))
	require.ErrorContains(t, err, "r = -2")
	require.Empty(t, f.requests(), "nothing should have been sent")
}

func TestFailoverSkipsADeadAddress(t *testing.T) {
	f := newFakeNode(t, 1)
	c := newClient(t, Options{Addrs: []string{deadAddr(t), f.addr()}})
	ctx := context.Background()
	for range 3 { // round robin starts at each address in turn
		require.NoError(t, c.Put(ctx, "k", []byte("v"), nil))
		_, err := c.Get(ctx, "k")
		require.NoError(t, err)
	}
	require.Len(t, f.requests(), 6)
}

func TestNoNodeReachable(t *testing.T) {
	c := newClient(t, Options{Addrs: []string{deadAddr(t), deadAddr(t)}})
	_, err := c.Get(context.Background(), "k")
	require.ErrorIs(t, err, ErrUnreachable)
	require.ErrorContains(t, err, "tried 2")
	require.ErrorIs(t, c.Put(context.Background(), "k", nil, nil), ErrUnreachable)
}

// A node that reads the request and then drops the connection: the write
// may have been applied, so it must not be resent elsewhere; a get may.
func TestWriteIsNotResentOnceItLeft(t *testing.T) {
	dropper := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}))
	t.Cleanup(dropper.Close)
	f := newFakeNode(t, 1)
	addrs := []string{strings.TrimPrefix(dropper.URL, "http://"), f.addr()}

	err := newClient(t, Options{Addrs: addrs}).Put(context.Background(), "k", []byte("v"), nil)
	require.Error(t, err)
	require.NotErrorIs(t, err, ErrUnreachable)
	require.Empty(t, f.requests(), "the put was resent to the second node")

	_, err = newClient(t, Options{Addrs: addrs}).Get(context.Background(), "k")
	require.NoError(t, err)
	require.Len(t, f.requests(), 1)
}

func TestCanceledContextStopsFailover(t *testing.T) {
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(hang) })
	f := newFakeNode(t, 1)
	c := newClient(t, Options{Addrs: []string{strings.TrimPrefix(slow.URL, "http://"), f.addr()}})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Get(ctx, "k")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Empty(t, f.requests())
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{}, "Addrs is empty"},
		{Options{Addrs: []string{"ftp://h:1"}}, `scheme "ftp"`},
		{Options{Addrs: []string{":8001"}}, "no host"},
		{Options{Addrs: []string{"0.0.0.0:8001"}}, "wildcard"},
		{Options{Addrs: []string{"h:1?x=y"}}, "at most a path"},
		{Options{Addrs: []string{"h:1"}, Mode: 7}, "Mode = 7"},
		{Options{Addrs: []string{"h:1"}, N: -1}, "N = -1"},
		{Options{Addrs: []string{"h:1"}, RefreshInterval: -time.Second}, "RefreshInterval = -1s"},
	} {
		_, err := New(tc.opts)
		require.ErrorContains(t, err, tc.want)
	}
}

func TestCloseIsIdempotentAndEndsCalls(t *testing.T) {
	f := newFakeNode(t, 1)
	c, err := New(Options{Addrs: []string{f.addr()}, Mode: ClientDriven})
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.NoError(t, c.Close())
	_, err = c.Get(context.Background(), "k")
	require.ErrorIs(t, err, ErrClosed)
	require.Empty(t, f.requests())
}

func TestErrorMessageIsTheNodesFirstLine(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		bw := bufio.NewWriter(w)
		_, _ = bw.WriteString("timeout: too few replicas answered\nsecond line\n")
		_ = bw.Flush()
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, Options{Addrs: []string{srv.URL}})
	err := c.Delete(context.Background(), "k", nil)
	require.EqualError(t, err, "node answered 503 Service Unavailable: timeout: too few replicas answered")
	require.ErrorIs(t, err, ErrUnavailable)
}

func TestA404FromSomethingElseIsNotNotFound(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	c := newClient(t, Options{Addrs: []string{srv.URL}})
	_, err := c.Get(context.Background(), "k")
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, http.StatusNotFound, e.Status)
	require.Contains(t, e.Message, "not a node's answer")
}
