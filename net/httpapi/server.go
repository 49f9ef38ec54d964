package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/dynamo-replay/dynamo/core"
)

// Defaults for the zero Options, matching the limits doc.go promises.
const (
	DefaultMaxKeyBytes    = 1024
	DefaultMaxValueBytes  = 1 << 20
	DefaultRequestTimeout = 5 * time.Second
)

// Options tune a Server. The zero value gives the documented limits.
type Options struct {
	// MaxKeyBytes bounds an unescaped key (default 1024).
	MaxKeyBytes int
	// MaxValueBytes bounds a PUT body (default 1 MiB); larger bodies get
	// 413 and are not read past the limit.
	MaxValueBytes int64
	// RequestTimeout is the deadline Backend.Do gets for one operation
	// (default 5s), so that a wedged node answers 503 instead of holding
	// the connection forever.
	RequestTimeout time.Duration
	// Logf receives server-side failures (500s, Backend.Do errors). Nil
	// discards them: the clients see every error anyway.
	Logf func(format string, args ...any)
	// AllowAdmin enables POST /admin/join and /admin/leave. They change the
	// ring, so a node serves them only when its operator asked for it.
	AllowAdmin bool
}

func (o Options) withDefaults() Options {
	if o.MaxKeyBytes <= 0 {
		o.MaxKeyBytes = DefaultMaxKeyBytes
	}
	if o.MaxValueBytes <= 0 {
		o.MaxValueBytes = DefaultMaxValueBytes
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	return o
}

// Server is the HTTP API of one node over a Backend. It is an http.Handler
// and safe for concurrent use.
type Server struct {
	b       Backend
	opts    Options
	mux     *http.ServeMux
	metrics *requestMetrics
}

// New returns a Server answering for b.
func New(b Backend, opts Options) *Server {
	if b == nil {
		panic("httpapi.New: nil Backend")
	}
	s := &Server{b: b, opts: opts.withDefaults(), mux: http.NewServeMux(), metrics: newRequestMetrics()}
	s.routes()
	return s
}

const kvPrefix = "/kv/"

func (s *Server) routes() {
	s.handle("/status", "GET", s.serveStatus)
	s.handle("/ring", "GET", s.serveRing)
	s.handle("/metrics", "GET", s.serveMetrics)
	if s.opts.AllowAdmin {
		s.handle("/admin/join", "POST", s.admin(core.OpJoin, "/admin/join"))
		s.handle("/admin/leave", "POST", s.admin(core.OpLeave, "/admin/leave"))
	} else {
		s.mux.HandleFunc("/admin/", func(w http.ResponseWriter, r *http.Request) {
			writeError(w, errorf(http.StatusForbidden, "admin endpoints are disabled on this node (Options.AllowAdmin is false)"))
		})
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errorf(http.StatusNotFound,
			"no endpoint %s: this API serves /kv/{key}, /status, /ring, /metrics, /admin/join, /admin/leave", r.URL.Path))
	})
}

// handle registers h for method on path, and a method-less pattern on the
// same path so that other methods get our 405 (one line naming the method)
// rather than the mux's bare one.
func (s *Server) handle(path, method string, h http.HandlerFunc) {
	s.mux.HandleFunc(method+" "+path, h)
	allow := method
	if method == http.MethodGet {
		allow = "GET, HEAD" // the mux routes HEAD to GET patterns
	}
	s.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		methodNotAllowed(w, r, path, allow)
	})
}

// ServeHTTP routes /kv/ itself and everything else through the mux. Keys are
// arbitrary bytes, and the mux would redirect paths it considers unclean
// ("/kv/.", "/kv/a//b", "/kv/a/../b"), which are all valid keys.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p := rawPath(r); strings.HasPrefix(p, kvPrefix) || p == "/kv" {
		s.serveKV(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}
