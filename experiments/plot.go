package experiments

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Palette gives series distinct, print-safe colours in a fixed order.
var Palette = []color.Color{
	color.RGBA{0, 90, 181, 255},  // blue
	color.RGBA{220, 50, 32, 255}, // red
	color.RGBA{0, 140, 70, 255},  // green
	color.RGBA{150, 60, 170, 255},
	color.RGBA{230, 140, 0, 255},
	color.RGBA{90, 90, 90, 255},
}

// NewPlot is a plot with a title, axis labels and a legend at the top left.
func NewPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	return p
}

// LogY makes the y axis logarithmic (values must be positive).
func LogY(p *plot.Plot) {
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
}

// AddLine adds a series; NaN points are skipped. dashed draws it dashed, as
// the paper draws some of its series.
func AddLine(p *plot.Plot, label string, xs, ys []float64, i int, dashed bool) error {
	pts := make(plotter.XYs, 0, len(xs))
	for k := range xs {
		if math.IsNaN(ys[k]) || math.IsInf(ys[k], 0) {
			continue
		}
		pts = append(pts, plotter.XY{X: xs[k], Y: ys[k]})
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	l.Color = Palette[i%len(Palette)]
	l.Width = vg.Points(1.2)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
	p.Add(l)
	p.Legend.Add(label, l)
	return nil
}

// AddPoints adds a series of markers with a line between them.
func AddPoints(p *plot.Plot, label string, xs, ys []float64, i int) error {
	pts := make(plotter.XYs, 0, len(xs))
	for k := range xs {
		if !math.IsNaN(ys[k]) {
			pts = append(pts, plotter.XY{X: xs[k], Y: ys[k]})
		}
	}
	l, s, err := plotter.NewLinePoints(pts)
	if err != nil {
		return err
	}
	c := Palette[i%len(Palette)]
	l.Color, s.Color = c, c
	s.Shape = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.BoxGlyph{}, draw.TriangleGlyph{}, draw.PyramidGlyph{}, draw.CrossGlyph{}}[i%5]
	p.Add(l, s)
	p.Legend.Add(label, l, s)
	return nil
}
