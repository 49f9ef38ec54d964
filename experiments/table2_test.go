package experiments

import "testing"

// TestTable2Shape checks, at quick scale, that client-driven coordination is
// lower than server-driven at both the average and the 99.9th percentile, for
// reads and writes, and that it gains far more at the 99.9th percentile.
func TestTable2Shape(t *testing.T) {
	if testing.Short() {
		t.Skip("a quick-scale run: seconds")
	}
	r, d, err := runTable2(Quick, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"p99.9 read", "p99.9 write", "avg read", "avg write"}
	for i, n := range names {
		if s, c := d.Server.Cells[i], d.Client.Cells[i]; !(c < s) {
			t.Errorf("%s: client-driven %.2f ms, server-driven %.2f ms; want client lower", n, c, s)
		}
	}
	for _, k := range []int{0, 1} {
		p999 := d.Server.Cells[k] - d.Client.Cells[k]
		avg := d.Server.Cells[k+2] - d.Client.Cells[k+2]
		if p999 < 2*avg {
			t.Errorf("%s: gain at p99.9 %.2f ms is not well above the average's %.2f ms", names[k], p999, avg)
		}
	}
	if len(r.Rows) != 4 || len(r.Figures) != 2 {
		t.Errorf("%d rows, %d figures; want the 2x4 table with the paper's rows, and two bar charts", len(r.Rows), len(r.Figures))
	}
	if err := WriteOutputs(t.TempDir(), r); err != nil {
		t.Fatal(err)
	}
}
