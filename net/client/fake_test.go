package client

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/dynamo-replay/dynamo/core"
)

// fakeNode serves the API's contract minimally: one copy of each key,
// siblings made by writes without the current context, contexts "v<n>" for
// the key's n-th write, and /ring from whatever table it is given.
type fakeNode struct {
	id  int
	srv *httptest.Server

	mu       sync.Mutex
	data     map[string]*fakeKey
	reqs     []fakeReq
	ring     []byte // served at /ring; 404 while nil
	failWith int    // when non-zero, every /kv request is refused with it
}

type fakeKey struct {
	version int
	sibs    []core.Sibling
}

// fakeReq is what the node saw of one /kv request.
type fakeReq struct {
	Method, Key, Query, Context, Accept string
	Body                                []byte
}

func newFakeNode(t *testing.T, id int) *fakeNode {
	f := &fakeNode{id: id, data: make(map[string]*fakeKey)}
	mux := http.NewServeMux()
	mux.HandleFunc("/kv/", f.kv)
	mux.HandleFunc("/ring", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		b := f.ring
		f.mu.Unlock()
		if b == nil {
			http.Error(w, "no ring yet", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(b)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// addr is the node's "host:port".
func (f *fakeNode) addr() string { return strings.TrimPrefix(f.srv.URL, "http://") }

func (f *fakeNode) setRing(b []byte) {
	f.mu.Lock()
	f.ring = b
	f.mu.Unlock()
}

func (f *fakeNode) requests() []fakeReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeReq(nil), f.reqs...)
}

func (f *fakeNode) kv(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.URL.Path, "/kv/")
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
	if err != nil {
		http.Error(w, "reading body: "+err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, fakeReq{Method: r.Method, Key: key, Query: r.URL.RawQuery,
		Context: r.Header.Get(ContextHeader), Accept: r.Header.Get("Accept"), Body: body})
	w.Header().Set(CoordinatorHeader, strconv.Itoa(f.id))
	if f.failWith != 0 {
		http.Error(w, fmt.Sprintf("node %d refuses: status %d", f.id, f.failWith), f.failWith)
		return
	}
	for _, p := range []string{"r", "w"} {
		if s := r.URL.Query().Get(p); s != "" {
			if n, err := strconv.Atoi(s); err != nil || n < 1 || n > 3 {
				http.Error(w, fmt.Sprintf("%s=%q: want 1..3", p, s), http.StatusBadRequest)
				return
			}
		}
	}
	if key == "" {
		http.Error(w, "empty key", http.StatusBadRequest)
		return
	}
	k := f.data[key]
	if k == nil {
		k = &fakeKey{}
		f.data[key] = k
	}
	switch r.Method {
	case http.MethodGet:
		f.get(w, k)
	case http.MethodPut, http.MethodDelete:
		if len(body) > 1<<20 {
			http.Error(w, "value over 1 MiB", http.StatusRequestEntityTooLarge)
			return
		}
		var ctx []byte
		if h := r.Header.Get(ContextHeader); h != "" {
			if ctx, err = base64.StdEncoding.DecodeString(h); err != nil {
				http.Error(w, "malformed context: "+err.Error(), http.StatusBadRequest)
				return
			}
		}
		s := core.Sibling{Value: body, Deleted: r.Method == http.MethodDelete}
		if string(ctx) == fmt.Sprintf("v%d", k.version) {
			k.sibs = nil // the writer saw everything: supersede it
		}
		k.sibs = append(k.sibs, s)
		k.version++
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, PUT, DELETE")
		http.Error(w, "method "+r.Method+" not allowed", http.StatusMethodNotAllowed)
	}
}

func (f *fakeNode) get(w http.ResponseWriter, k *fakeKey) {
	ctx := base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "v%d", k.version))
	var live, dead int
	for _, s := range k.sibs {
		if s.Deleted {
			dead++
		} else {
			live++
		}
	}
	switch {
	case live == 0:
		if dead > 0 {
			w.Header().Set(ContextHeader, ctx)
		}
		http.Error(w, "not found", http.StatusNotFound)
	case live == 1 && dead == 0:
		w.Header().Set(ContextHeader, ctx)
		_, _ = w.Write(k.sibs[0].Value)
	default:
		type sib struct {
			Value   []byte `json:"value,omitempty"`
			Deleted bool   `json:"deleted,omitempty"`
		}
		out := struct {
			Context  string `json:"context"`
			Siblings []sib  `json:"siblings"`
		}{Context: ctx}
		for _, s := range k.sibs {
			out.Siblings = append(out.Siblings, sib{Value: s.Value, Deleted: s.Deleted})
		}
		w.Header().Set(ContextHeader, ctx)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusMultipleChoices)
		_ = json.NewEncoder(w).Encode(out)
	}
}

// deadAddr is an address nothing listens on any more.
func deadAddr(t *testing.T) string {
	s := httptest.NewServer(http.NotFoundHandler())
	addr := strings.TrimPrefix(s.URL, "http://")
	s.Close()
	return addr
}
