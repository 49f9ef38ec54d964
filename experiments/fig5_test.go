package experiments

import "testing"

// TestFig5Shape checks, at quick scale, that buffered writes are at least 2
// times lower than direct ones at the peak 99.9th percentile, and that the
// durable replica keeps single-node crashes from losing acknowledged writes.
func TestFig5Shape(t *testing.T) {
	if testing.Short() {
		t.Skip("a quick-scale run: seconds")
	}
	r, d, err := runFig5(Quick, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f := d.PeakDirect / d.PeakBuf; f < 2 {
		t.Errorf("peak-hour p99.9: direct %.1f ms, buffered %.1f ms, %.2fx; want at least 2x", d.PeakDirect, d.PeakBuf, f)
	}
	if d.NightDirect >= d.PeakDirect {
		t.Errorf("direct writes no slower at the peak (%.1f ms) than at night (%.1f ms)", d.PeakDirect, d.NightDirect)
	}
	if d.Crash.Crashes == 0 || d.Crash.Acked == 0 {
		t.Fatalf("the crash run crashed %d nodes and acknowledged %d writes", d.Crash.Crashes, d.Crash.Acked)
	}
	if d.Crash.Lost != 0 {
		t.Errorf("buffered writes with a durable replica lost %d acknowledged writes to %d single-node crashes: %v", d.Crash.Lost, d.Crash.Crashes, d.Crash.LostExamples)
	}
	if len(r.Rows) != 24 || len(r.Figures) != 1 {
		t.Errorf("%d rows, %d figures", len(r.Rows), len(r.Figures))
	}
	if err := WriteOutputs(t.TempDir(), r); err != nil {
		t.Fatal(err)
	}
}
