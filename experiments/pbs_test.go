package experiments

import (
	"math"
	"strconv"
	"sync"
	"testing"

	"github.com/dynamo-replay/dynamo/checks"
	"github.com/stretchr/testify/require"
)

var pbsQuick struct {
	once sync.Once
	r    *Result
	err  error
}

// pbsQuickResult runs the experiment once at quick scale for every test here.
func pbsQuickResult(t *testing.T) *Result {
	t.Helper()
	pbsQuick.once.Do(func() {
		last := 0
		pbsQuick.r, pbsQuick.err = runPBS(Quick, 1, func(done, total int) {
			// The runner may say 0 first, then counts up by one.
			if (done != last+1 && !(done == 0 && last == 0)) || done > total {
				panic("progress out of order")
			}
			last = done
		})
	})
	require.NoError(t, pbsQuick.err)
	return pbsQuick.r
}

// pbsSeries returns the measured column of one metric and setting, by x.
func pbsSeries(r *Result, metric, nrw string) map[string]float64 {
	out := make(map[string]float64)
	for _, row := range r.Rows {
		if row[0] == metric && row[1] == nrw {
			out[row[2]] = pbsParse(row[3])
		}
	}
	return out
}

// pbsParse parses a CSV cell (NaN when empty).
func pbsParse(s string) float64 {
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return math.NaN()
	}
	return x
}

// With R+W>N, no faults and so no sloppy fallback, every read that starts
// after a write committed sees it, at every t.
func TestPBSStrictQuorumAlwaysVisible(t *testing.T) {
	r := pbsQuickResult(t)
	vis := pbsSeries(r, "t_visibility", "(3,2,2)")
	require.Len(t, vis, len(pbsGridMs))
	for x, y := range vis {
		require.Equal(t, 1.0, y, "(3,2,2) t-visibility at t=%sms", x)
	}
	k := pbsSeries(r, "k_staleness", "(3,2,2)")
	require.Equal(t, 1.0, k["1"], "(3,2,2) reads are never stale")
}

// (3,1,1) is below 1 right after commit and rises with t: the stragglers
// outside the write quorum receive the write shortly after it commits.
func TestPBSPartialQuorumRisesWithT(t *testing.T) {
	r := pbsQuickResult(t)
	vis := pbsSeries(r, "t_visibility", "(3,1,1)")
	at0 := vis["0"]
	require.Less(t, at0, 0.99, "(3,1,1) at t=0")
	late := (vis["30"] + vis["50"] + vis["70"] + vis["100"]) / 4
	require.Greater(t, late, at0+0.03, "(3,1,1) later than 30ms against t=0")
	require.Greater(t, vis["100"], at0)
	// Partial quorums with more overlap start higher.
	for _, nrw := range []string{"(3,1,2)", "(3,2,1)"} {
		require.GreaterOrEqual(t, pbsSeries(r, "t_visibility", nrw)["0"], at0-0.02, nrw)
	}
}

// Dynamo's quorums are not uniformly random and its writes reach all N
// replicas, so measured k-staleness is at least the closed form, and well
// above it for (3,1,1).
func TestPBSMeasuredAboveClosedForm(t *testing.T) {
	r := pbsQuickResult(t)
	for _, row := range r.Rows {
		if row[0] != "k_staleness" {
			continue
		}
		require.GreaterOrEqual(t, pbsParse(row[3]), pbsParse(row[7])-1e-9, "row %v", row)
	}
	k := pbsSeries(r, "k_staleness", "(3,1,1)")
	require.Greater(t, k["1"], 0.9)
	require.Less(t, k["1"], 1.0, "(3,1,1) has some stale reads when writes follow each other closely")
	for _, c := range r.Compare {
		require.True(t, c.Holds, "claim %q: ours %g", c.Claim, c.Ours)
	}
	require.Len(t, r.Figures, 3)
}

func TestPBSClosedForm(t *testing.T) {
	require.InDelta(t, 1.0/3, pbsClosedForm(pbsSetting{3, 1, 1}, 1), 1e-12)
	require.InDelta(t, 1-4.0/9, pbsClosedForm(pbsSetting{3, 1, 1}, 2), 1e-12)
	require.InDelta(t, 2.0/3, pbsClosedForm(pbsSetting{3, 1, 2}, 1), 1e-12)
	require.InDelta(t, 2.0/3, pbsClosedForm(pbsSetting{3, 2, 1}, 1), 1e-12)
	require.Equal(t, 1.0, pbsClosedForm(pbsSetting{3, 2, 2}, 1))
}

// The global view on a hand-made history: a chain v1 <- v2 <- v3 of one
// key, with a fork (v4 covers only v2, so v3 and v4 are siblings).
func TestPBSAnalyze(t *testing.T) {
	w := func(v string, call, ret int64, covers ...string) checks.Op {
		return checks.Op{Client: 0, Kind: checks.Put, Key: "k", Value: v, Call: call, Return: ret, Outcome: checks.Ok, Covers: covers}
	}
	g := func(call int64, values ...string) checks.Op {
		return checks.Op{Client: 1, Kind: checks.Get, Key: "k", Call: call, Return: call + 1, Outcome: checks.Ok, Values: values}
	}
	h := &checks.History{Ops: []checks.Op{
		g(5),                  // before any commit: left out
		w("v1", 10, 20),       //
		g(25, "v1"),           // fresh, t=5
		w("v2", 30, 40, "v1"), //
		g(41),                 // returned nothing: 1 + (2 - 0)
		g(45, "v1"),           // one behind
		w("v3", 50, 60, "v2"),
		g(70, "v3"),           // fresh
		w("v4", 80, 90, "v2"), // a fork: misses v3
		g(95, "v3"),           // newest committed is v4: one behind, does not see v4
		g(96, "v3", "v4"),     // sees it
		{Client: 0, Kind: checks.Get, Key: "k", Call: 97, Return: 98, Outcome: checks.Ok, Values: []string{"v1"}}, // a writer's read: left out
	}}
	got := pbsAnalyze(h, func(c int) bool { return c == 1 })
	require.Equal(t, []pbsRead{
		{t: 5, seen: true, stale: 1},
		{t: 1, seen: false, stale: 3},
		{t: 5, seen: false, stale: 2},
		{t: 10, seen: true, stale: 1},
		{t: 5, seen: false, stale: 2},
		{t: 6, seen: true, stale: 1},
	}, got)
	require.Equal(t, 1, pbsForks(h))
}

// The same seed gives the same measurements, whatever the goroutines do.
func TestPBSDeterministic(t *testing.T) {
	sc := pbsScale{keys: 4, probesPerT: 3, staleFor: 200e6, readers: 4}
	grid := []int64{0, 1e6, 5e6}
	run := func() pbsSetOut {
		var o pbsSetOut
		cfg := pbsConfig(7, pbsSetting{3, 1, 1}, sc.keys)
		require.NoError(t, pbsVisibility(cfg, sc, grid, &o))
		require.NoError(t, pbsStaleness(cfg, sc, &o))
		return o
	}
	a, b := run(), run()
	require.Equal(t, a, b)
	require.Equal(t, []int{3, 3, 3}, a.visN, "every probe lands in its bin")
}
