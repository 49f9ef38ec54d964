package httpapi

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/dynamo-replay/dynamo/core"
)

// latencyBuckets span a local in-memory answer (sub-millisecond) to the
// default request deadline (5s), roughly 1-2.5-5 per decade.
var latencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

// metricOps are the operations this server times; every one gets a
// histogram from the start, so dashboards see zeros rather than gaps.
var metricOps = []core.OpKind{core.OpGet, core.OpPut, core.OpDelete, core.OpJoin, core.OpLeave}

// requestMetrics counts the answers this server gave. One mutex is plenty:
// each request takes it once, next to a Backend.Do that costs far more.
type requestMetrics struct {
	mu       sync.Mutex
	requests map[requestKey]uint64
	latency  map[core.OpKind]*histogram
}

type requestKey struct {
	op   core.OpKind
	code int
}

// histogram keeps per-bucket counts, the last one for values above every
// bound; they are summed into cumulative counts only when written.
type histogram struct {
	counts []uint64
	sum    float64
	count  uint64
}

func newRequestMetrics() *requestMetrics {
	m := &requestMetrics{requests: make(map[requestKey]uint64), latency: make(map[core.OpKind]*histogram)}
	for _, op := range metricOps {
		m.latency[op] = &histogram{counts: make([]uint64, len(latencyBuckets)+1)}
	}
	return m
}

func (m *requestMetrics) observe(op core.OpKind, code int, d time.Duration) {
	secs := d.Seconds()
	// The first bound at or above secs: le means "less than or equal".
	i, _ := slices.BinarySearch(latencyBuckets, secs)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[requestKey{op, code}]++
	h := m.latency[op]
	h.counts[i]++
	h.sum += secs
	h.count++
}

func (m *requestMetrics) write(e *expo) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e.family("dynamo_requests_total", "counter", "Requests this HTTP server answered, by operation and status code.")
	keys := make([]requestKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b requestKey) int { return cmp.Or(cmp.Compare(a.op, b.op), cmp.Compare(a.code, b.code)) })
	for _, k := range keys {
		e.sample("dynamo_requests_total", formatUint(m.requests[k]), "op", k.op.String(), "code", strconv.Itoa(k.code))
	}
	const name = "dynamo_request_duration_seconds"
	e.family(name, "histogram", "Time from receiving a request to answering it, by operation.")
	for _, op := range metricOps {
		h := m.latency[op]
		var cum uint64
		for i, le := range latencyBuckets {
			cum += h.counts[i]
			e.sample(name+"_bucket", formatUint(cum), "op", op.String(), "le", formatFloat(le))
		}
		e.sample(name+"_bucket", formatUint(h.count), "op", op.String(), "le", "+Inf")
		e.sample(name+"_sum", formatFloat(h.sum), "op", op.String())
		e.sample(name+"_count", formatUint(h.count), "op", op.String())
	}
}

// instrument runs serve with a writer that remembers the status code, and
// counts the answer.
func (s *Server) instrument(op core.OpKind, w http.ResponseWriter, serve func(http.ResponseWriter)) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	serve(rec)
	s.metrics.observe(op, rec.status(), time.Since(start))
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the server's writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// status is the code sent; a handler that wrote nothing sent 200.
func (r *statusRecorder) status() int {
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if _, err := parseQuery(r, "GET /metrics"); err != nil {
		writeError(w, err)
		return
	}
	var e expo
	s.metrics.write(&e)
	writeNodeMetrics(&e, s.b.Info())
	w.Header().Set("Content-Type", metricsContentType)
	w.Write([]byte(e.String())) // an error means the scraper hung up
}
