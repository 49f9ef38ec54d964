package experiments

import (
	"fmt"
	"math"
	"time"

	"github.com/dynamo-replay/dynamo/checks"
	"github.com/dynamo-replay/dynamo/sim"
)

func init() {
	Register(Experiment{
		Name:  "fig5",
		Title: "99.9th-percentile write latency over 24 hours, buffered against direct writes (Figure 5)",
		Run: func(scale Scale, seed uint64, progress func(done, total int)) (*Result, error) {
			r, _, err := runFig5(scale, seed, progress)
			return r, err
		},
	})
}

// fig5Hour is the simulated length of a paper hour: Figure 4's at quick scale;
// at full scale four times longer, so that each hour's p99.9 rests on four
// times as many writes (the rate, and so every latency, is the same).
func fig5Hour(scale Scale) time.Duration {
	if scale == Full {
		return 20 * time.Second
	}
	return fig4Setup().Hour
}

// fig5Crash is the extra run that counts the writes buffering loses: peak
// load without a daily cycle, crashes at random times.
type fig5Crash struct {
	Span         time.Duration
	CrashesAsked int
	Crashes      uint64
	Acked, Lost  int
	LostExamples []string
	Converged    bool
}

type fig5Data struct {
	Setup                 latencySetup
	Direct, Buffered      *latHourly
	P999Direct, P999Buf   []float64
	AvgDirect, AvgBuf     []float64
	PeakDirect, PeakBuf   float64 // p99.9 over the peak hours (10:00-14:00)
	NightDirect, NightBuf float64 // p99.9 over the trough hours (22:00-02:00)
	// PeakHourFactor is the largest, over the peak hours, of an hour's direct
	// p99.9 over its buffered p99.9.
	PeakHourFactor float64
	Crash          fig5Crash
}

func runFig5(scale Scale, seed uint64, progress func(done, total int)) (*Result, *fig5Data, error) {
	setup := fig4Setup()
	setup.Hour = fig5Hour(scale)
	crashSpan, crashes := 20*time.Second, 8
	if scale == Full {
		crashSpan, crashes = 60*time.Second, 24
	}
	// Job 0: direct; job 1: buffered; same seed, so the same arrivals. Job
	// 2: the crash run.
	type out struct {
		h     *latHourly
		crash fig5Crash
	}
	runSeed := latSeed(seed, 0)
	res, err := runParallel(3, func(i int) (out, error) {
		switch i {
		case 0, 1:
			s := setup
			s.Buffered = i == 1
			h, err := latRunHourly(s.config(runSeed, 24), s.Hour, 24)
			return out{h: h}, err
		}
		c, err := fig5CrashRun(setup, latSeed(seed, 1), crashSpan, crashes)
		return out{crash: c}, err
	}, progress)
	if err != nil {
		return nil, nil, err
	}
	d := &fig5Data{Setup: setup, Direct: res[0].h, Buffered: res[1].h, Crash: res[2].crash}
	d.P999Direct = latSeries(d.Direct.Hours, true, latP999)
	d.P999Buf = latSeries(d.Buffered.Hours, true, latP999)
	d.AvgDirect = latSeries(d.Direct.Hours, true, latMean)
	d.AvgBuf = latSeries(d.Buffered.Hours, true, latMean)
	d.PeakDirect = latP999(latGroup(d.Direct.Hours, latPeakHours, true))
	d.PeakBuf = latP999(latGroup(d.Buffered.Hours, latPeakHours, true))
	d.NightDirect = latP999(latGroup(d.Direct.Hours, latTroughHours, true))
	d.NightBuf = latP999(latGroup(d.Buffered.Hours, latTroughHours, true))
	for _, h := range latPeakHours {
		d.PeakHourFactor = math.Max(d.PeakHourFactor, d.P999Direct[h]/d.P999Buf[h])
	}

	r := &Result{
		Name:  "fig5",
		Title: "99.9th-percentile write latency over 24 hours, buffered against direct writes (Figure 5)",
		Seed:  seed,
		Scale: scale,
	}
	r.Params = append(latSetParam(setup.params(), Param{"buffered writes", "both arms, see arms", false}),
		Param{"arms", "direct (every replica logs a put before acknowledging) and buffered (an object buffer of 1000 objects flushed every 100ms or when full; one replica, chosen at random by the coordinator, logs durably before acknowledging; the coordinator waits for W acknowledgements either way); the same seed, so the same arrivals", false},
		Param{"buffer", "1000 objects, flushed every 100ms (core defaults; the paper gives the size, not the period)", true},
		Param{"interval", "one paper hour; p99.9 is the exact nearest-rank 99.9th percentile of the hour's acknowledged puts", true},
		Param{"days", "one paper day from midnight (the trough)", false},
		Param{"crash run", fmt.Sprintf("buffered writes at the peak rate without a daily cycle for %s of simulated time, %d node crashes asked for at uniformly random times (each down 100ms-1s; crashes that would land after the load are skipped), then a quiet period of up to 20s for hinted handoff and anti-entropy; lost writes counted by checks.NoLostWrites on that run only", crashSpan, crashes), true},
	)
	r.Columns = []string{"hour", "puts_direct", "puts_buffered", "p999_direct_ms", "p999_buffered_ms", "avg_direct_ms", "avg_buffered_ms"}
	for h := range 24 {
		r.Rows = append(r.Rows, []string{fmt.Sprint(h),
			fmt.Sprint(len(d.Direct.Hours[h].Puts)), fmt.Sprint(len(d.Buffered.Hours[h].Puts)),
			latMs(d.P999Direct[h]), latMs(d.P999Buf[h]), latMs(d.AvgDirect[h]), latMs(d.AvgBuf[h])})
	}
	p := NewPlot("Figure 5: 99.9th percentile of write latency, buffered vs direct (simulated)",
		"Timeline (paper hours; one hour = "+setup.Hour.String()+" simulated)", "99.9th percentile response times (msec)")
	// The paper's axis is 0-200 ms; ours grows past it when our direct
	// writes do, rather than cut the curve off.
	top := 200.0
	for _, y := range append(append([]float64(nil), d.P999Direct...), d.P999Buf...) {
		if !math.IsNaN(y) {
			top = math.Max(top, 100*math.Ceil(y/100))
		}
	}
	p.Y.Min, p.Y.Max = 0, top
	p.X.Min, p.X.Max = 0, 24
	p.X.Tick.Marker = latHourTicks(24, 1, 2)
	p.Legend.Left = false
	xs := make([]float64, 24)
	for i := range xs {
		xs[i] = float64(i) + 0.5
	}
	if err := AddLine(p, "direct BDB writes", xs, d.P999Direct, 0, false); err != nil {
		return nil, nil, err
	}
	if err := AddLine(p, "buffered writes", xs, d.P999Buf, 1, true); err != nil {
		return nil, nil, err
	}
	r.Figures = []Figure{{Plot: p}}
	r.Compare = fig5Compare(d)
	r.Notes = fig5Notes(d)
	return r, d, nil
}

// fig5CrashRun runs buffered writes at the peak rate with crashes and counts
// the acknowledged writes that did not survive.
func fig5CrashRun(setup latencySetup, seed uint64, span time.Duration, crashes int) (fig5Crash, error) {
	s := setup
	s.Buffered = true
	cfg := s.config(seed, 24)
	cfg.Workload.Diurnal = sim.Diurnal{}
	cfg.Workload.Ops = int(s.Peak * span.Seconds() * s.opsPerArrival())
	cfg.Faults.Crashes = crashes
	cfg.Quiet = 20 * time.Second
	run, err := sim.New(cfg)
	if err != nil {
		return fig5Crash{}, err
	}
	res, err := run.Run()
	if err != nil {
		return fig5Crash{}, err
	}
	c := fig5Crash{Span: span, CrashesAsked: crashes, Crashes: res.Stats.Crashes, Converged: res.Converged}
	for _, op := range res.History.Ops {
		if op.Kind != checks.Get && op.Outcome == checks.Ok {
			c.Acked++
		}
	}
	f := checks.NoLostWrites(res.History)
	c.Lost = f.Count
	if m := f.Messages(); len(m) > 0 {
		c.LostExamples = m[:min(3, len(m))]
	}
	return c, nil
}

func fig5Compare(d *fig5Data) []Comparison {
	peak := d.PeakDirect / d.PeakBuf
	night := d.NightDirect / d.NightBuf
	return []Comparison{
		{Claim: "buffering lowers the 99.9th percentile latency by a factor of 5 during peak traffic (peak hours pooled)", Paper: 5, Ours: peak, Unit: "x",
			Holds: peak >= 2, Note: "quoted [B:L1492-1495]; the figure itself reads 2-3x at the spikes (DIGITIZED, PAPER.md section 0.1 item 5); holds at 2x or more (the issue's shape test)"},
		{Claim: "peak-hour reduction factor (the largest hourly direct/buffered ratio, 10:00-14:00)", Paper: 190.0 / 65, Ours: d.PeakHourFactor, Unit: "x",
			Holds: d.PeakHourFactor >= 2, Note: "DIGITIZED: direct spikes to ~190 ms against buffered ~60-65 ms"},
		{Claim: "direct writes, p99.9 at peak (10:00-14:00)", Paper: 111, Ours: d.PeakDirect, Unit: "ms",
			Holds: latInBand(d.PeakDirect, 95, 190), Note: "DIGITIZED: typically 95-127 ms, spikes to ~190; holds inside 95-190 ms"},
		{Claim: "buffered writes, p99.9 at peak (10:00-14:00)", Paper: 62.5, Ours: d.PeakBuf, Unit: "ms",
			Holds: latInBand(d.PeakBuf, 55, 88), Note: "DIGITIZED: typically 60-65 ms, at most ~85-88; holds inside 55-88 ms"},
		{Claim: "at night the two curves coincide (p99.9 direct/buffered, 22:00-02:00)", Paper: 45.0 / 40, Ours: night, Unit: "x",
			Holds: night <= 1.3, Note: "DIGITIZED: both ~35-45 ms at night; holds at 1.3x or less"},
		{Claim: "direct writes, p99.9 at night (22:00-02:00)", Paper: 45, Ours: d.NightDirect, Unit: "ms",
			Holds: latInBand(d.NightDirect, 35, 60), Note: "DIGITIZED: 40-48 ms, one early spike ~60"},
		{Claim: "a server crash can result in missing writes that were queued up in the buffer (acknowledged writes lost in the crash run)", Paper: math.NaN(), Ours: float64(d.Crash.Lost), Unit: "writes",
			Holds: true, Note: fmt.Sprintf("not measured in the paper; with the durable replica, %d crashes lost %d of %d acknowledged writes (the paper's mitigation is what this counts)", d.Crash.Crashes, d.Crash.Lost, d.Crash.Acked)},
	}
}

func fig5Notes(d *fig5Data) []string {
	s := d.Setup
	notes := []string{
		fmt.Sprintf("What to look at: at night the two curves are at their closest (%.0f ms direct, %.0f ms buffered over 22:00-02:00); from the morning ramp the "+
			"direct curve climbs with the load while the buffered one stays where it was, so that over the peak hours direct is %.1fx buffered "+
			"(%.0f ms against %.0f ms; the worst single peak hour %.1fx).",
			d.NightDirect, d.NightBuf, d.PeakDirect/d.PeakBuf, d.PeakDirect, d.PeakBuf, d.PeakHourFactor),
		"Why: with direct writes a put waits for W=2 of its N=3 replicas to log it, and each replica's disk completes writes in order, so a slow sync " +
			"holds back the writes queued behind it; at the peak more writes queue behind every slow one. With the buffer two of the three replicas " +
			"acknowledge from memory, so a put needs no disk at all: its p99.9 is the network's, the same at any load. The durable replica still logs, " +
			"but the coordinator never waits for it (section 6.1).",
		fmt.Sprintf("Where we differ: the paper's absolute numbers (40-190 ms) are below Figure 4's, so its Figure 5 instance was lighter than Figure 4's; "+
			"we use Figure 4's cluster and load for both, as the spec says, so our direct curve sits higher than the paper's (peak %.0f ms, night %.0f ms; "+
			"the y axis grows past the paper's 200 ms to show it). Our buffered curve is the network's tail, "+
			"the same as a read's, which is higher than the paper's 35-65 ms because our network's tail is long enough to give Figure 4's reads their p99.9. "+
			"At night our direct writes stay above the buffered ones, where the paper's coincide: the simulated disk has no utilisation (a write's "+
			"latency is drawn, not served in turn), so its own long tail shows at any load and only the queueing behind slow writes grows with it.",
			d.PeakDirect, d.NightDirect),
		fmt.Sprintf("The cost of buffering, which the paper names but does not measure: in a run of %s at the peak rate with %d node crashes, "+
			"%d of %d acknowledged writes were lost (checks.NoLostWrites; replicas converged after the run: %v). A crash empties that node's buffer, "+
			"but every acknowledged write is also in the memory of another replica, which flushes it, and on the disk of the durable replica; "+
			"losing one takes the crash of every replica that holds it before any of them has flushed, which independent crashes of one node "+
			"at a time do not produce. A correlated failure (a rack or a datacenter losing power) is what would.",
			d.Crash.Span, d.Crash.Crashes, d.Crash.Lost, d.Crash.Acked, d.Crash.Converged),
		fmt.Sprintf("Peak rate %g arrivals/s, %d nodes, one paper hour = %s simulated; direct run %d operations (%d failed), buffered %d (%d failed).",
			s.Peak, s.Nodes, s.Hour, d.Direct.Ops, d.Direct.Failed, d.Buffered.Ops, d.Buffered.Failed),
	}
	if len(d.Crash.LostExamples) > 0 {
		notes = append(notes, "Lost writes, for example: "+fmt.Sprint(d.Crash.LostExamples))
	}
	return notes
}
