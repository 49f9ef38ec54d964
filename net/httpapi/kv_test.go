package httpapi

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/stretchr/testify/require"
)

func TestGetOneValue(t *testing.T) {
	s, f := newTestServer(t, Options{})
	f.returns(core.Result{Siblings: []core.Sibling{{Value: []byte("hello")}}, Context: []byte{1, 2, 3}, Coordinator: 5}, nil)

	w := serve(s, "GET", "/kv/greeting?r=3", nil)

	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "hello", w.Body.String())
	require.Equal(t, "application/octet-stream", w.Header().Get("Content-Type"))
	require.Equal(t, base64.StdEncoding.EncodeToString([]byte{1, 2, 3}), w.Header().Get(contextHeader))
	require.Equal(t, "5", w.Header().Get(coordinatorHeader))
	require.Equal(t, []core.Op{{Kind: core.OpGet, Key: "greeting", R: 3}}, f.received())
}

func TestHeadIsAGet(t *testing.T) {
	s, f := newTestServer(t, Options{})
	f.returns(core.Result{Siblings: []core.Sibling{{Value: []byte("hello")}}, Context: []byte{1}}, nil)

	w := serve(s, "HEAD", "/kv/k", nil)

	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "5", w.Header().Get("Content-Length"))
	require.Equal(t, []core.Op{{Kind: core.OpGet, Key: "k"}}, f.received())
}

// Keys are the whole unescaped path after /kv/, including segments a mux
// would clean away.
func TestKeyIsTheUnescapedPath(t *testing.T) {
	for target, key := range map[string]string{
		"/kv/plain":      "plain",
		"/kv/a%2Fb":      "a/b",
		"/kv/a/b":        "a/b",
		"/kv/a//b":       "a//b",
		"/kv/.":          ".",
		"/kv/..":         "..",
		"/kv/a/../b":     "a/../b",
		"/kv/%2E%2E":     "..",
		"/kv/%00%FF%20x": "\x00\xff x",
		"/kv/a+b":        "a+b",
		"/kv/%3Fq%3D1":   "?q=1",
	} {
		s, f := newTestServer(t, Options{})
		w := serve(s, "DELETE", target, nil)
		require.Equal(t, http.StatusNoContent, w.Code, "%s: %s", target, w.Body.String())
		require.Equal(t, []core.Op{{Kind: core.OpDelete, Key: key}}, f.received(), target)
	}
}

func TestMalformedKeys(t *testing.T) {
	s, f := newTestServer(t, Options{MaxKeyBytes: 8})

	// A server never hands a handler an invalid escape (it answers 400
	// itself, see TestBadEscapeOverTheWire); a hand-built request can.
	r := httptest.NewRequest("GET", "/kv/x", nil)
	r.URL.RawPath = "/kv/%zz"
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	requireError(t, w, http.StatusBadRequest, `bad key escape: invalid URL escape "%zz"`)

	requireError(t, serve(s, "GET", "/kv/", nil), http.StatusBadRequest, "empty key")
	requireError(t, serve(s, "PUT", "/kv", nil), http.StatusBadRequest, "missing key")
	requireError(t, serve(s, "GET", "/kv/123456789", nil), http.StatusBadRequest, "key of 9 bytes exceeds the limit of 8")
	require.Empty(t, f.received())

	require.Equal(t, http.StatusNoContent, serve(s, "PUT", "/kv/12345678", nil).Code, "a key at the limit is fine")
}

func TestDefaultKeyLimit(t *testing.T) {
	s, f := newTestServer(t, Options{})
	requireError(t, serve(s, "GET", "/kv/"+strings.Repeat("k", 1025), nil), http.StatusBadRequest, "key of 1025 bytes exceeds the limit of 1024")
	require.Empty(t, f.received())
	require.Equal(t, http.StatusNoContent, serve(s, "DELETE", "/kv/"+strings.Repeat("k", 1024), nil).Code)
}

func TestBadEscapeOverTheWire(t *testing.T) {
	s, f := newTestServer(t, Options{})
	ts := httptest.NewServer(s)
	defer ts.Close()

	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "GET /kv/%%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Empty(t, f.received())
}

func TestQueryParameters(t *testing.T) {
	for _, tc := range []struct {
		method, query string
		code          int
		want          string // error text, or "" on success
		r, w          int
	}{
		{"GET", "r=1", 404, "", 1, 0}, // the fake's bare success reads as not found
		{"GET", "r=3", 404, "", 3, 0},
		{"PUT", "w=2", 204, "", 0, 2},
		{"DELETE", "w=3", 204, "", 0, 3},
		{"GET", "r=0", 400, `bad r "0": want an integer from 1 to N=3`, 0, 0},
		{"GET", "r=abc", 400, `bad r "abc": want an integer from 1 to N=3`, 0, 0},
		{"GET", "r=4", 400, `bad r "4": want an integer from 1 to N=3`, 0, 0},
		{"GET", "r=-1", 400, `bad r "-1"`, 0, 0},
		{"GET", "r=", 400, `bad r ""`, 0, 0},
		{"PUT", "w=9", 400, `bad w "9": want an integer from 1 to N=3`, 0, 0},
		{"GET", "r=1&r=2", 400, "query parameter r given 2 times", 0, 0},
		{"PUT", "W=2", 400, `unknown query parameter "W" (PUT /kv/{key} takes only w)`, 0, 0},
		{"GET", "w=2", 400, `unknown query parameter "w" (GET /kv/{key} takes only r)`, 0, 0},
		{"DELETE", "r=2", 400, `unknown query parameter "r"`, 0, 0},
		{"GET", "y=1&x=2", 400, `unknown query parameters "x", "y"`, 0, 0},
		{"GET", "r=1;x", 400, "bad query string", 0, 0},
	} {
		t.Run(tc.method+" "+tc.query, func(t *testing.T) {
			s, f := newTestServer(t, Options{})
			w := serve(s, tc.method, "/kv/k?"+tc.query, nil)
			if tc.want != "" {
				requireError(t, w, tc.code, tc.want)
				require.Empty(t, f.received())
				return
			}
			require.Equal(t, tc.code, w.Code, w.Body.String())
			ops := f.received()
			require.Len(t, ops, 1)
			require.Equal(t, tc.r, ops[0].R)
			require.Equal(t, tc.w, ops[0].W)
		})
	}
}

func TestQuorumWithoutKnownN(t *testing.T) {
	s, f := newTestServer(t, Options{})
	f.info.N = 0 // the backend does not know N yet: the node checks the bound
	serve(s, "GET", "/kv/k?r=5", nil)
	require.Equal(t, 5, f.received()[0].R)
	requireError(t, serve(s, "GET", "/kv/k?r=0", nil), http.StatusBadRequest, `bad r "0": want a positive integer`)
}

func TestPutAndDelete(t *testing.T) {
	s, f := newTestServer(t, Options{})
	ctx := base64.StdEncoding.EncodeToString([]byte("ctx"))

	w := serve(s, "PUT", "/kv/k?w=1", strings.NewReader("value"), contextHeader, ctx)
	require.Equal(t, http.StatusNoContent, w.Code)
	require.Equal(t, "7", w.Header().Get(coordinatorHeader))
	require.Empty(t, w.Body.String())

	w = serve(s, "DELETE", "/kv/k", nil, contextHeader, ctx)
	require.Equal(t, http.StatusNoContent, w.Code)
	require.Equal(t, "7", w.Header().Get(coordinatorHeader))

	w = serve(s, "PUT", "/kv/blind", strings.NewReader(""))
	require.Equal(t, http.StatusNoContent, w.Code)

	require.Equal(t, []core.Op{
		{Kind: core.OpPut, Key: "k", Value: []byte("value"), Context: []byte("ctx"), W: 1},
		{Kind: core.OpDelete, Key: "k", Context: []byte("ctx")},
		{Kind: core.OpPut, Key: "blind", Value: []byte{}},
	}, f.received())
}

func TestBadContext(t *testing.T) {
	s, f := newTestServer(t, Options{})
	requireError(t, serve(s, "PUT", "/kv/k", strings.NewReader("v"), contextHeader, "not base64!"),
		http.StatusBadRequest, "bad X-Dynamo-Context: illegal base64 data at input byte 3")
	requireError(t, serve(s, "DELETE", "/kv/k", nil, contextHeader, "AAAA", contextHeader, "AAAA"),
		http.StatusBadRequest, "bad X-Dynamo-Context: given 2 times")
	require.Empty(t, f.received())
}

// countingReader fails the test's expectations if anything reads it.
type countingReader struct {
	r     io.Reader
	reads int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.reads++
	return c.r.Read(p)
}

func TestValueTooLargeByContentLength(t *testing.T) {
	s, f := newTestServer(t, Options{MaxValueBytes: 10})
	body := &countingReader{r: strings.NewReader(strings.Repeat("v", 11))}
	r := httptest.NewRequest("PUT", "/kv/k", body)
	r.ContentLength = 11
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)

	requireError(t, w, http.StatusRequestEntityTooLarge, "value exceeds the limit of 10 bytes")
	require.Zero(t, body.reads, "the body was read despite its declared length")
	require.Equal(t, "close", w.Header().Get("Connection"), "net/http would otherwise drain the body")
	require.Empty(t, f.received())
}

// The client declares a too-large body and never sends it: the answer must
// come anyway, since the server neither reads nor drains the body.
func TestValueTooLargeByContentLengthOverTheWire(t *testing.T) {
	s, f := newTestServer(t, Options{MaxValueBytes: 1024})
	ts := httptest.NewServer(s)
	defer ts.Close()

	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Second)))
	_, err = fmt.Fprintf(conn, "PUT /kv/k HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err, "no answer before the body was sent")
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	require.Equal(t, "value exceeds the limit of 1024 bytes\n", string(body))
	require.True(t, resp.Close, "the connection closes rather than wait for the body")
	require.Empty(t, f.received())
}

func TestValueTooLargeChunked(t *testing.T) {
	s, f := newTestServer(t, Options{MaxValueBytes: 10})
	// An io.Reader of no known type leaves the length undeclared.
	r := httptest.NewRequest("PUT", "/kv/k", io.MultiReader(strings.NewReader(strings.Repeat("v", 11))))
	r.ContentLength = -1
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	requireError(t, w, http.StatusRequestEntityTooLarge, "value exceeds the limit of 10 bytes")
	require.Empty(t, f.received())

	r = httptest.NewRequest("PUT", "/kv/k", io.MultiReader(strings.NewReader(strings.Repeat("v", 10))))
	r.ContentLength = -1
	w = httptest.NewRecorder()
	s.ServeHTTP(w, r)
	require.Equal(t, http.StatusNoContent, w.Code, "a value at the limit is fine")
	require.Equal(t, []byte(strings.Repeat("v", 10)), f.received()[0].Value)
}

func TestValueTooLargeOverTheWire(t *testing.T) {
	s, f := newTestServer(t, Options{MaxValueBytes: 1024})
	encoding := make(chan []string, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		encoding <- r.TransferEncoding
		s.ServeHTTP(w, r)
	}))
	defer ts.Close()

	// Small enough to sit in socket buffers: the client finishes sending
	// before the server answers and closes.
	req, err := http.NewRequest("PUT", ts.URL+"/kv/k", io.MultiReader(strings.NewReader(strings.Repeat("v", 4096))))
	require.NoError(t, err)
	resp, err := ts.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	require.Equal(t, []string{"chunked"}, <-encoding, "the body must arrive without a declared length")
	require.Equal(t, "value exceeds the limit of 1024 bytes\n", string(body))
	require.Empty(t, f.received())
}

func TestDefaultValueLimit(t *testing.T) {
	s, f := newTestServer(t, Options{})
	r := httptest.NewRequest("PUT", "/kv/k", nil)
	r.ContentLength = 1<<20 + 1
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	requireError(t, w, http.StatusRequestEntityTooLarge, "value exceeds the limit of 1048576 bytes")

	require.Equal(t, http.StatusNoContent, serve(s, "PUT", "/kv/k", strings.NewReader(strings.Repeat("v", 1<<20))).Code)
	require.Len(t, f.received(), 1)
}

func TestMethodNotAllowed(t *testing.T) {
	s, f := newTestServer(t, Options{AllowAdmin: true})
	for _, tc := range []struct{ method, target, allow string }{
		{"POST", "/kv/k", "GET, HEAD, PUT, DELETE"},
		{"PATCH", "/kv/", "GET, HEAD, PUT, DELETE"},
		{"PUT", "/status", "GET, HEAD"},
		{"DELETE", "/ring", "GET, HEAD"},
		{"POST", "/metrics", "GET, HEAD"},
		{"GET", "/admin/join", "POST"},
		{"DELETE", "/admin/leave", "POST"},
	} {
		w := serve(s, tc.method, tc.target, nil)
		requireError(t, w, http.StatusMethodNotAllowed, "method "+tc.method+" not allowed")
		require.Equal(t, tc.allow, w.Header().Get("Allow"), tc.target)
	}
	require.Empty(t, f.received())
}

func TestUnknownPath(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	requireError(t, serve(s, "GET", "/nope", nil), http.StatusNotFound, "no endpoint /nope")
}

func TestResultErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		res    core.Result
		err    error
		code   int
		want   string
		logged bool // server-side trouble reaches Logf
	}{
		{"bad request", core.Result{Err: fmt.Errorf("%w: context does not decode", core.ErrBadRequest)}, nil, 400, "bad request: context does not decode", false},
		{"timeout", core.Result{Err: core.ErrTimeout, Coordinator: 2}, nil, 503, "timeout: too few replicas answered", false},
		{"unavailable", core.Result{Err: core.ErrUnavailable}, nil, 503, "node unavailable", false},
		{"other result error", core.Result{Err: errors.New("disk on fire\nsecond line")}, nil, 500, "put failed: disk on fire second line", true},
		{"stopping", core.Result{}, errors.New("node stopping"), 503, "put: node cannot answer: node stopping", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logged []string
			s, f := newTestServer(t, Options{Logf: func(format string, args ...any) { logged = append(logged, fmt.Sprintf(format, args...)) }})
			f.returns(tc.res, tc.err)
			w := serve(s, "PUT", "/kv/k", strings.NewReader("v"))
			requireError(t, w, tc.code, tc.want)
			require.Empty(t, w.Header().Get(coordinatorHeader), "an error names no coordinator")
			require.Len(t, f.received(), 1)
			require.Equal(t, tc.logged, len(logged) == 1, "logged: %q", logged)
		})
	}
}

func TestRequestDeadline(t *testing.T) {
	s, f := newTestServer(t, Options{RequestTimeout: 20 * time.Millisecond})
	var deadline time.Time
	f.answer = func(ctx context.Context, op core.Op) (core.Result, error) {
		deadline, _ = ctx.Deadline()
		<-ctx.Done() // a node that never answers
		return core.Result{}, ctx.Err()
	}
	start := time.Now()
	w := serve(s, "GET", "/kv/k", nil)
	requireError(t, w, http.StatusServiceUnavailable, "get: no result within 20ms: context deadline exceeded")
	require.WithinDuration(t, start.Add(20*time.Millisecond), deadline, 15*time.Millisecond)
}

func TestNotFound(t *testing.T) {
	s, f := newTestServer(t, Options{})

	f.returns(core.Result{Coordinator: 1}, nil)
	w := serve(s, "GET", "/kv/k", nil)
	requireError(t, w, http.StatusNotFound, "key not found")
	require.Empty(t, w.Header().Get(contextHeader), "nothing to supersede, no context")
	require.Equal(t, "1", w.Header().Get(coordinatorHeader))

	f.returns(core.Result{Siblings: []core.Sibling{{Deleted: true}, {Deleted: true}}, Context: []byte("tomb"), Coordinator: 1}, nil)
	w = serve(s, "GET", "/kv/k", nil)
	requireError(t, w, http.StatusNotFound, "every sibling is a tombstone")
	require.Equal(t, base64.StdEncoding.EncodeToString([]byte("tomb")), w.Header().Get(contextHeader))
}

// siblingsBody mirrors the documented 300 JSON independently of the server's
// own types.
type siblingsBody struct {
	Context  string `json:"context"`
	Siblings []struct {
		Value   *string `json:"value"`
		Deleted bool    `json:"deleted"`
	} `json:"siblings"`
}

func TestSiblingsJSON(t *testing.T) {
	s, f := newTestServer(t, Options{})
	f.returns(core.Result{
		Siblings:    []core.Sibling{{Value: []byte("a")}, {Deleted: true}, {Value: nil}, {Value: []byte{0, 0xff}}},
		Context:     []byte("ctx"),
		Coordinator: 3,
	}, nil)

	w := serve(s, "GET", "/kv/k", nil)

	require.Equal(t, http.StatusMultipleChoices, w.Code)
	require.Equal(t, "application/json", w.Header().Get("Content-Type"))
	require.Equal(t, "Y3R4", w.Header().Get(contextHeader))
	require.Equal(t, "3", w.Header().Get(coordinatorHeader))
	var body siblingsBody
	require.NoError(t, jsonDecodeStrict(w.Body, &body))
	require.Equal(t, "Y3R4", body.Context)
	require.Len(t, body.Siblings, 4)
	values := make([]string, len(body.Siblings))
	for i, sib := range body.Siblings {
		if sib.Deleted {
			require.Nil(t, sib.Value, "a tombstone has no value")
			values[i] = "<deleted>"
			continue
		}
		require.NotNil(t, sib.Value, "a live sibling always has a value, even empty")
		v, err := base64.StdEncoding.DecodeString(*sib.Value)
		require.NoError(t, err)
		values[i] = string(v)
	}
	require.Equal(t, []string{"a", "<deleted>", "", "\x00\xff"}, values)
}

func TestLiveValueBesideTombstoneIsSiblings(t *testing.T) {
	s, f := newTestServer(t, Options{})
	f.returns(core.Result{Siblings: []core.Sibling{{Value: []byte("a")}, {Deleted: true}}, Context: []byte("c")}, nil)
	require.Equal(t, http.StatusMultipleChoices, serve(s, "GET", "/kv/k", nil).Code)
}

func TestSiblingsMultipart(t *testing.T) {
	s, f := newTestServer(t, Options{})
	f.returns(core.Result{
		Siblings:    []core.Sibling{{Value: []byte("first")}, {Deleted: true}, {Value: []byte("\r\n--x\r\n")}},
		Context:     []byte("ctx"),
		Coordinator: 3,
	}, nil)

	w := serve(s, "GET", "/kv/k", nil, "Accept", "multipart/mixed")

	require.Equal(t, http.StatusMultipleChoices, w.Code)
	require.Equal(t, "Y3R4", w.Header().Get(contextHeader))
	parts := readMultipart(t, w)
	require.Equal(t, []part{
		{value: "first"},
		{deleted: true},
		{value: "\r\n--x\r\n"},
	}, parts)
}

func TestAcceptNegotiation(t *testing.T) {
	for accept, multi := range map[string]bool{
		"":                                  false,
		"*/*":                               false,
		"multipart/mixed":                   true,
		"application/json, multipart/mixed": true, // equal preference: the documented form
		"multipart/mixed;q=0.5, application/json":   false,
		"multipart/mixed;q=0":                       false,
		"text/html, multipart/mixed; q=0.9":         true,
		"application/json;q=0.1,multipart/mixed":    true,
		"multipart/mixed;q=bogus, application/json": false,
	} {
		r := httptest.NewRequest("GET", "/kv/k", nil)
		if accept != "" {
			r.Header.Set("Accept", accept)
		}
		require.Equal(t, multi, wantsMultipart(r), "Accept: %s", accept)
	}
}

func TestRefusalNamesNoCoordinator(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	w := serve(s, "GET", "/kv/k?r=0", nil)
	require.Equal(t, http.StatusBadRequest, w.Code)
	require.Empty(t, w.Header().Get(coordinatorHeader), "no node coordinated a refused request")
	require.Empty(t, w.Header().Get(contextHeader))
}

func jsonDecodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// part is one sibling as a multipart client reads it.
type part struct {
	value   string
	deleted bool
}

func readMultipart(t *testing.T, w *httptest.ResponseRecorder) []part {
	t.Helper()
	typ, params, err := mime.ParseMediaType(w.Header().Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/mixed", typ)
	mr := multipart.NewReader(w.Body, params["boundary"])
	var parts []part
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return parts
		}
		require.NoError(t, err)
		require.Equal(t, "application/octet-stream", p.Header.Get("Content-Type"))
		b, err := io.ReadAll(p)
		require.NoError(t, err)
		deleted := p.Header.Get(deletedHeader) == "true"
		if deleted {
			require.Empty(t, b, "a tombstone part is empty")
		}
		parts = append(parts, part{value: string(b), deleted: deleted})
	}
}
