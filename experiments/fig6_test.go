package experiments

import (
	"math"
	"os"
	"testing"
	"time"
)

// TestFig6Shape checks the paper's claim at quick scale: the imbalance ratio is
// higher at low load than at high load.
func TestFig6Shape(t *testing.T) {
	if testing.Short() {
		t.Skip("a quick-scale run of the experiment")
	}
	start := time.Now()
	r, data, err := fig6Run(Quick, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fig6 quick: %s", time.Since(start).Round(time.Millisecond))
	main := data.summary(0)
	q := main.Q[0][0]
	t.Logf("%s: high-load quarter %.3f, low-load quarter %.3f (max %.3f), corr %.3f, static %.3f",
		data.Setups[0].Label, q.HighMean, q.LowMean, q.LowMax, main.Corr, main.Static)
	if !(q.LowMean > q.HighMean) {
		t.Errorf("imbalance at low load %.3f not above high load %.3f", q.LowMean, q.HighMean)
	}
	if !(main.Corr < 0) {
		t.Errorf("correlation of imbalance with load %.3f, want negative", main.Corr)
	}
	for _, w := range data.Days[0][0].Windows {
		for m := range 2 {
			for side := range 2 {
				if x := w.Ratio[m][side]; math.IsNaN(x) || x < 0 || x > 1 {
					t.Fatalf("window at %s: ratio %v out of [0,1]", w.Start, x)
				}
			}
		}
	}
	if len(r.Rows) != fig6Windows*len(data.Setups) {
		t.Errorf("%d rows, want %d", len(r.Rows), fig6Windows*len(data.Setups))
	}
	for _, c := range r.Compare {
		t.Logf("%-80s paper %.3f ours %.3f holds %v", c.Claim, c.Paper, c.Ours, c.Holds)
	}
	if dir := os.Getenv("FIG6_OUT"); dir != "" {
		if err := WriteOutputs(dir, r); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFig6Imbalance checks the out-of-balance count on small cases.
func TestFig6Imbalance(t *testing.T) {
	// mean 100: 85 and 115 are exactly 15% off and count; 86 and 114 do not.
	two, above := fig6Imbalance([]uint64{85, 115, 86, 114, 100, 100, 100, 100})
	if two != 2.0/8 || above != 1.0/8 {
		t.Errorf("got two-sided %v above %v, want 0.25 and 0.125", two, above)
	}
	if q := fig6PaperQuarters(); !(q.LowMean > q.HighMean) {
		t.Errorf("paper's DIGITIZED series: low-load mean %.3f not above high-load %.3f", q.LowMean, q.HighMean)
	}
	if len(fig6PaperLoad) != fig6Windows || len(fig6PaperRatio) != fig6Windows {
		t.Fatalf("paper series of %d and %d windows", len(fig6PaperLoad), len(fig6PaperRatio))
	}
}
