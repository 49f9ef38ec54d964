package httpapi

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/stretchr/testify/require"
)

var (
	sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*)?\})? (\S+)$`)
	helpLine   = regexp.MustCompile(`^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*$`)
	typeLine   = regexp.MustCompile(`^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$`)
)

// checkExposition checks the text format line by line: every sample is
// `name{labels} value` with a float value, belongs to a family declared by
// # HELP and # TYPE before it, and each family's samples form one group. It
// returns the samples keyed by "name{labels}" as written.
func checkExposition(body string) (map[string]float64, error) {
	samples := make(map[string]float64)
	types := make(map[string]string)
	helped := make(map[string]bool)
	done := make(map[string]bool) // families another family has followed
	current := ""
	for i, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		fail := func(format string, args ...any) error {
			return fmt.Errorf("line %d %q: %s", i+1, line, fmt.Sprintf(format, args...))
		}
		if m := helpLine.FindStringSubmatch(line); m != nil {
			if helped[m[1]] {
				return nil, fail("family declared twice")
			}
			helped[m[1]] = true
			continue
		}
		if m := typeLine.FindStringSubmatch(line); m != nil {
			if !helped[m[1]] || types[m[1]] != "" {
				return nil, fail("# TYPE without # HELP, or twice")
			}
			types[m[1]] = m[2]
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			return nil, fail("malformed line")
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			return nil, fail("value: %v", err)
		}
		family := m[1]
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(family, suffix); ok && types[base] == "histogram" {
				family = base
			}
		}
		if types[family] == "" {
			return nil, fail("no # TYPE for %s", family)
		}
		if family != current {
			if done[family] {
				return nil, fail("family %s is split", family)
			}
			done[current] = true
			current = family
		}
		key := m[1] + m[2]
		if _, dup := samples[key]; dup {
			return nil, fail("sample written twice")
		}
		samples[key] = v
	}
	return samples, nil
}

func parseExposition(t *testing.T, body string) map[string]float64 {
	t.Helper()
	samples, err := checkExposition(body)
	require.NoError(t, err)
	return samples
}

// requireHistogram checks one operation's latency histogram: buckets in
// increasing le, cumulative counts that never decrease, +Inf equal to
// _count. It returns _count.
func requireHistogram(t *testing.T, samples map[string]float64, op string) float64 {
	t.Helper()
	const name = "dynamo_request_duration_seconds"
	prev := 0.0
	for _, le := range latencyBuckets {
		v, ok := samples[fmt.Sprintf(`%s_bucket{op="%s",le="%s"}`, name, op, formatFloat(le))]
		require.True(t, ok, "%s: no bucket le=%v", op, le)
		require.GreaterOrEqual(t, v, prev, "%s: buckets are not cumulative at le=%v", op, le)
		prev = v
	}
	inf := samples[fmt.Sprintf(`%s_bucket{op="%s",le="+Inf"}`, name, op)]
	count := samples[fmt.Sprintf(`%s_count{op="%s"}`, name, op)]
	require.GreaterOrEqual(t, inf, prev)
	require.Equal(t, count, inf, "%s: +Inf bucket differs from _count", op)
	_, ok := samples[fmt.Sprintf(`%s_sum{op="%s"}`, name, op)]
	require.True(t, ok, "%s: no _sum", op)
	return count
}

func scrape(t *testing.T, s *Server) map[string]float64 {
	t.Helper()
	w := serve(s, "GET", "/metrics", nil)
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "text/plain; version=0.0.4; charset=utf-8", w.Header().Get("Content-Type"))
	return parseExposition(t, w.Body.String())
}

func TestMetricsCountRequests(t *testing.T) {
	s, f := newTestServer(t, Options{})
	f.returns(core.Result{Siblings: []core.Sibling{{Value: []byte("v")}}, Context: []byte{1}}, nil)
	serve(s, "GET", "/kv/a", nil)
	serve(s, "GET", "/kv/b", nil)
	serve(s, "GET", "/kv/b?r=0", nil)
	serve(s, "PUT", "/kv/a", strings.NewReader("v"))
	serve(s, "DELETE", "/kv/a", nil)
	serve(s, "POST", "/kv/a", nil) // 405: no operation to count

	got := scrape(t, s)

	require.Equal(t, 2.0, got[`dynamo_requests_total{op="get",code="200"}`])
	require.Equal(t, 1.0, got[`dynamo_requests_total{op="get",code="400"}`])
	require.Equal(t, 1.0, got[`dynamo_requests_total{op="put",code="204"}`])
	require.Equal(t, 1.0, got[`dynamo_requests_total{op="delete",code="204"}`])
	requests := 0.0
	for k, v := range got {
		if strings.HasPrefix(k, "dynamo_requests_total{") {
			requests += v
		}
	}
	require.Equal(t, 5.0, requests)
	require.Equal(t, 3.0, requireHistogram(t, got, "get"))
	require.Equal(t, 1.0, requireHistogram(t, got, "put"))
	require.Equal(t, 1.0, requireHistogram(t, got, "delete"))
	require.Equal(t, 0.0, requireHistogram(t, got, "join"))
}

func TestHistogramBuckets(t *testing.T) {
	m := newRequestMetrics()
	for _, d := range []time.Duration{100 * time.Microsecond, 500 * time.Microsecond, 3 * time.Millisecond, 7 * time.Second} {
		m.observe(core.OpGet, 200, d)
	}
	var e expo
	m.write(&e)
	got := parseExposition(t, e.String())
	bucket := func(le string) float64 { return got[`dynamo_request_duration_seconds_bucket{op="get",le="`+le+`"}`] }
	require.Equal(t, 2.0, bucket("0.0005"), "le is inclusive")
	require.Equal(t, 2.0, bucket("0.0025"))
	require.Equal(t, 3.0, bucket("0.005"))
	require.Equal(t, 3.0, bucket("5"))
	require.Equal(t, 4.0, bucket("+Inf"), "an observation above every bound counts only in +Inf")
	require.InDelta(t, 7.0036, got[`dynamo_request_duration_seconds_sum{op="get"}`], 1e-9)
	require.Equal(t, 4.0, requireHistogram(t, got, "get"))
}

func TestMetricsFromInfo(t *testing.T) {
	s, f := newTestServer(t, Options{})
	f.info.Cluster = "we\"ird\\na\nme"
	f.info.Membership = testMembership(t)
	f.info.Node.Ready = true
	f.info.Node.Incarnation = 4
	f.info.Node.Keys = 42
	f.info.Node.Hints = 3
	f.info.Node.Stats.HintsDelivered = 5
	f.info.Node.Stats.AEKeysMoved = 6
	f.info.Disk.Fsyncs = 7
	f.info.Disk.Segments = 2
	f.info.Disk.Compactions = 8
	f.info.Net.BytesRecv = 1 << 40
	f.info.Net.DropsFull = 9

	got := scrape(t, s)

	for name, want := range map[string]float64{
		`dynamo_node_info{cluster="we\"ird\\na\nme",node="7"}`: 1,
		`dynamo_ready`:                                1,
		`dynamo_incarnation`:                          4,
		`dynamo_keys`:                                 42,
		`dynamo_hints_pending`:                        3,
		`dynamo_hints_delivered_total`:                5,
		`dynamo_anti_entropy_keys_moved_total`:        6,
		`dynamo_wal_fsyncs_total`:                     7,
		`dynamo_wal_segments`:                         2,
		`dynamo_wal_compactions_total`:                8,
		`dynamo_net_bytes_received_total`:             1 << 40,
		`dynamo_net_drops_total{reason="queue_full"}`: 9,
		`dynamo_net_drops_total{reason="closed"}`:     0,
		`dynamo_members{status="joined"}`:             3,
		`dynamo_members{status="leaving"}`:            1,
		`dynamo_members{status="left"}`:               0,
	} {
		v, ok := got[name]
		require.True(t, ok, "no sample %s", name)
		require.Equal(t, want, v, name)
	}
	// Every counter and gauge of the table appears, once.
	for _, m := range nodeMetrics {
		_, ok := got[m.name]
		require.True(t, ok, "no sample %s", m.name)
	}
}

func TestMetricsUnderConcurrency(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	const workers, each = 8, 50
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				serve(s, "PUT", fmt.Sprintf("/kv/%d-%d", i, j), strings.NewReader("v"))
				if j%10 == 0 {
					serve(s, "GET", "/metrics", nil)
				}
			}
		}()
	}
	wg.Wait()
	got := scrape(t, s)
	require.Equal(t, float64(workers*each), got[`dynamo_requests_total{op="put",code="204"}`])
	require.Equal(t, float64(workers*each), requireHistogram(t, got, "put"))
}

func TestExpositionCheckerRejectsMalformedLines(t *testing.T) {
	// The checker is what tests the format; make sure it can fail.
	const x = "# HELP x h\n# TYPE x gauge\n"
	for _, body := range []string{
		"x 1\n",
		x + "x one\n",
		x + "x{a=\"b} 1\n",
		x + "x{a=\"b\"} 1 2\n",
		x + "x 1\nx 2\n",
		x + "# TYPE x counter\nx 1\n",
		x + "# HELP y h\n# TYPE y gauge\nx 1\ny 1\nx{a=\"b\"} 2\n",
		x + "# stray comment\nx 1\n",
	} {
		_, err := checkExposition(body)
		require.Error(t, err, "accepted %q", body)
	}
	got, err := checkExposition(x + "x{a=\"q\\\"\\\\\\n\"} +Inf\n")
	require.NoError(t, err)
	require.Len(t, got, 1)
}
