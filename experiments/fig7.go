package experiments

import (
	"fmt"
	"image/color"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/dynamo-replay/dynamo/core/ring"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"
)

// Figure 7 (paper §6.2): the three partitioning strategies drawn as rings,
// with one key k1, the nodes A, B, C of its preference list (N=3), and the
// key range that shares that list shaded. Small sizes keep it legible; the
// rings are built with core/ring exactly as the simulator builds them.

const (
	fig7Nodes = 6
	fig7N     = 3
	fig7Key   = "k1"
)

// fig7Params are the three rings drawn. Strategies 1 and 2 share one token
// draw, so the panels differ only in how the space is partitioned.
var fig7Params = []ring.Params{
	{Strategy: ring.Strategy1, T: 2},
	{Strategy: ring.Strategy2, T: 2, Q: 24},
	{Strategy: ring.Strategy3, Q: 12},
}

var fig7Titles = []string{
	"Strategy 1: T random tokens per node, partition by token value",
	"Strategy 2: T random tokens per node, equal-sized partitions",
	"Strategy 3: Q/S tokens per node, equal-sized partitions",
}

const fig7Caption = "\"Partitioning and placement of keys in the three strategies. A, B, and C depict the three unique nodes that form the preference list for the key k1 on the consistent hashing ring (N=3). The shaded area indicates the key range for which nodes A, B, and C form the preference list. Dark arrows indicate the token locations for various nodes.\" [B:L1622-1627]"

func init() {
	Register(Experiment{
		Name:  "fig7",
		Title: "Figure 7: the three partitioning strategies, one key's preference list and the range that shares it",
		Run:   runFig7,
	})
}

// fig7Ring is one drawn ring and what the figure marks on it.
type fig7Ring struct {
	params     ring.Params
	ring       *ring.Ring
	key        ring.Token
	pref       []ring.NodeID // the first N of PreferenceForKey(k1): A, B, C
	roleTokens []ring.Token  // the token that puts A, B, C in the list
	from, to   ring.Token    // the shaded range (from, to]
}

// fig7Build builds the three rings for a seed.
func fig7Build(seed uint64) ([]fig7Ring, error) {
	nodes := make([]ring.NodeID, fig7Nodes)
	for i := range nodes {
		nodes[i] = ring.NodeID(i)
	}
	rng := rand.New(rand.NewPCG(seed, 0x66696737)) // "fig7"
	tokens, err := ring.Assign(fig7Params[0], nodes, rng)
	if err != nil {
		return nil, err
	}
	key := ring.HashKey(fig7Key)
	var out []fig7Ring
	for _, p := range fig7Params {
		ms := tokens
		if p.Strategy == ring.Strategy3 {
			if ms, err = ring.Assign(p, nodes, rng); err != nil {
				return nil, err
			}
		}
		r, err := ring.New(p, ms)
		if err != nil {
			return nil, err
		}
		fr := fig7Ring{params: p, ring: r, key: key}
		fr.pref = r.PreferenceForKey(fig7Key, nil)[:fig7N]

		// The walk that makes the list: from the end of k1's range (the key's
		// own successor token under strategy 1, its partition's end under
		// 2 and 3), take the first token of each new node.
		type tok struct {
			t    ring.Token
			node ring.NodeID
		}
		var all []tok
		for _, m := range r.Members() {
			for _, t := range m.Tokens {
				all = append(all, tok{t, m.ID})
			}
		}
		slices.SortFunc(all, func(a, b tok) int { return a.t.Compare(b.t) })
		idx := r.RangeIndex(key)
		start := r.RangeAt(idx).End
		j, _ := slices.BinarySearchFunc(all, start, func(a tok, t ring.Token) int { return a.t.Compare(t) })
		var seen []ring.NodeID
		for k := 0; len(seen) < fig7N && k < len(all); k++ {
			tk := all[(j+k)%len(all)]
			if !slices.Contains(seen, tk.node) {
				seen = append(seen, tk.node)
				fr.roleTokens = append(fr.roleTokens, tk.t)
			}
		}
		if !slices.Equal(seen, fr.pref) {
			return nil, fmt.Errorf("fig7: strategy %v: walk from k1 gives %v, PreferenceForKey %v", p.Strategy, seen, fr.pref)
		}

		// The shaded range: k1's range and its neighbours with the same
		// first N nodes.
		same := func(i int) bool {
			return slices.Equal(r.RangePreference(i, nil)[:fig7N], fr.pref)
		}
		n := r.NumRanges()
		lo, hi := idx, idx
		for k := 1; k < n && same((idx-k+n)%n); k++ {
			lo = (idx - k + n) % n
		}
		for k := 1; k < n && same((idx+k)%n); k++ {
			hi = (idx + k) % n
		}
		fr.from, fr.to = r.RangeAt(lo).Start, r.RangeAt(hi).End
		out = append(out, fr)
	}
	return out, nil
}

// fig7Fraction reads a token as a share of the ring, t/2^128.
func fig7Fraction(t ring.Token) float64 {
	const two64 = 1 << 64
	return (float64(t.Hi) + float64(t.Lo)/two64) / two64
}

// fig7OnRing is the point at radius rad for ring position f: 0 at twelve
// o'clock, increasing clockwise, the direction Dynamo walks.
func fig7OnRing(f, rad float64) plotter.XY {
	a := math.Pi/2 - 2*math.Pi*f
	return plotter.XY{X: rad * math.Cos(a), Y: rad * math.Sin(a)}
}

func fig7NodeName(id ring.NodeID) string { return "node " + strconv.Itoa(int(id)) }

func fig7RoleOf(fr fig7Ring, t ring.Token) string {
	for i, rt := range fr.roleTokens {
		if rt == t {
			return string(rune('A' + i))
		}
	}
	return ""
}

func runFig7(scale Scale, seed uint64, progress func(done, total int)) (*Result, error) {
	rings, err := fig7Build(seed)
	if err != nil {
		return nil, err
	}
	res := &Result{
		Name:  "fig7",
		Title: "Figure 7: the three partitioning strategies, one key's preference list and the range that shares it",
		Seed:  seed,
		Scale: scale,
		Params: []Param{
			{Name: "nodes", Value: strconv.Itoa(fig7Nodes) + " (few, for legibility; the paper draws no particular number)", Assumption: true},
			{Name: "N", Value: strconv.Itoa(fig7N)},
			{Name: "key", Value: fmt.Sprintf("%q at position %.4f of the ring (MD5, ring.HashKey)", fig7Key, fig7Fraction(ring.HashKey(fig7Key)))},
			{Name: "strategy 1", Value: fmt.Sprintf("T=%d random tokens per node", fig7Params[0].T), Assumption: true},
			{Name: "strategy 2", Value: fmt.Sprintf("T=%d random tokens per node (the same draw as strategy 1), Q=%d equal partitions", fig7Params[1].T, fig7Params[1].Q), Assumption: true},
			{Name: "strategy 3", Value: fmt.Sprintf("Q=%d equal partitions, Q/S=%d per node (ring.Assign)", fig7Params[2].Q, fig7Params[2].Q/fig7Nodes), Assumption: true},
			{Name: "scale", Value: "ignored: the figure is the same at every scale"},
		},
		Columns: []string{"strategy", "node", "token", "position", "role"},
	}
	res.Notes = append(res.Notes, "Paper's caption: "+fig7Caption)
	for i, fr := range rings {
		type row struct {
			pos  float64
			cols []string
		}
		var rows []row
		for _, m := range fr.ring.Members() {
			for _, t := range m.Tokens {
				rows = append(rows, row{fig7Fraction(t), []string{fr.params.Strategy.String(), strconv.Itoa(int(m.ID)), t.String(), strconv.FormatFloat(fig7Fraction(t), 'f', 6, 64), fig7RoleOf(fr, t)}})
			}
		}
		slices.SortFunc(rows, func(a, b row) int { return strings.Compare(a.cols[2], b.cols[2]) })
		for _, r := range rows {
			res.Rows = append(res.Rows, r.cols)
		}
		names := make([]string, len(fr.pref))
		for k, id := range fr.pref {
			names[k] = fmt.Sprintf("%c=%s", 'A'+k, fig7NodeName(id))
		}
		res.Notes = append(res.Notes, fmt.Sprintf("Strategy %v: k1 at %.4f; preference list %s (ring.PreferenceForKey); the shaded range (%.4f, %.4f] covers %.1f%% of the ring.",
			fr.params.Strategy, fig7Fraction(fr.key), strings.Join(names, ", "), fig7Fraction(fr.from), fig7Fraction(fr.to), 100*fig7ArcLen(fig7Fraction(fr.from), fig7Fraction(fr.to))))
		p, err := fig7Plot(fr, fig7Titles[i])
		if err != nil {
			return nil, err
		}
		res.Figures = append(res.Figures, Figure{Name: "s" + fr.params.Strategy.String(), Plot: p, Width: fig7W, Height: fig7H})
		if progress != nil {
			progress(i+1, len(rings))
		}
	}
	res.Notes = append(res.Notes, "What to look at: under strategy 1 the shaded range is the arc between two consecutive tokens, so its size is random; under strategies 2 and 3 it is a whole number of the equal partitions (grey spokes) and the walk to A, B, C starts at the partition's end, not at k1. Strategies 1 and 2 use the same tokens, so their A, B, C can differ only because strategy 2 walks from the partition end.")
	return res, nil
}

// fig7ArcLen is the clockwise length from a to b on the unit ring, in (0, 1].
func fig7ArcLen(a, b float64) float64 {
	d := b - a
	if d <= 0 {
		d++
	}
	return d
}

const (
	fig7W = 6.5 // inches
	fig7H = 5.0
	// fig7HalfY is half the plotted height in ring radii; the width follows
	// from the data area so that the ring is a circle.
	fig7HalfY = 1.32
)

func fig7Plot(fr fig7Ring, title string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.HideAxes()
	p.Legend.Top, p.Legend.Left = true, true

	// Shaded range, as an annulus sector between radii 0.72 and 1.
	f0 := fig7Fraction(fr.from)
	span := fig7ArcLen(f0, fig7Fraction(fr.to))
	var sector plotter.XYs
	const steps = 200
	for k := 0; k <= steps; k++ {
		sector = append(sector, fig7OnRing(f0+span*float64(k)/steps, 1))
	}
	for k := steps; k >= 0; k-- {
		sector = append(sector, fig7OnRing(f0+span*float64(k)/steps, 0.72))
	}
	poly, err := plotter.NewPolygon(sector)
	if err != nil {
		return nil, err
	}
	poly.Color = color.NRGBA{R: 90, G: 90, B: 90, A: 70}
	poly.LineStyle.Width = 0
	p.Add(poly)
	p.Legend.Add("keys whose list is A, B, C", poly)

	// Partition boundaries.
	if fr.params.Q > 0 {
		for i := range fr.ring.NumRanges() {
			f := fig7Fraction(fr.ring.RangeAt(i).End)
			l, err := plotter.NewLine(plotter.XYs{fig7OnRing(f, 0.6), fig7OnRing(f, 1)})
			if err != nil {
				return nil, err
			}
			l.Color = color.Gray{Y: 170}
			l.Width = vg.Points(0.6)
			p.Add(l)
		}
	}

	// The ring.
	var circle plotter.XYs
	for k := 0; k <= 360; k++ {
		circle = append(circle, fig7OnRing(float64(k)/360, 1))
	}
	c, err := plotter.NewLine(circle)
	if err != nil {
		return nil, err
	}
	c.Width = vg.Points(1)
	p.Add(c)

	// Tokens: an outward arrow per token, coloured by node.
	for _, m := range fr.ring.Members() {
		col := Palette[int(m.ID)%len(Palette)]
		var heads plotter.XYs
		for _, t := range m.Tokens {
			f := fig7Fraction(t)
			l, err := plotter.NewLine(plotter.XYs{fig7OnRing(f, 1), fig7OnRing(f, 1.13)})
			if err != nil {
				return nil, err
			}
			l.Color = col
			l.Width = vg.Points(2)
			p.Add(l)
			heads = append(heads, fig7OnRing(f, 1.0))
		}
		s, err := plotter.NewScatter(heads)
		if err != nil {
			return nil, err
		}
		s.Color = col
		s.Shape = draw.CircleGlyph{}
		s.Radius = vg.Points(3.5)
		p.Add(s)
		p.Legend.Add(fmt.Sprintf("%s (%d tokens)", fig7NodeName(m.ID), len(m.Tokens)), s)
	}

	// k1.
	kf := fig7Fraction(fr.key)
	ks, err := plotter.NewScatter(plotter.XYs{fig7OnRing(kf, 1)})
	if err != nil {
		return nil, err
	}
	ks.Shape = draw.PyramidGlyph{}
	ks.Color = color.Black
	ks.Radius = vg.Points(5)
	p.Add(ks)
	p.Legend.Add("key k1", ks)

	// Labels: A, B, C outside their tokens, k1 inside the ring.
	var lxy plotter.XYs
	var texts []string
	for i, t := range fr.roleTokens {
		lxy = append(lxy, fig7OnRing(fig7Fraction(t), 1.24))
		texts = append(texts, fmt.Sprintf("%c", 'A'+i))
	}
	lxy = append(lxy, fig7OnRing(kf, 0.84))
	texts = append(texts, "k1")
	labels, err := plotter.NewLabels(plotter.XYLabels{XYs: lxy, Labels: texts})
	if err != nil {
		return nil, err
	}
	for i := range labels.TextStyle {
		labels.TextStyle[i].Font.Size = vg.Points(13)
		labels.TextStyle[i].XAlign = draw.XCenter
		labels.TextStyle[i].YAlign = draw.YCenter
	}
	p.Add(labels)

	// Equal scales: measure the data area and widen x to match.
	p.Y.Min, p.Y.Max = -fig7HalfY, fig7HalfY
	p.X.Min, p.X.Max = -fig7HalfY, fig7HalfY
	dc := p.DataCanvas(draw.NewCanvas(&recorder.Canvas{}, vg.Length(fig7W)*vg.Inch, vg.Length(fig7H)*vg.Inch))
	size := dc.Size()
	halfX := fig7HalfY * float64(size.X) / float64(size.Y)
	p.X.Min, p.X.Max = -halfX, halfX
	return p, nil
}
