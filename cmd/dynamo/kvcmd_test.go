package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/core/ring"
	dnet "github.com/dynamo-replay/dynamo/net"
)

// kvNode is a fake node: one copy of each key, a blind write (or one with a
// stale context) adds a sibling, contexts are "v<n>" for the n-th write.
type kvNode struct {
	srv  *httptest.Server
	addr string

	mu       sync.Mutex
	data     map[string][]core.Sibling
	version  map[string]int
	seen     []*http.Request // /kv requests, bodies dropped
	rings    int             // /ring requests
	ring     []byte
	failWith int
}

func newKVNode(t *testing.T) *kvNode {
	n := &kvNode{data: map[string][]core.Sibling{}, version: map[string]int{}}
	n.srv = httptest.NewServer(http.HandlerFunc(n.serve))
	t.Cleanup(n.srv.Close)
	n.addr = strings.TrimPrefix(n.srv.URL, "http://")
	return n
}

func (n *kvNode) last() *http.Request {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.seen) == 0 {
		return nil
	}
	return n.seen[len(n.seen)-1]
}

func (n *kvNode) serve(w http.ResponseWriter, r *http.Request) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if r.URL.Path == "/ring" {
		n.rings++
		_, _ = w.Write(n.ring)
		return
	}
	key, ok := strings.CutPrefix(r.URL.Path, "/kv/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	n.seen = append(n.seen, r.Clone(r.Context()))
	w.Header().Set("X-Dynamo-Coordinator", "1")
	if n.failWith != 0 {
		http.Error(w, "timeout: too few replicas answered", n.failWith)
		return
	}
	ctx := fmt.Sprintf("v%d", n.version[key])
	switch r.Method {
	case http.MethodPut, http.MethodDelete:
		got, _ := base64.StdEncoding.DecodeString(r.Header.Get("X-Dynamo-Context"))
		if string(got) == ctx {
			n.data[key] = nil
		}
		n.data[key] = append(n.data[key], core.Sibling{Value: body, Deleted: r.Method == http.MethodDelete})
		n.version[key]++
		w.WriteHeader(http.StatusNoContent)
		return
	}
	var live []core.Sibling
	for _, s := range n.data[key] {
		if !s.Deleted {
			live = append(live, s)
		}
	}
	if len(n.data[key]) > 0 {
		w.Header().Set("X-Dynamo-Context", base64.StdEncoding.EncodeToString([]byte(ctx)))
	}
	switch {
	case len(live) == 0:
		http.Error(w, "key not found", http.StatusNotFound)
	case len(n.data[key]) == 1:
		_, _ = w.Write(live[0].Value)
	default:
		type sib struct {
			Value   []byte `json:"value,omitempty"`
			Deleted bool   `json:"deleted,omitempty"`
		}
		var out struct {
			Context  string `json:"context"`
			Siblings []sib  `json:"siblings"`
		}
		for _, s := range n.data[key] {
			out.Siblings = append(out.Siblings, sib{s.Value, s.Deleted})
		}
		w.WriteHeader(http.StatusMultipleChoices)
		_ = json.NewEncoder(w).Encode(out)
	}
}

// kv runs the dynamo command with in as standard input.
func kv(in string, args ...string) (int, string, string) {
	stdin = strings.NewReader(in)
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func contextOf(t *testing.T, stderr string) string {
	for _, line := range strings.Split(stderr, "\n") {
		if c, ok := strings.CutPrefix(line, "context: "); ok {
			return c
		}
	}
	t.Fatalf("no context line in %q", stderr)
	return ""
}

func TestPutThenGetPrintsValueAndContext(t *testing.T) {
	n := newKVNode(t)
	code, out, errOut := kv("", "put", "--addr", n.addr, "greeting", "hello")
	require.Equal(t, exitOK, code, errOut)
	require.Empty(t, out)

	code, out, errOut = kv("", "get", "--addr", n.addr, "greeting")
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, "hello", out, "stdout must hold only the value")
	require.Equal(t, "context: "+base64.StdEncoding.EncodeToString([]byte("v1"))+"\n", errOut)
}

func TestPutReadsTheValueFromStandardInput(t *testing.T) {
	n := newKVNode(t)
	value := "line one\nline two\x00\xff\n"
	code, _, errOut := kv(value, "put", "--addr", n.addr, "--w", "2", "k", "-")
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, "w=2", n.last().URL.RawQuery)

	code, out, errOut := kv("", "get", "k", "--addr", n.addr, "--r", "1") // flags after KEY too
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, value, out)
	require.Equal(t, "r=1", n.last().URL.RawQuery)
}

func TestContextRoundTripMergesSiblings(t *testing.T) {
	n := newKVNode(t)
	for _, v := range []string{"a", "b"} {
		code, _, errOut := kv("", "put", "--addr", n.addr, "k", v)
		require.Equal(t, exitOK, code, errOut)
	}
	code, out, errOut := kv("", "get", "--addr", n.addr, "k")
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, "a\nb\n", out)
	require.Contains(t, errOut, "sibling 1 of 2:\n")
	require.Contains(t, errOut, "sibling 2 of 2:\n")
	ctx := contextOf(t, errOut)

	code, _, errOut = kv("", "put", "--addr", n.addr, "--context", ctx, "k", "ab")
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, ctx, n.last().Header.Get("X-Dynamo-Context"))
	code, out, _ = kv("", "get", "--addr", n.addr, "k")
	require.Equal(t, exitOK, code)
	require.Equal(t, "ab", out)
}

func TestDeleteThenGetIsNotFound(t *testing.T) {
	n := newKVNode(t)
	require.Equal(t, exitOK, first(kv("", "put", "--addr", n.addr, "k", "v")))
	_, _, errOut := kv("", "get", "--addr", n.addr, "k")
	code, _, errOut := kv("", "delete", "--addr", n.addr, "--w", "3", "--context", contextOf(t, errOut), "k")
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, http.MethodDelete, n.last().Method)
	require.Equal(t, "w=3", n.last().URL.RawQuery)

	code, out, errOut := kv("", "get", "--addr", n.addr, "k")
	require.Equal(t, exitFailed, code)
	require.Empty(t, out)
	require.Contains(t, errOut, "not found: k\n")
	require.NotEmpty(t, contextOf(t, errOut), "a deleted key still has a context")

	code, _, errOut = kv("", "get", "--addr", n.addr, "never")
	require.Equal(t, exitFailed, code)
	require.Equal(t, "not found: never\n", errOut)
}

func TestValueStartingWithDashAfterDoubleDash(t *testing.T) {
	n := newKVNode(t)
	code, _, errOut := kv("", "put", "--addr", n.addr, "--", "-k", "-5")
	require.Equal(t, exitOK, code, errOut)
	_, out, _ := kv("", "get", "--addr", n.addr, "--", "-k")
	require.Equal(t, "-5", out)
}

func TestAddrComesFromTheEnvironmentUnlessTheFlagIsGiven(t *testing.T) {
	n := newKVNode(t)
	t.Setenv("DYNAMO_ADDR", n.addr)
	require.Equal(t, exitOK, first(kv("", "put", "k", "from-env")))
	require.Equal(t, "/kv/k", n.last().URL.Path)

	dead := httptest.NewServer(http.NotFoundHandler())
	deadAddr := strings.TrimPrefix(dead.URL, "http://")
	dead.Close()
	t.Setenv("DYNAMO_ADDR", deadAddr)
	code, out, _ := kv("", "get", "--addr", n.addr, "k")
	require.Equal(t, exitOK, code, "the flag should win over the environment")
	require.Equal(t, "from-env", out)

	code, _, errOut := kv("", "get", "k")
	require.Equal(t, exitFailed, code)
	require.Contains(t, errOut, "no node reachable")
}

func TestServerErrorsPrintTheNodesMessage(t *testing.T) {
	n := newKVNode(t)
	n.failWith = http.StatusServiceUnavailable
	for _, args := range [][]string{{"get", "k"}, {"put", "k", "v"}, {"delete", "k"}} {
		code, _, errOut := kv("", append(args, "--addr", n.addr)...)
		require.Equal(t, exitFailed, code, args)
		require.Contains(t, errOut, "dynamo "+args[0]+": node answered 503 Service Unavailable: timeout: too few replicas answered")
	}
}

func TestBadArgumentsExit2(t *testing.T) {
	n := newKVNode(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"get"}, "dynamo get: missing KEY"},
		{[]string{"get", "a", "b"}, `dynamo get: unexpected argument "b" after KEY`},
		{[]string{"get", ""}, "KEY is empty"},
		{[]string{"get", strings.Repeat("k", 1025)}, "KEY is 1025 bytes"},
		{[]string{"get", "--r", "-1", "k"}, "--r -1: want 1..N"},
		{[]string{"get", "--r", "x", "k"}, `invalid value "x" for flag -r`},
		{[]string{"get", "--bogus", "k"}, "flag provided but not defined: -bogus"},
		{[]string{"get", "--timeout", "0s", "k"}, "--timeout 0s"},
		{[]string{"get", "--addr", "ftp://h:1", "k"}, `scheme "ftp"`},
		{[]string{"get", "--addr", " , ", "k"}, "--addr is empty"},
		{[]string{"put", "k"}, "dynamo put: missing VALUE"},
		{[]string{"put", "k", "v", "w"}, `unexpected argument "w" after VALUE`},
		{[]string{"put", "--context", "not base64!", "k", "v"}, `--context "not base64!": not standard base64`},
		{[]string{"put", "--w", "-3", "k", "v"}, "--w -3"},
		{[]string{"delete"}, "dynamo delete: missing KEY"},
		{[]string{"delete", "--context", "%%%", "k"}, "--context"},
		{[]string{"delete", "k", "extra"}, `unexpected argument "extra"`},
	} {
		// A case's own --addr comes later and wins.
		code, out, errOut := kv("", append([]string{tc.args[0], "--addr", n.addr}, tc.args[1:]...)...)
		require.Equal(t, exitBadArgs, code, "%q: %s", tc.args, errOut)
		require.Empty(t, out)
		require.Contains(t, errOut, tc.want, "%q", tc.args)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	require.Empty(t, n.seen, "no bad command line should reach the node")
}

func TestOversizedStandardInputIsRefused(t *testing.T) {
	n := newKVNode(t)
	code, _, errOut := kv(strings.Repeat("x", 1<<20+1), "put", "--addr", n.addr, "k", "-")
	require.Equal(t, exitBadArgs, code)
	require.Contains(t, errOut, "VALUE is more than the 1048576 bytes")
	require.Nil(t, n.last())
}

func TestHelpExitsZeroAndDocumentsNotFound(t *testing.T) {
	code, _, errOut := kv("", "get", "-h")
	require.Equal(t, exitOK, code)
	require.Contains(t, errOut, "usage: dynamo get [flags] KEY")
	require.Contains(t, errOut, "'not found: KEY'")
	require.Contains(t, errOut, "DYNAMO_ADDR")
	code, out, _ := kv("", "help")
	require.Equal(t, exitOK, code)
	for _, c := range []string{"get ", "put ", "delete "} {
		require.Contains(t, out, "\n  "+c)
	}
}

func TestClientDrivenGetFetchesTheRing(t *testing.T) {
	n := newKVNode(t)
	members, err := ring.Assign(ring.DefaultParams(), []ring.NodeID{1}, rand.New(rand.NewPCG(1, 1)))
	require.NoError(t, err)
	r, err := ring.New(ring.DefaultParams(), members)
	require.NoError(t, err)
	n.ring, err = dnet.AppendMembership(nil, core.BootstrapMembership(r).WithAddrs(1, "", n.addr))
	require.NoError(t, err)

	require.Equal(t, exitOK, first(kv("", "put", "--addr", n.addr, "--client-driven", "k", "v")))
	code, out, errOut := kv("", "get", "--client-driven", "--addr", n.addr, "k")
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, "v", out)
	n.mu.Lock()
	defer n.mu.Unlock()
	require.Equal(t, 2, n.rings, "each client-driven command fetches the ring once")
}

func first(code int, _, _ string) int { return code }

func TestGetReportsAConcurrentDelete(t *testing.T) {
	n := newKVNode(t)
	require.Equal(t, exitOK, first(kv("", "put", "--addr", n.addr, "k", "kept")))
	require.Equal(t, exitOK, first(kv("", "delete", "--addr", n.addr, "k"))) // blind: a sibling
	code, out, errOut := kv("", "get", "--addr", n.addr, "k")
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, "kept", out, "one live value prints as it is")
	require.Contains(t, errOut, "and 1 concurrent delete(s) among the siblings\n")
	require.NotContains(t, errOut, "sibling 1 of")
}
