package experiments

import (
	"os"
	"testing"
	"time"
)

// TestDivergenceShape checks the paper's claims at quick scale: at least 99.9%
// of reads see one version at paper-like concurrency, and more versions as
// concurrent writers grow.
func TestDivergenceShape(t *testing.T) {
	if testing.Short() {
		t.Skip("a quick-scale run of the experiment")
	}
	start := time.Now()
	r, data, err := divRunWith(Quick, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("divergence quick: %s", time.Since(start).Round(time.Millisecond))
	for _, run := range data.Runs {
		t.Logf("%-10s robots=%2d rate=%-4g existing=%6d multi=%.4f%% mean=%.4f max=%d sim=%s",
			run.Group, run.Robots, run.Rate, run.existing(), 100*run.multi(), run.meanVersions(), len(run.Reads)-1, run.SimTime.Round(time.Second))
	}
	p := data.paper()
	if one := divShare(p.count(1), p.existing()); !(one >= 0.999) {
		t.Errorf("paper-like run: %.4f%% of reads saw one version, want at least 99.9%%", 100*one)
	}
	if p.existing() < 10_000 {
		t.Errorf("paper-like run: only %d reads of existing carts", p.existing())
	}
	ws := data.writers()
	robots, rates := divSweeps(Quick)
	if len(ws) != len(robots) || len(data.failures()) != len(rates) {
		t.Fatalf("sweeps of %d and %d points", len(ws), len(data.failures()))
	}
	if last, first := ws[len(ws)-1], ws[0]; !(last.multi() > first.multi()) {
		t.Errorf("%d robots: %.4f%% multi-version reads, not above %.4f%% with %d", last.Robots, 100*last.multi(), 100*first.multi(), first.Robots)
	}
	if last, first := ws[len(ws)-1], ws[0]; !(last.meanVersions() > first.meanVersions()) {
		t.Errorf("%d robots: %.4f versions per read, not above %.4f with %d", last.Robots, last.meanVersions(), first.meanVersions(), first.Robots)
	}
	for _, c := range r.Compare {
		t.Logf("%-60.60s paper %g ours %g holds %v", c.Claim, c.Paper, c.Ours, c.Holds)
	}
	if dir := os.Getenv("FIG6_OUT"); dir != "" {
		if err := WriteOutputs(dir, r); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDivergenceAgrees checks the factor-of-10 comparison with the paper's
// percentages.
func TestDivergenceAgrees(t *testing.T) {
	for _, c := range []struct {
		pct      float64
		count, n int
		want     bool
	}{
		{0.00057, 0, 100_000, true},      // expected 0.57 reads: seeing none agrees
		{0.00057, 0, 1_000_000, false},   // expected 5.7: seeing none does not
		{0.00057, 5, 1_000_000, true},    // 0.0005%
		{0.00057, 100, 1_000_000, false}, // 0.01%: 17 times the paper's
	} {
		if got := divAgrees(c.pct, c.count, c.n); got != c.want {
			t.Errorf("divAgrees(%g, %d, %d) = %v, want %v", c.pct, c.count, c.n, got, c.want)
		}
	}
}
