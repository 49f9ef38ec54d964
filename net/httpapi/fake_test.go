package httpapi

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/core/ring"
	"github.com/stretchr/testify/require"
)

// fakeBackend records every op it receives and answers with a script.
type fakeBackend struct {
	mu   sync.Mutex
	ops  []core.Op
	info Info
	// answer produces Do's outcome; nil answers a bare success from node 7.
	answer func(ctx context.Context, op core.Op) (core.Result, error)
}

func (f *fakeBackend) Do(ctx context.Context, op core.Op) (core.Result, error) {
	f.mu.Lock()
	f.ops = append(f.ops, op)
	answer := f.answer
	f.mu.Unlock()
	if answer == nil {
		return core.Result{Coordinator: 7}, nil
	}
	return answer(ctx, op)
}

func (f *fakeBackend) Info() Info {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.info
}

func (f *fakeBackend) received() []core.Op {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]core.Op(nil), f.ops...)
}

// returns scripts one result for every op.
func (f *fakeBackend) returns(res core.Result, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answer = func(context.Context, core.Op) (core.Result, error) { return res, err }
}

func newTestServer(t *testing.T, opts Options) (*Server, *fakeBackend) {
	t.Helper()
	f := &fakeBackend{info: Info{Cluster: "test", N: 3, R: 2, W: 2}}
	f.info.Node.ID = 7
	return New(f, opts), f
}

// serve sends one request through the handler in process.
func serve(s *Server, method, target string, body io.Reader, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, body)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

// requireError checks the error contract: the code, and one text/plain line
// that contains want.
func requireError(t *testing.T, w *httptest.ResponseRecorder, code int, want string) {
	t.Helper()
	require.Equal(t, code, w.Code, "body: %s", w.Body.String())
	require.True(t, strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain"), "Content-Type %q", w.Header().Get("Content-Type"))
	body := w.Body.String()
	require.True(t, strings.HasSuffix(body, "\n"), "body %q does not end in a newline", body)
	require.Equal(t, 1, strings.Count(body, "\n"), "body %q is not one line", body)
	require.Contains(t, body, want)
	if code == http.StatusServiceUnavailable {
		require.Equal(t, "1", w.Header().Get("Retry-After"))
	}
}

// testMembership is four nodes with addresses, node 4 leaving: a table
// with every member status but "left" and a member that owns nothing.
func testMembership(t *testing.T) *core.Membership {
	t.Helper()
	p := ring.Params{Strategy: ring.Strategy3, Q: 64}
	ids := []core.NodeID{1, 2, 3, 4}
	members, err := ring.Assign(p, ids, rand.New(rand.NewPCG(1, 2)))
	require.NoError(t, err)
	r, err := ring.New(p, members)
	require.NoError(t, err)
	m := core.BootstrapMembership(r)
	for _, id := range ids {
		m = m.WithAddrs(id, fmt.Sprintf("10.0.0.%d:7000", id), fmt.Sprintf("10.0.0.%d:8000", id))
	}
	return m.WithLeave(4)
}
