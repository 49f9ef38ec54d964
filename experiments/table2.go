package experiments

import (
	"fmt"
	"math"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/dynamo-replay/dynamo/sim"
)

func init() {
	Register(Experiment{
		Name:  "table2",
		Title: "Client-driven against server-driven coordination: averages and 99.9th percentiles of reads and writes (Table 2)",
		Run: func(scale Scale, seed uint64, progress func(done, total int)) (*Result, error) {
			r, _, err := runTable2(scale, seed, progress)
			return r, err
		},
	})
}

// table2Paper is Table 2 as printed [B:L1808-1833]: 99.9th percentile read,
// 99.9th percentile write, average read, average write, in ms.
var table2Paper = struct{ Server, Client [4]float64 }{
	Server: [4]float64{68.9, 68.5, 3.9, 4.02},
	Client: [4]float64{30.4, 30.4, 1.55, 1.9},
}

// table2Setup is the instance of Table 2. Its averages (2-4 ms) are far below
// Figure 4's, so it is not Figure 4's instance (PAPER.md section 2.6): the same
// cluster and daily cycle, but nodes in one datacenter, a lighter load, and
// buffered writes, since "storage engine caches and write buffer have good
// hit ratios" [B:L1794-1806].
func table2Setup(scale Scale) latencySetup {
	s := fig4Setup()
	s.Peak = 1000
	s.Hour = 3 * time.Second
	if scale == Full {
		s.Hour = 8 * time.Second
	}
	s.Buffered = true
	// Mean 0.56ms one way, 99.9th percentile about 24ms: one datacenter,
	// mostly fast, with the rare retransmission or pause.
	s.Net = sim.Dist{Kind: "lognormal", Min: 100 * time.Microsecond, Scale: 90 * time.Microsecond, Sigma: 1.8, Max: time.Second}
	// Mean 1ms each way, 99.9th percentile about 41ms: a load balancer's
	// own queueing and its occasional stall.
	s.Balancer = sim.Dist{Kind: "lognormal", Min: 300 * time.Microsecond, Scale: 115 * time.Microsecond, Sigma: 1.9, Max: time.Second}
	return s
}

// table2Arm is one row of the table: p99.9 read, p99.9 write, avg read, avg
// write (ms), and what the run did.
type table2Arm struct {
	Routing sim.Routing
	Cells   [4]float64
	Run     *latHourly
}

type table2Data struct {
	Setup          latencySetup
	Server, Client table2Arm
}

func runTable2(scale Scale, seed uint64, progress func(done, total int)) (*Result, *table2Data, error) {
	setup := table2Setup(scale)
	runSeed := latSeed(seed, 0)
	arms, err := runParallel(2, func(i int) (table2Arm, error) {
		s := setup
		s.Routing = sim.ServerDriven
		if i == 1 {
			s.Routing = sim.ClientDriven
		}
		h, err := latRunHourly(s.config(runSeed, 24), s.Hour, 24)
		if err != nil {
			return table2Arm{}, err
		}
		gets, puts := latPooled(h.Hours, false), latPooled(h.Hours, true)
		return table2Arm{Routing: s.Routing, Run: h,
			Cells: [4]float64{latP999(gets), latP999(puts), latMean(gets), latMean(puts)}}, nil
	}, progress)
	if err != nil {
		return nil, nil, err
	}
	d := &table2Data{Setup: setup, Server: arms[0], Client: arms[1]}

	r := &Result{
		Name:  "table2",
		Title: "Client-driven against server-driven coordination: averages and 99.9th percentiles of reads and writes (Table 2)",
		Seed:  seed,
		Scale: scale,
	}
	params := latSetParam(setup.params(), Param{"routing", "two arms with the same seed (the same arrivals): server (a load balancer sends each request to a random node, which coordinates a get and forwards a put to one of the key's top N, preferring the fastest replier of the client's last read) and client (the client library sends a get to a random one of the key's top N and a put to the fastest replier of its last read, else the first of the top N)", false})
	r.Params = append(params,
		Param{"instance", "Table 2's own, not Figure 4's (its averages are 2-4 ms against Figure 4's 11-31 ms): one datacenter, half Figure 4's peak rate, buffered writes", true},
		Param{"measured", "every acknowledged operation of one paper day, pooled; exact nearest-rank p99.9", false},
		Param{"client membership view", "not modelled: the simulator's client-driven routing reads the current ring, which never changes in these runs (no joins, leaves or crashes), so no request is routed on a stale view; the paper's clients poll a random node every 10 s", true},
	)
	r.Columns = []string{"coordination", "source", "p999_read_ms", "p999_write_ms", "avg_read_ms", "avg_write_ms"}
	row := func(name, src string, c [4]float64) []string {
		return []string{name, src, latMs(c[0]), latMs(c[1]), latMs(c[2]), latMs(c[3])}
	}
	r.Rows = [][]string{
		row("Server-driven", "paper", table2Paper.Server),
		row("Server-driven", "ours", d.Server.Cells),
		row("Client-driven", "paper", table2Paper.Client),
		row("Client-driven", "ours", d.Client.Cells),
	}
	for _, f := range []struct {
		name, title string
		first       int
	}{
		{"p999", "Table 2: 99.9th-percentile latencies", 0},
		{"avg", "Table 2: average latencies", 2},
	} {
		fig, err := table2Bars(f.title, f.first, d)
		if err != nil {
			return nil, nil, err
		}
		r.Figures = append(r.Figures, Figure{Name: f.name, Plot: fig})
	}
	r.Compare = table2Compare(d)
	r.Notes = table2Notes(d)
	return r, d, nil
}

// table2Bars draws the columns first and first+1 of the table (reads and
// writes) as grouped bars, the paper's beside ours.
func table2Bars(title string, first int, d *table2Data) (*plot.Plot, error) {
	p := NewPlot(title+", paper and simulated", "", "latency (ms)")
	p.NominalX("reads", "writes")
	w := vg.Points(22)
	bars := []struct {
		label string
		cells [4]float64
	}{
		{"server-driven (paper)", table2Paper.Server},
		{"server-driven (ours)", d.Server.Cells},
		{"client-driven (paper)", table2Paper.Client},
		{"client-driven (ours)", d.Client.Cells},
	}
	top := 0.0
	for i, b := range bars {
		vals := plotter.Values{b.cells[first], b.cells[first+1]}
		top = math.Max(top, math.Max(vals[0], vals[1]))
		bc, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return nil, err
		}
		bc.Color = Palette[[]int{0, 0, 1, 1}[i]]
		bc.LineStyle.Width = vg.Points(0.5)
		if i%2 == 0 {
			// The paper's bars are drawn lighter.
			bc.Color = latLighten(bc.Color)
		}
		bc.Offset = w * (vg.Length(i) - 1.5)
		p.Add(bc)
		p.Legend.Add(b.label, bc)
	}
	p.Y.Min, p.Y.Max = 0, top*1.6
	p.X.Min, p.X.Max = -0.6, 1.6
	return p, nil
}

func table2Compare(d *table2Data) []Comparison {
	s, c := d.Server.Cells, d.Client.Cells
	names := []string{"99.9th percentile read", "99.9th percentile write", "average read", "average write"}
	var out []Comparison
	for _, arm := range []struct {
		name        string
		paper, ours [4]float64
	}{{"server-driven", table2Paper.Server, s}, {"client-driven", table2Paper.Client, c}} {
		for i, n := range names {
			ratio := arm.ours[i] / arm.paper[i]
			out = append(out, Comparison{Claim: arm.name + ", " + n, Paper: arm.paper[i], Ours: arm.ours[i], Unit: "ms",
				Holds: ratio >= 0.5 && ratio <= 2,
				Note:  "Table 2 [B:L1808-1833]; holds within a factor of 2 (absolute values rest on the assumed network and load balancer)"})
		}
	}
	lower := true
	for i := range 4 {
		lower = lower && c[i] < s[i]
	}
	gainP999 := math.Min(s[0]-c[0], s[1]-c[1])
	gainAvgR, gainAvgW := s[2]-c[2], s[3]-c[3]
	out = append(out,
		Comparison{Claim: "client-driven is lower than server-driven at the average and the 99.9th percentile, for reads and writes", Paper: math.NaN(), Ours: latBool(lower), Unit: "",
			Holds: lower, Note: "the issue's shape test; 1 means all four cells are lower"},
		Comparison{Claim: "client-driven reduces the latencies by at least 30 milliseconds for 99.9th percentile latencies (the smaller of the read and write gains)", Paper: 38.1, Ours: gainP999, Unit: "ms",
			Holds: gainP999 >= 30, Note: "quoted [B:L1794-1806]; the paper's number is the smaller of its table's gains, 38.5 ms (reads) and 38.1 ms (writes)"},
		Comparison{Claim: "and decreases the average by 3 to 4 milliseconds (reads)", Paper: 3.9 - 1.55, Ours: gainAvgR, Unit: "ms",
			Holds: latInBand(gainAvgR, 3, 4), Note: "quoted prose; the paper's own table gives 2.35 ms, not 3-4 (PAPER.md section 0.1 item 3); holds inside the prose's 3-4 ms"},
		Comparison{Claim: "and decreases the average by 3 to 4 milliseconds (writes)", Paper: 4.02 - 1.9, Ours: gainAvgW, Unit: "ms",
			Holds: latInBand(gainAvgW, 3, 4), Note: "quoted prose; the paper's own table gives 2.12 ms, not 3-4 (PAPER.md section 0.1 item 3); holds inside the prose's 3-4 ms"},
		Comparison{Claim: "the gain is much larger at the 99.9th percentile than in the averages (read gain at p99.9 over read gain on average)", Paper: (68.9 - 30.4) / (3.9 - 1.55), Ours: (s[0] - c[0]) / gainAvgR, Unit: "x",
			Holds: (s[0]-c[0])/gainAvgR >= 5, Note: "from the table's numbers; holds at 5x or more"},
	)
	return out
}

func table2Notes(d *table2Data) []string {
	s, c := d.Server, d.Client
	fwd := func(h *latHourly) float64 { return 100 * float64(h.Forwarded) / float64(max(1, h.Puts)) }
	return []string{
		fmt.Sprintf("What to look at: every cell of the client-driven row is below the server-driven one, and the gap is far larger at the 99.9th "+
			"percentile (%.1f and %.1f ms) than in the averages (%.2f and %.2f ms), as in the paper.", s.Cells[0]-c.Cells[0], s.Cells[1]-c.Cells[1], s.Cells[2]-c.Cells[2], s.Cells[3]-c.Cells[3]),
		fmt.Sprintf("Why: a server-driven request crosses the load balancer twice (its delay is the assumed %s each way) and is coordinated by a random "+
			"node, which for a get is rarely a replica (it waits for 2 of 3 remote replies instead of its own and 1 of 2 remote ones) and for a put is "+
			"rarely an owner (%.0f%% of server-driven puts were forwarded to a replica, one more round trip; %.0f%% of client-driven puts were). The "+
			"load balancer's tail adds to the 99.9th percentile most, as the paper says it does.", d.Setup.Balancer, fwd(s.Run), fwd(c.Run)),
		"Where we differ: the paper's \"3 to 4 milliseconds\" of average gain is not what its own table says (2.35 and 2.12 ms); ours is set by the " +
			"assumed load balancer delay, and our server-driven writes cost more than its reads because the forward to an owner is a full extra hop, " +
			"which the paper's equal read and write columns do not show. Membership staleness is not modelled: the simulated clients read the current " +
			"ring, and the ring never changes in these runs, so the count of requests routed on a stale view is zero by construction (the paper's " +
			"clients poll every 10 s and can be up to 10 s behind).",
		fmt.Sprintf("Runs: %d nodes, peak %g arrivals/s over one paper day (one hour = %s simulated), buffered writes; server-driven %d operations "+
			"(%d failed), client-driven %d (%d failed).", d.Setup.Nodes, d.Setup.Peak, d.Setup.Hour, s.Run.Ops, s.Run.Failed, c.Run.Ops, c.Run.Failed),
	}
}

func latBool(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
