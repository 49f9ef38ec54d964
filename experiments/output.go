package experiments

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot/vg"
)

// WriteOutputs writes a result's CSV (with a commented header of parameters
// and assumptions) and every figure as PNG and SVG into dir.
func WriteOutputs(dir string, r *Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeCSV(filepath.Join(dir, r.Name+".csv"), r); err != nil {
		return err
	}
	for _, f := range r.Figures {
		w, h := f.Width, f.Height
		if w == 0 {
			w, h = 7, 4.5
		}
		for _, ext := range []string{".png", ".svg"} {
			if err := f.Plot.Save(vg.Length(w)*vg.Inch, vg.Length(h)*vg.Inch, filepath.Join(dir, FigureFile(r, f)+ext)); err != nil {
				return fmt.Errorf("%s: saving %s%s: %w", r.Name, FigureFile(r, f), ext, err)
			}
		}
	}
	return nil
}

// FigureFile is the file stem of a figure.
func FigureFile(r *Result, f Figure) string {
	if f.Name == "" {
		return r.Name
	}
	return r.Name + "-" + f.Name
}

func writeCSV(path string, r *Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: %s\n", r.Name, r.Title)
	fmt.Fprintf(&b, "# seed: %d\n# scale: %s\n", r.Seed, r.Scale)
	for _, p := range r.Params {
		tag := "param"
		if p.Assumption {
			tag = "assumption"
		}
		fmt.Fprintf(&b, "# %s %s: %s\n", tag, p.Name, p.Value)
	}
	w := csv.NewWriter(&b)
	if err := w.Write(r.Columns); err != nil {
		return err
	}
	if err := w.WriteAll(r.Rows); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
