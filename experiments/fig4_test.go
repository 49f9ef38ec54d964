package experiments

import (
	"strings"
	"testing"
)

// TestFig4Shape checks, at quick scale, what the paper claims of Figure 4:
// 99.9th percentiles at least 5 times the averages, writes above reads, and a
// visible daily period (in writes: the simulator's reads have no
// load-dependent cost, see the notes).
func TestFig4Shape(t *testing.T) {
	if testing.Short() {
		t.Skip("a quick-scale run: seconds")
	}
	r, d, err := runFig4(Quick, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(r.Rows), 24*fig4Days(Quick); got != want {
		t.Fatalf("%d rows, want one per hour, %d", got, want)
	}
	for _, h := range d.Hours {
		if len(h.Gets) == 0 || len(h.Puts) == 0 {
			t.Fatalf("an hour without gets or puts: %d gets, %d puts", len(h.Gets), len(h.Puts))
		}
	}
	if d.MedRatioRead < 5 || d.MedRatioWrite < 5 {
		t.Errorf("p99.9 over average (median hour): reads %.1fx, writes %.1fx; want at least 5x", d.MedRatioRead, d.MedRatioWrite)
	}
	if d.MedAvgWrite <= d.MedAvgRead || d.MedP999Write <= d.MedP999Read {
		t.Errorf("writes not above reads: avg %.1f vs %.1f ms, p99.9 %.1f vs %.1f ms", d.MedAvgWrite, d.MedAvgRead, d.MedP999Write, d.MedP999Read)
	}
	if d.PoolSwingP999Write < 1.5 {
		t.Errorf("p99.9 writes at the peak hours only %.2fx the trough hours; want a visible daily period (1.5x)", d.PoolSwingP999Write)
	}
	for day, s := range d.SwingP999Write {
		if s <= 1 {
			t.Errorf("day %d: p99.9 writes no higher at the peak than at the trough (%.2fx)", day, s)
		}
	}
	if d.CorrWrite < 0.3 {
		t.Errorf("correlation of hourly load with hourly p99.9 writes %.2f; want clearly positive", d.CorrWrite)
	}
	if d.PoolSwingAvgWrite < 1.1 {
		t.Errorf("average writes at the peak only %.2fx the trough", d.PoolSwingAvgWrite)
	}
	var compression bool
	for _, p := range r.Params {
		if strings.HasPrefix(p.Name, "time compression") && p.Assumption {
			compression = true
		}
	}
	if !compression {
		t.Error("the time compression is not recorded as an assumption")
	}
	if len(r.Figures) != 1 || len(r.Compare) == 0 || len(r.Notes) == 0 {
		t.Errorf("figures %d, comparisons %d, notes %d", len(r.Figures), len(r.Compare), len(r.Notes))
	}
	if err := WriteOutputs(t.TempDir(), r); err != nil {
		t.Fatal(err)
	}
}
