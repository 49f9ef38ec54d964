package experiments

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/dynamo-replay/dynamo/checks"
	"github.com/dynamo-replay/dynamo/sim"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Probabilistically bounded staleness (Bailis et al., VLDB 2012), measured
// from the simulator's global view: the history says when every write
// committed (its Return) and which values every read returned, and the unique
// values with their Covers give the order of a key's versions.
//
// Two driven workloads per (N,R,W), each with one writer per key that writes
// sequentially with contexts (read-modify-writes), so that a key's versions
// form a chain:
//
//   - visibility: after each acknowledged write, one probe read of its key
//     starts exactly t after the write's Return, t taken in turn from a grid;
//     the writer writes again only after the probe answered. One probe per
//     write, so that no probe's read repair helps another.
//   - staleness: writers write back to back while readers read random keys
//     continuously; every read is classed by how many versions behind the
//     newest committed one it is.

func init() {
	Register(Experiment{
		Name:  "pbs",
		Title: "Probabilistically bounded staleness: t-visibility and k-staleness for (N,R,W) = (3,1,1), (3,1,2), (3,2,1), (3,2,2)",
		Run:   runPBS,
	})
}

type pbsSetting struct{ N, R, W int }

func (s pbsSetting) String() string { return fmt.Sprintf("(%d,%d,%d)", s.N, s.R, s.W) }

var pbsSettings = []pbsSetting{{3, 1, 1}, {3, 1, 2}, {3, 2, 1}, {3, 2, 2}}

// pbsGridMs is where t-visibility is measured, in milliseconds after commit.
var pbsGridMs = []float64{0, 1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100}

const pbsMaxK = 5

// pbsLatency is the one-way message delay (node to node and client to node):
// a long-tailed lognormal with a median of 1.1ms whose tail is far longer
// than the disk's, so that a write's messages to the replicas that are not
// in its write quorum often arrive after the write commits, and reads race
// them.
var pbsLatency = sim.Dist{Kind: "lognormal", Min: 100 * time.Microsecond, Scale: 500 * time.Microsecond, Sigma: 2, Max: 200 * time.Millisecond}

type pbsScale struct {
	keys       int           // keys, each with its own writer (and, for visibility, its own prober)
	probesPerT int           // probe reads per grid point and setting
	staleFor   time.Duration // virtual duration of the staleness workload's load
	readers    int           // readers of the staleness workload
}

func pbsScaleFor(scale Scale) pbsScale {
	if scale == Full {
		return pbsScale{keys: 20, probesPerT: 3000, staleFor: 60 * time.Second, readers: 20}
	}
	return pbsScale{keys: 20, probesPerT: 600, staleFor: 10 * time.Second, readers: 20}
}

const (
	pbsStep        = int64(50 * time.Microsecond) // how often the driver loop looks at the history
	pbsWriterThink = 2 * time.Millisecond         // staleness workload: mean pause between a writer's writes (exponential)
	pbsReaderThink = 2 * time.Millisecond         // staleness workload: mean pause between a reader's reads (exponential)
	pbsProbeGap    = 10 * time.Millisecond        // visibility workload: the next write starts up to this long (uniform) after the probe answered
)

// pbsConfig is the simulator configuration of one setting: the default
// scenario without message faults, with pbsLatency.
func pbsConfig(seed uint64, s pbsSetting, keys int) sim.Config {
	cfg := sim.DefaultConfig(seed)
	cfg.N, cfg.R, cfg.W = s.N, s.R, s.W
	cfg.Workload.Keys = keys
	cfg.Net.Latency = pbsLatency
	cfg.Net.Loss, cfg.Net.Duplicate, cfg.Net.Reorder = 0, 0, 0
	return cfg
}

// pbsSetOut is what one setting measured.
type pbsSetOut struct {
	visOK, visN  []int // per grid point: probes that saw the write, probes
	staleN       []int // staleN[j]: reads exactly j+1 versions behind (j = pbsMaxK: more)
	staleReads   int
	forks        int // writes whose context missed the previous version of their key
	writes       int
	fallbacks    uint64
	visSim       time.Duration
	staleSim     time.Duration
	staleWritesS float64 // committed writes per key per simulated second (staleness workload)
}

func runPBS(scale Scale, seed uint64, progress func(done, total int)) (*Result, error) {
	sc := pbsScaleFor(scale)
	grid := make([]int64, len(pbsGridMs))
	for i, ms := range pbsGridMs {
		grid[i] = int64(ms * float64(time.Millisecond))
	}
	outs := make([]pbsSetOut, len(pbsSettings))
	// Two jobs per setting: the visibility and the staleness workload.
	err := runEach(2*len(pbsSettings), progress, func(j int) error {
		s := pbsSettings[j/2]
		o := &outs[j/2]
		cfg := pbsConfig(seed, s, sc.keys)
		if j%2 == 0 {
			return pbsVisibility(cfg, sc, grid, o)
		}
		return pbsStaleness(cfg, sc, o)
	})
	if err != nil {
		return nil, err
	}
	return pbsResult(scale, seed, sc, outs)
}

// pbsAgent is one client of a driven workload.
type pbsAgent struct {
	op   sim.ClientOp
	key  int
	due  int64 // virtual time at which it starts op; negative: idle for good (until told)
	busy bool
}

// pbsDrive runs a driven workload: every agent whose due time has come
// starts its operation; the loop advances virtual time in steps of at most
// pbsStep and calls done(i, op) with the last history entry of agent i's
// operation when it ends (the agent is then idle with due -1 unless done sets
// another). Agent i is the driver's client i, whose history entries carry
// Client == i. It returns when no agent is busy or due.
func pbsDrive(d *sim.Driver, agents []pbsAgent, done func(i int, op checks.Op, now int64)) error {
	seen := 0
	for {
		now := int64(d.Now())
		ops := d.History().Ops
		for ; seen < len(ops); seen++ {
			op := ops[seen]
			a := &agents[op.Client]
			if !a.busy {
				continue
			}
			// A read-modify-write whose read succeeded goes on with its put.
			if a.op == sim.ClientRMW && op.Kind == checks.Get && op.Outcome == checks.Ok {
				continue
			}
			a.busy, a.due = false, -1
			done(op.Client, op, now)
		}
		next := int64(math.MaxInt64)
		anyBusy := false
		for i := range agents {
			a := &agents[i]
			if !a.busy && a.due >= 0 && a.due <= now {
				if err := d.Start(i, a.op, a.key); err != nil {
					return err
				}
				a.busy = true
			}
			if a.busy {
				anyBusy = true
			} else if a.due >= 0 {
				next = min(next, a.due)
			}
		}
		if !anyBusy && next == math.MaxInt64 {
			return nil
		}
		if err := d.Advance(time.Duration(min(next, now+pbsStep) - now)); err != nil {
			return err
		}
	}
}

// pbsFinish ends a driven run and counts the sloppy-quorum fallbacks it took
// (none is expected: there are no faults).
func pbsFinish(d *sim.Driver) (*checks.History, uint64, error) {
	h := d.History()
	ops := slices.Clone(h.Ops)
	res, err := d.Finish()
	if err != nil {
		return nil, 0, err
	}
	var fb uint64
	for _, p := range res.Probes {
		if p.Name == "sloppy_fallback" || p.Name == "fallback_coordinator" {
			fb += p.Count
		}
	}
	return &checks.History{Ops: ops, Final: res.History.Final}, fb, nil
}

func pbsVisibility(cfg sim.Config, sc pbsScale, grid []int64, o *pbsSetOut) error {
	d, err := sim.NewDriver(cfg)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x9b5f15))
	k := sc.keys
	agents := make([]pbsAgent, 2*k) // writers 0..k-1, probers k..2k-1 (prober k+i reads key i)
	start := int64(d.Now())
	for i := range k {
		agents[i] = pbsAgent{op: sim.ClientRMW, key: i, due: start + rng.Int64N(int64(50*time.Millisecond))}
		agents[k+i] = pbsAgent{op: sim.ClientGet, key: i, due: -1}
	}
	total := sc.probesPerT * len(grid)
	planned := 0
	err = pbsDrive(d, agents, func(i int, op checks.Op, now int64) {
		switch {
		case i >= k: // a probe answered: its writer writes again
			agents[i-k].due = now + rng.Int64N(int64(pbsProbeGap))
		case op.Kind != checks.Get && op.Outcome == checks.Ok && planned < total:
			agents[k+i].due = op.Return + grid[planned%len(grid)]
			planned++
		case planned < total: // the write failed or its outcome is unknown: try again
			agents[i].due = now + rng.Int64N(int64(pbsProbeGap))
		}
	})
	if err != nil {
		return err
	}
	o.visSim = d.Now()
	h, fb, err := pbsFinish(d)
	if err != nil {
		return err
	}
	o.fallbacks += fb
	o.visOK, o.visN = make([]int, len(grid)), make([]int, len(grid))
	for _, r := range pbsAnalyze(h, func(c int) bool { return c >= k }) {
		// Bin by the actual delay: a probe due at t starts at t, or (t = 0)
		// up to one loop step later.
		b := sort.Search(len(grid), func(j int) bool { return grid[j] > r.t }) - 1
		if b < 0 {
			continue
		}
		o.visN[b]++
		if r.seen {
			o.visOK[b]++
		}
	}
	return nil
}

func pbsStaleness(cfg sim.Config, sc pbsScale, o *pbsSetOut) error {
	d, err := sim.NewDriver(cfg)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x57a1e))
	k := sc.keys
	agents := make([]pbsAgent, k+sc.readers) // writers 0..k-1 (writer i writes key i), then readers
	start := int64(d.Now())
	end := start + int64(sc.staleFor)
	for i := range agents {
		if i < k {
			agents[i] = pbsAgent{op: sim.ClientRMW, key: i, due: start + rng.Int64N(int64(pbsWriterThink))}
		} else {
			agents[i] = pbsAgent{op: sim.ClientGet, key: rng.IntN(k), due: start + rng.Int64N(int64(pbsReaderThink))}
		}
	}
	err = pbsDrive(d, agents, func(i int, op checks.Op, now int64) {
		if now >= end {
			return
		}
		if i < k {
			agents[i].due = now + int64(rng.ExpFloat64()*float64(pbsWriterThink))
			return
		}
		agents[i].key = rng.IntN(k)
		agents[i].due = now + int64(rng.ExpFloat64()*float64(pbsReaderThink))
	})
	if err != nil {
		return err
	}
	o.staleSim = d.Now()
	h, fb, err := pbsFinish(d)
	if err != nil {
		return err
	}
	o.fallbacks += fb
	o.staleN = make([]int, pbsMaxK+1)
	for _, r := range pbsAnalyze(h, func(c int) bool { return c >= k }) {
		o.staleReads++
		o.staleN[min(r.stale, pbsMaxK+1)-1]++
	}
	committed := 0
	for _, op := range h.Ops {
		if op.Kind != checks.Get {
			o.writes++
			if op.Outcome == checks.Ok {
				committed++
			}
		}
	}
	o.forks = pbsForks(h)
	o.staleWritesS = float64(committed) / float64(k) / sc.staleFor.Seconds()
	return nil
}

// pbsRead is one read as the global view classes it.
type pbsRead struct {
	t     int64 // ns from the commit of the newest write committed before the read started
	seen  bool  // it returned that write, or a write whose (transitive) covers include it
	stale int   // 1 + how many versions the newest version it returned is behind that write (1: fresh)
}

// pbsAnalyze classes every ok get of a reader client against the newest write
// of its key acknowledged by the time the get started (at the same instant
// included). Versions of a key are numbered in the order their (single,
// sequential) writer issued them; reads of a key with no committed write yet
// are left out.
func pbsAnalyze(h *checks.History, reader func(client int) bool) []pbsRead {
	type commit struct {
		ret int64
		idx int
		val string
	}
	idx := make(map[string]int)            // value -> its position in its key's chain (1-based)
	covers := make(map[string][]string)    // value -> the values its context covered
	writes := make(map[string][]checks.Op) // key -> writes by call time
	for _, op := range h.Ops {
		if op.Kind != checks.Get {
			writes[op.Key] = append(writes[op.Key], op)
		}
	}
	commits := make(map[string][]commit)
	for key, ws := range writes {
		sort.SliceStable(ws, func(a, b int) bool { return ws[a].Call < ws[b].Call })
		for i, w := range ws {
			idx[w.Value] = i + 1
			covers[w.Value] = w.Covers
			if w.Outcome == checks.Ok {
				commits[key] = append(commits[key], commit{w.Return, i + 1, w.Value})
			}
		}
		cs := commits[key]
		sort.SliceStable(cs, func(a, b int) bool { return cs[a].ret < cs[b].ret })
	}
	// sees says whether value v is want or covers it transitively. Covers
	// point to earlier versions only, so the search stops below want's index.
	var sees func(v string, want string, wantIdx int, visited map[string]bool) bool
	sees = func(v, want string, wantIdx int, visited map[string]bool) bool {
		if v == want {
			return true
		}
		if visited[v] || idx[v] < wantIdx {
			return false
		}
		visited[v] = true
		for _, c := range covers[v] {
			if sees(c, want, wantIdx, visited) {
				return true
			}
		}
		return false
	}
	var out []pbsRead
	for _, op := range h.Ops {
		if op.Kind != checks.Get || op.Outcome != checks.Ok || !reader(op.Client) {
			continue
		}
		cs := commits[op.Key]
		j := sort.Search(len(cs), func(i int) bool { return cs[i].ret > op.Call }) - 1
		if j < 0 {
			continue
		}
		c := cs[j]
		newest := 0
		seen := false
		visited := make(map[string]bool)
		for _, v := range op.Values {
			newest = max(newest, idx[v])
			if !seen && sees(v, c.val, c.idx, visited) {
				seen = true
			}
		}
		stale := 1
		if newest < c.idx {
			stale = c.idx - newest + 1
		}
		out = append(out, pbsRead{t: op.Call - c.ret, seen: seen, stale: stale})
	}
	return out
}

// pbsForks counts writes whose context did not cover the previous version of
// their key: the writer's own read missed it (possible with R + W <= N), and
// the two become siblings instead of a chain.
func pbsForks(h *checks.History) int {
	writes := make(map[string][]checks.Op)
	for _, op := range h.Ops {
		if op.Kind != checks.Get {
			writes[op.Key] = append(writes[op.Key], op)
		}
	}
	n := 0
	for _, ws := range writes {
		sort.SliceStable(ws, func(a, b int) bool { return ws[a].Call < ws[b].Call })
		for i := 1; i < len(ws); i++ {
			if !slices.Contains(ws[i].Covers, ws[i-1].Value) {
				n++
			}
		}
	}
	return n
}

// pbsBinom is C(n, k) (0 when k > n).
func pbsBinom(n, k int) float64 {
	if k < 0 || k > n {
		return 0
	}
	r := 1.0
	for i := 1; i <= k; i++ {
		r = r * float64(n-k+i) / float64(i)
	}
	return r
}

// pbsClosedForm is the k-staleness of uniformly random, independent read and
// write quorums with no propagation beyond the write quorum (Bailis et al.):
// 1 - (C(N-W,R)/C(N,R))^k.
func pbsClosedForm(s pbsSetting, k int) float64 {
	return 1 - math.Pow(pbsBinom(s.N-s.W, s.R)/pbsBinom(s.N, s.R), float64(k))
}

func pbsResult(scale Scale, seed uint64, sc pbsScale, outs []pbsSetOut) (*Result, error) {
	r := &Result{
		Name:  "pbs",
		Title: "Probabilistically bounded staleness (Bailis et al., VLDB 2012): t-visibility and k-staleness",
		Seed:  seed,
		Scale: scale,
	}
	base := pbsConfig(seed, pbsSettings[0], sc.keys)
	var fallbacks uint64
	for _, o := range outs {
		fallbacks += o.fallbacks
	}
	r.Params = []Param{
		{"(N,R,W) settings", "(3,1,1) (3,1,2) (3,2,1) (3,2,2)", false},
		{"causality", base.Causality.String(), false},
		{"quorum selection", string(base.Routing) + "-driven routing (a get is coordinated by a random node and takes the fastest R replies, the coordinator's own copy first when it is a replica; a put is coordinated by a replica, preferring the one that answered the writer's read fastest); stale replicas that answered a read are repaired after it", false},
		{"sloppy quorum", fmt.Sprintf("on (the core ties it to the non-strict profile, and the strict profile needs R+W>N); no faults and no message loss, so it never engages: %d fallbacks taken over all runs", fallbacks), true},
		{"message latency (node-node and client-node, one way)", pbsLatency.String(), true},
		{"message loss, duplication, reordering", "0, 0, 0", true},
		{"clock skew, drift", fmt.Sprintf("%s, %dppm (irrelevant with dvv)", base.Clocks.MaxSkew, base.Clocks.MaxDriftPPM), false},
		{"keys (one sequential read-modify-write writer each)", strconv.Itoa(sc.keys), true},
		{"t grid (ms after the write's Return)", fmt.Sprint(pbsGridMs), true},
		{"visibility workload", fmt.Sprintf("after every acknowledged write one probe read of its key starts t after the write's Return (t round-robin over the grid, %d probes per t and setting); the writer writes again up to %s (uniform) after the probe answered", sc.probesPerT, pbsProbeGap), true},
		{"staleness workload", fmt.Sprintf("%d writers (one per key) writing back to back with exponential pauses of mean %s, %d readers reading uniformly random keys with exponential pauses of mean %s, for %s of virtual time", sc.keys, pbsWriterThink, sc.readers, pbsReaderThink, sc.staleFor), true},
		{"version order", "a key's versions are numbered in its writer's issue order; a read sees write w if it returns w or a value whose transitive Covers include w; its staleness is 1 + (index of the newest committed write before it started - index of the newest version it returned), 1 if it returned a newer one", true},
		{"closed_form column", "1 - (C(N-W,R)/C(N,R))^k for k_staleness rows; for t_visibility rows its k=1 value, the chance that uniformly random quorums with no propagation see the last write, the same at every t", false},
		{"driver step", time.Duration(pbsStep).String() + " (a t=0 probe starts up to one step after the Return)", true},
	}
	r.Params = append(r.Params, beyondCommonParams(base)...)
	r.Columns = []string{"metric", "nrw", "x", "measured", "samples", "ci95_low", "ci95_high", "closed_form"}
	visPlot := NewPlot("t-visibility: P(read t ms after commit sees the write)", "t after the write committed (ms)", "probability")
	visPlot.Legend.Top, visPlot.Legend.Left = false, false
	kPlot := NewPlot("k-staleness: measured (points) against uniform random quorums (dashed)", "k (versions)", "P(read within k versions of the newest committed)")
	kPlot.Legend.Top, kPlot.Legend.Left = false, false
	tailPlot := NewPlot("P(more than k versions stale): measured (points), uniform quorums (dashed); (3,2,2): 0", "k (versions)", "probability (log)")
	tailPlot.Legend.Top, tailPlot.Legend.Left = false, true
	LogY(tailPlot)
	tailPlot.Y.Tick.Marker = pbsDecades{}
	var vis311, vis322 []float64
	visAt0 := make([]float64, len(pbsSettings))
	minK := make([]float64, len(pbsSettings))
	for si, s := range pbsSettings {
		o := outs[si]
		ys := make([]float64, len(pbsGridMs))
		for g := range pbsGridMs {
			ys[g] = beyondFrac(o.visOK[g], o.visN[g])
			lo, hi := beyondWilson(o.visOK[g], o.visN[g])
			r.Rows = append(r.Rows, []string{"t_visibility", s.String(), beyondFmt(pbsGridMs[g]), beyondFmt(ys[g]),
				strconv.Itoa(o.visN[g]), beyondFmt(lo), beyondFmt(hi), beyondFmt(pbsClosedForm(s, 1))})
		}
		if err := AddPoints(visPlot, s.String(), pbsGridMs, ys, si); err != nil {
			return nil, err
		}
		visAt0[si] = ys[0]
		switch s {
		case pbsSetting{3, 1, 1}:
			vis311 = ys
		case pbsSetting{3, 2, 2}:
			vis322 = ys
		}
		ks := make([]float64, pbsMaxK)
		meas := make([]float64, pbsMaxK)
		closed := make([]float64, pbsMaxK)
		cum := 0
		for k := 1; k <= pbsMaxK; k++ {
			cum += o.staleN[k-1]
			ks[k-1] = float64(k)
			meas[k-1] = beyondFrac(cum, o.staleReads)
			closed[k-1] = pbsClosedForm(s, k)
			lo, hi := beyondWilson(cum, o.staleReads)
			r.Rows = append(r.Rows, []string{"k_staleness", s.String(), strconv.Itoa(k), beyondFmt(meas[k-1]),
				strconv.Itoa(o.staleReads), beyondFmt(lo), beyondFmt(hi), beyondFmt(closed[k-1])})
		}
		minK[si] = meas[0]
		label := s.String()
		if s == (pbsSetting{3, 1, 2}) || s == (pbsSetting{3, 2, 1}) {
			label += " (same closed form as " + map[bool]string{true: "(3,2,1))", false: "(3,1,2))"}[s.R == 1]
		}
		if err := AddPoints(kPlot, label, ks, meas, si); err != nil {
			return nil, err
		}
		if err := pbsDashed(kPlot, ks, closed, si); err != nil {
			return nil, err
		}
		tailM, tailC := make([]float64, pbsMaxK), make([]float64, pbsMaxK)
		for j := range tailM {
			tailM[j], tailC[j] = pbsPositive(1-meas[j]), pbsPositive(1-closed[j])
		}
		if err := pbsTail(tailPlot, label, ks, tailM, tailC, si); err != nil {
			return nil, err
		}
	}
	visPlot.Y.Max = 1.005
	kPlot.Y.Min, kPlot.Y.Max = 0, 1.02
	tailPlot.Y.Min = 1e-6
	r.Figures = []Figure{{Name: "tvisibility", Plot: visPlot}, {Name: "kstaleness", Plot: kPlot}, {Name: "kstaleness-tail", Plot: tailPlot}}

	// The shape claims.
	min322 := 1.0
	for _, y := range vis322 {
		if !math.IsNaN(y) {
			min322 = math.Min(min322, y)
		}
	}
	last311 := vis311[len(vis311)-1]
	minGap := math.Inf(1) // measured minus closed form, over every setting and k
	for si, s := range pbsSettings {
		cum := 0
		for k := 1; k <= pbsMaxK; k++ {
			cum += outs[si].staleN[k-1]
			minGap = math.Min(minGap, beyondFrac(cum, outs[si].staleReads)-pbsClosedForm(s, k))
		}
	}
	cf311 := pbsClosedForm(pbsSetting{3, 1, 1}, 1)
	r.Compare = []Comparison{
		{Claim: "\"Setting R and W such that R + W > N yields a quorum-like system\": (3,2,2) reads see every write committed before they started (lowest t-visibility over the grid)", Paper: math.NaN(), Ours: min322, Holds: min322 == 1,
			Note: "exactly 1 here because no fault made the sloppy quorum take a fallback, so read and write quorums are drawn from the same top N replicas and must intersect"},
		{Claim: fmt.Sprintf("R + W <= N risks inconsistency: (3,1,1) t-visibility at t=0 is below 1 (uniform random quorums: %.3f)", cf311), Paper: math.NaN(), Ours: vis311[0], Holds: vis311[0] < 1,
			Note: "far above the uniform-quorum value: the write goes to all N replicas, and a read right after commit races only the stragglers' copies (see the notes)"},
		{Claim: "(3,1,1) t-visibility rises with t (value at 100ms)", Paper: math.NaN(), Ours: last311, Holds: last311 > vis311[0]},
		{Claim: "measured k-staleness is at least the uniform-quorum closed form 1 - (C(N-W,R)/C(N,R))^k (smallest difference over settings and k = 1..5)", Paper: math.NaN(), Ours: minGap, Holds: minGap >= 0,
			Note: fmt.Sprintf("(3,1,1) at k=1: %.4f measured against %.3f closed form", minK[0], cf311)},
	}
	var simVis, simStale time.Duration
	forks, writes := 0, 0
	for _, o := range outs {
		simVis += o.visSim
		simStale += o.staleSim
		forks += o.forks
		writes += o.writes
	}
	r.Notes = []string{
		fmt.Sprintf("What to look at: in the t-visibility figure the strict quorum (3,2,2) sits at 1 for every t, while the partial quorums start below 1 at t=0 and climb toward 1 as t grows: the expanding quorum of Bailis et al. (a write is sent to all N replicas, and the ones outside the write quorum receive it shortly after it commits). (3,1,1) starts lowest, at %.3f, and first reaches 0.99 at t=%s; (3,1,2) and (3,2,1) start in between, at %.3f and %.3f. The dashed lines of the k-staleness figure are the closed form for uniformly random quorums, 1 - (C(N-W,R)/C(N,R))^k; the measured curves lie far above them (the second k-staleness figure shows the complements on a log scale).",
			vis311[0], pbsFirstAbove(vis311, 0.99), visAt0[1], visAt0[2]),
		"Why measured and closed form differ: the closed form assumes that a write reaches only its W replicas, that reads pick R replicas uniformly at random, and that nothing repairs a replica between writes. Dynamo's quorums are not uniformly random: a put is coordinated by a replica that stores it before anyone else does (and, from a read-modify-write, preferably the replica that answered the writer's read fastest), its write goes to all N replicas, so the N-W stragglers usually have it by the time the client hears the acknowledgement; a get takes the first R replies, and when its coordinator is a replica its own copy counts first; stale replicas that answered a read are repaired within the read-repair window, and anti-entropy catches the rest. The race that remains is a read request overtaking a straggler's copy of the write, which a long-tailed network makes common for the first few milliseconds and rare after tens of milliseconds.",
		fmt.Sprintf("k-staleness is measured on a separate workload in which each key's writer writes again as soon as its last read-modify-write ends, after a short pause (a write committed every %.1fms per key with (3,1,1), %.1fms with (3,2,2)), so that a read can miss more than one version; with writes far apart almost every read is within one version. Over the four staleness runs %d of %d writes were forks (the writer's own read missed its previous write, possible when R + W <= N, so the two became siblings rather than a chain); a read that returns the newer one counts as fresh.", 1000/outs[0].staleWritesS, 1000/outs[3].staleWritesS, forks, writes),
		fmt.Sprintf("Sloppy quorum is on, as in the default profile (the core ties it to the non-strict profile, and the strict profile needs R+W>N and adds a blocking write-back to reads, which would change what is measured). With no faults and no message loss it never engaged (%d fallbacks), so the quorums are the top N replicas and (3,2,2) is a strict quorum system. Simulated: %s of visibility workload and %s of staleness workload over the four settings.", fallbacks, simVis.Round(time.Millisecond), simStale.Round(time.Millisecond)),
	}
	return r, nil
}

// pbsDashed draws a dashed series in palette colour i without a legend entry.
func pbsDashed(p *plot.Plot, xs, ys []float64, i int) error {
	pts := make(plotter.XYs, 0, len(xs))
	for k := range xs {
		if !math.IsNaN(ys[k]) {
			pts = append(pts, plotter.XY{X: xs[k], Y: ys[k]})
		}
	}
	if len(pts) == 0 {
		return nil
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	l.Color = Palette[i%len(Palette)]
	l.Width = vg.Points(1.2)
	l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	p.Add(l)
	return nil
}

// pbsTail draws measured tail probabilities as points and the closed form
// dashed, skipping a series with nothing to draw (zeros cannot go on a log
// axis).
func pbsTail(p *plot.Plot, label string, xs, meas, closed []float64, i int) error {
	if slices.ContainsFunc(meas, func(y float64) bool { return !math.IsNaN(y) }) {
		if err := AddPoints(p, label, xs, meas, i); err != nil {
			return err
		}
	}
	return pbsDashed(p, xs, closed, i)
}

// pbsPositive is x, or NaN when x is not positive (for a log axis).
func pbsPositive(x float64) float64 {
	if x <= 1e-12 {
		return math.NaN()
	}
	return x
}

// pbsDecades labels every power of ten of a log axis as 1e-n.
type pbsDecades struct{}

func (pbsDecades) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		v := math.Pow(10, e)
		if v < lo*0.999 || v > hi*1.001 {
			continue
		}
		label := "1"
		if e != 0 {
			label = fmt.Sprintf("1e%d", int(e))
		}
		out = append(out, plot.Tick{Value: v, Label: label})
	}
	return out
}

// pbsFirstAbove is the first grid point (ms) where ys reaches at least y, or
// "never" within the grid.
func pbsFirstAbove(ys []float64, y float64) string {
	for i, v := range ys {
		if v >= y {
			return beyondFmt(pbsGridMs[i]) + "ms"
		}
	}
	return "no t of the grid"
}
