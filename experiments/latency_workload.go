package experiments

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"time"

	"github.com/dynamo-replay/dynamo/checks"
	"github.com/dynamo-replay/dynamo/sim"
	"gonum.org/v1/plot"
)

// latencySetup is the cluster, hardware model and diurnal workload shared by
// Figure 4, Figure 5 and Table 2. The paper withholds its hardware, its
// latencies and its request rates (section 1), so every field here is an
// assumption except N, R, W.
//
// Time is compressed: one paper hour is Hour of simulated time, and one paper
// day 24 of them, over which the open-loop rate follows sim.Diurnal from Low
// times Peak at midnight to Peak at noon. What sets the latencies is how busy
// a node's disk is (writes per second times the disk's latency scale), not how
// long an hour lasts, so an hour only has to be long against the disk's queue
// (hundreds of milliseconds) and hold enough requests for an exact 99.9th
// percentile.
type latencySetup struct {
	Nodes   int
	N, R, W int
	// Peak is the open-loop arrival rate at the daily peak (arrivals per
	// simulated second; a read-modify-write arrival issues a get and a put).
	Peak float64
	Low  float64
	Hour time.Duration
	Keys int
	Zipf float64
	// GetFrac and RMWFrac split arrivals; the rest are blind puts.
	GetFrac, RMWFrac float64
	Net, Disk        sim.Dist
	Balancer         sim.Dist // server-driven only
	Routing          sim.Routing
	Buffered         bool
	// Timeout is the coordinators' request timeout: long enough that the
	// tail is measured rather than cut off by failures.
	Timeout time.Duration
}

// fig4Setup is the production-like cluster of Figures 4 and 5: (3,2,2),
// server-driven coordination (the paper's Dec 2006 system predates the
// client-driven change of section 6.4), a long-tailed wide-area-ish network
// and a long-tailed disk whose in-order completions make writes queue behind
// slow ones, more often the busier the node.
func fig4Setup() latencySetup {
	return latencySetup{
		Nodes: 20, N: 3, R: 2, W: 2,
		Peak: 2000, Low: 1.0 / 8, Hour: 5 * time.Second,
		Keys: 100_000, Zipf: 0.5,
		GetFrac: 0.3, RMWFrac: 0.6,
		// Median 2ms one way, mean 3.6ms, 99.9th percentile about 60ms:
		// nodes spread over datacenters, with the odd slow message.
		Net: sim.Dist{Kind: "lognormal", Min: 500 * time.Microsecond, Scale: 1500 * time.Microsecond, Sigma: 1.2, Max: time.Second},
		// Median 2.5ms, mean 7.4ms, 99.9th percentile about 290ms: a BDB
		// write and sync, now and then stalled (a checkpoint, a seek storm).
		Disk:     sim.Dist{Kind: "lognormal", Min: time.Millisecond, Scale: 1500 * time.Microsecond, Sigma: 1.6, Max: 2 * time.Second},
		Balancer: sim.Dist{Kind: "const"},
		Routing:  sim.ServerDriven,
		Timeout:  2 * time.Second,
	}
}

// opsPerArrival is how many client operations one arrival issues on average.
func (s latencySetup) opsPerArrival() float64 { return 1 + s.RMWFrac }

// putShare is the fraction of client operations that are writes.
func (s latencySetup) putShare() float64 {
	return (1 - s.GetFrac) / s.opsPerArrival()
}

// peakDiskWrites is the durable writes per node per simulated second at the
// peak with direct writes: every put is logged at N replicas.
func (s latencySetup) peakDiskWrites() float64 {
	return s.Peak * (1 - s.GetFrac) * float64(s.N) / float64(s.Nodes)
}

// config is one run of hours paper-hours from the trough (midnight).
func (s latencySetup) config(seed uint64, hours float64) sim.Config {
	cfg := sim.DefaultConfig(seed)
	cfg.Nodes, cfg.N, cfg.R, cfg.W = s.Nodes, s.N, s.R, s.W
	cfg.Routing = s.Routing
	cfg.Buffered = s.Buffered
	w := &cfg.Workload
	w.Clients = 1
	w.Keys, w.Zipf = s.Keys, s.Zipf
	w.GetFraction, w.RMWFraction, w.DeleteFraction = s.GetFrac, s.RMWFrac, 0
	w.OpenLoopRate = s.Peak
	w.Diurnal = sim.Diurnal{Period: 24 * s.Hour, Low: s.Low}
	// The budget ends the load phase: the expected operations of the span,
	// plus a margin so that the span is always covered (operations past it
	// are not measured).
	span := hours * float64(s.Hour) / 1e9
	w.Ops = int(math.Ceil(s.Peak*s.meanFactor(hours)*span*s.opsPerArrival()*1.03)) + 1000
	cfg.Net.Latency = s.Net
	cfg.Net.Balancer = s.Balancer
	cfg.Net.Loss, cfg.Net.Duplicate, cfg.Net.Reorder = 0, 0, 0
	cfg.Disk.Latency = s.Disk
	cfg.Clocks = sim.Clocks{}
	cfg.Quiet = 0
	cfg.RequestTimeout = s.Timeout
	return cfg
}

// meanFactor is the mean of the diurnal rate factor over the first hours
// paper-hours (whole days average (1+Low)/2).
func (s latencySetup) meanFactor(hours float64) float64 {
	const steps = 1000
	sum := 0.0
	for i := range steps {
		ph := (float64(i) + 0.5) / steps * hours / 24
		sum += s.Low + (1-s.Low)*(1-math.Cos(2*math.Pi*ph))/2
	}
	return sum / steps
}

// params lists the setup for the CSV header.
func (s latencySetup) params() []Param {
	return []Param{
		{"nodes", fmt.Sprint(s.Nodes), true},
		{"N,R,W", fmt.Sprintf("%d,%d,%d", s.N, s.R, s.W), false},
		{"routing", string(s.Routing), true},
		{"buffered writes", fmt.Sprint(s.Buffered), false},
		{"time compression", fmt.Sprintf("one paper hour = %s of simulated time (one day = %s); the rate's daily cycle is compressed, not the latencies", s.Hour, 24*s.Hour), true},
		{"peak arrival rate", fmt.Sprintf("%g/s open loop (Poisson, thinned to a raised-cosine daily cycle)", s.Peak), true},
		{"trough/peak rate", fmt.Sprintf("%g (borrowed from section 6.2's figure 6)", s.Low), true},
		{"operation mix", fmt.Sprintf("%.2f gets, %.2f read-modify-writes (get then put with its context, the shopping cart), %.2f blind puts, per arrival; %.0f%% of operations are puts", s.GetFrac, s.RMWFrac, 1-s.GetFrac-s.RMWFrac, 100*s.putShare()), true},
		{"peak disk writes per node", fmt.Sprintf("%.0f/s with direct writes", s.peakDiskWrites()), false},
		{"keys", fmt.Sprintf("%d, Zipf exponent %g", s.Keys, s.Zipf), true},
		{"network one-way latency", s.Net.String(), true},
		{"disk write+sync latency", s.Disk.String() + "; a node's writes complete in order, so a slow one holds back the ones behind it", true},
		{"load balancer delay each way", latBalancerText(s.Balancer), true},
		{"message loss, duplication, reordering", "none", true},
		{"request timeout", s.Timeout.String() + " (the paper gives none; long enough that the tail is measured, not cut off by failures; a peer silent for 500ms is still taken for down)", true},
		{"reads", "served from memory: the simulator models no read cache misses and no CPU", true},
		{"warm-up", "none needed: every run starts at the daily trough with idle disks", false},
	}
}

// latHourly is one run's per-paper-hour latencies, and what the run did.
type latHourly struct {
	Hours []Interval
	Stats sim.Stats
	Ops   int
	Wall  time.Duration
	// Failed counts operations of the measured span that did not succeed.
	Failed int
	// Puts counts the acknowledged writes of the span, Forwarded those
	// coordinated by another node than the one the client sent them to.
	Puts, Forwarded int
}

// latRunHourly runs one configuration and buckets its acknowledged operations by
// paper hour from the start.
func latRunHourly(cfg sim.Config, hour time.Duration, hours int) (*latHourly, error) {
	res, err := sim.Run(cfg)
	if err != nil {
		return nil, err
	}
	ops := res.History.Ops[:res.LoadOps]
	end := int64(hours) * int64(hour)
	h := &latHourly{Hours: ByInterval(ops, 0, int64(hour), hours), Stats: res.Stats, Wall: res.Wall}
	for _, op := range ops {
		if op.Call < end {
			h.Ops++
			if op.Outcome != checks.Ok {
				h.Failed++
			} else if op.Kind != checks.Get {
				h.Puts++
				if op.Node != op.Coordinator {
					h.Forwarded++
				}
			}
		}
	}
	if last := h.Hours[hours-1]; len(last.Gets)+len(last.Puts) == 0 {
		return nil, fmt.Errorf("seed %d: the operation budget ran out before hour %d", cfg.Seed, hours)
	}
	return h, nil
}

// latSeed derives the seed of run i of an experiment (splitmix64), so that
// runs are independent and all follow from the one seed.
func latSeed(seed uint64, i int) uint64 {
	z := seed + uint64(i+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// latSeries computes one statistic per hour.
func latSeries(hours []Interval, puts bool, f func([]int64) float64) []float64 {
	out := make([]float64, len(hours))
	for i, h := range hours {
		xs := h.Gets
		if puts {
			xs = h.Puts
		}
		out[i] = f(xs)
	}
	return out
}

func latMean(xs []int64) float64 { return MeanMs(xs) }
func latP999(xs []int64) float64 { return QuantileMs(xs, 0.999) }

// latPooled concatenates the latencies of many intervals.
func latPooled(hours []Interval, puts bool) []int64 {
	var out []int64
	for _, h := range hours {
		if puts {
			out = append(out, h.Puts...)
		} else {
			out = append(out, h.Gets...)
		}
	}
	return out
}

func latMs(x float64) string { return fmt.Sprintf("%.2f", x) }

// latHourTicks marks the x axis every step hours from 0 to total, labelling
// every label hours.
func latHourTicks(total, step, label int) plot.ConstantTicks {
	var ts plot.ConstantTicks
	for h := 0; h <= total; h += step {
		t := plot.Tick{Value: float64(h)}
		if h%label == 0 {
			t.Label = fmt.Sprint(h)
		}
		ts = append(ts, t)
	}
	return ts
}

// latPearson is the correlation coefficient of xs and ys, skipping pairs with a
// NaN (NaN with fewer than three pairs or no variance).
func latPearson(xs, ys []float64) float64 {
	var n, sx, sy, sxx, syy, sxy float64
	for i := range xs {
		if math.IsNaN(xs[i]) || math.IsNaN(ys[i]) {
			continue
		}
		n++
		sx += xs[i]
		sy += ys[i]
		sxx += xs[i] * xs[i]
		syy += ys[i] * ys[i]
		sxy += xs[i] * ys[i]
	}
	if n < 3 {
		return math.NaN()
	}
	cov := sxy/n - sx/n*sy/n
	vx, vy := sxx/n-sx/n*sx/n, syy/n-sy/n*sy/n
	if vx <= 0 || vy <= 0 {
		return math.NaN()
	}
	return cov / math.Sqrt(vx*vy)
}

// latMedian is the median of the non-NaN values of xs (NaN if none).
func latMedian(xs []float64) float64 {
	var v []float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return math.NaN()
	}
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// Peak and trough hours of a paper day: the rate peaks at noon and bottoms
// out at midnight.
var (
	latPeakHours   = []int{10, 11, 12, 13}
	latTroughHours = []int{22, 23, 0, 1}
)

// latGroup pools one day's latencies over some of its hours.
func latGroup(day []Interval, hours []int, puts bool) []int64 {
	var out []int64
	for _, h := range hours {
		if puts {
			out = append(out, day[h].Puts...)
		} else {
			out = append(out, day[h].Gets...)
		}
	}
	return out
}

func latInBand(x, lo, hi float64) bool { return x >= lo && x <= hi }

func latMin(xs []float64) float64 {
	m := math.Inf(1)
	for _, x := range xs {
		m = math.Min(m, x)
	}
	return m
}

func latMax(xs []float64) float64 {
	m := math.Inf(-1)
	for _, x := range xs {
		m = math.Max(m, x)
	}
	return m
}

// latLighten mixes a colour half-way to white.
func latLighten(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	mix := func(x uint32) uint8 { return uint8((x>>8 + 255) / 2) }
	return color.RGBA{mix(r), mix(g), mix(b), 255}
}

func latBalancerText(d sim.Dist) string {
	if d.Kind == "" || (d.Kind == "const" && d.Min == 0 && d.Scale == 0) {
		return "none"
	}
	return d.String() + " (server-driven requests only)"
}

// latSetParam replaces the parameter of the same name, or appends p.
func latSetParam(ps []Param, p Param) []Param {
	for i := range ps {
		if ps[i].Name == p.Name {
			ps[i] = p
			return ps
		}
	}
	return append(ps, p)
}
