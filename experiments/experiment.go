package experiments

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/plot"
)

// Scale is how big a run is: Quick for tests and a first look (every
// experiment together in under two minutes), Full for the committed results
// (every experiment together in under ten minutes on two cores).
type Scale string

const (
	Quick Scale = "quick"
	Full  Scale = "full"
)

// ParseScale parses "quick" or "full".
func ParseScale(s string) (Scale, error) {
	switch Scale(s) {
	case Quick, Full:
		return Scale(s), nil
	}
	return "", fmt.Errorf("unknown scale %q (want quick or full)", s)
}

// Param is one parameter or assumption of a run, recorded in the CSV header
// and in RESULTS.md. Assumption marks a choice the paper leaves open.
type Param struct {
	Name, Value string
	Assumption  bool
}

// Figure is one drawing of a result, saved as <experiment>-<Name>.png and .svg
// (or <experiment>.png when Name is empty).
type Figure struct {
	Name          string
	Plot          *plot.Plot
	Width, Height float64 // inches; zero means 7 by 4.5
}

// Comparison puts one of the paper's numbers beside ours. Paper is NaN when the
// paper gives only a qualitative claim; Holds says whether the paper's claim
// holds in our run.
type Comparison struct {
	Claim string  // what the paper claims, in its words or close to them
	Paper float64 // the paper's number (NaN if none)
	Ours  float64
	Unit  string
	Holds bool
	Note  string // how the paper's number was obtained (quoted, DIGITIZED), or why they differ
}

// Ratio is ours over the paper's, NaN without a paper number.
func (c Comparison) Ratio() float64 {
	if math.IsNaN(c.Paper) || c.Paper == 0 {
		return math.NaN()
	}
	return c.Ours / c.Paper
}

// Result is what one run of an experiment produced.
type Result struct {
	Name    string // file-name stem: fig4, table2, ...
	Title   string
	Seed    uint64
	Scale   Scale
	Params  []Param
	Columns []string
	Rows    [][]string
	Figures []Figure
	Compare []Comparison
	Notes   []string // prose for RESULTS.md: what to look at, what differs and why
}

// Experiment is one figure or table of the paper, or one study beyond it.
type Experiment struct {
	Name  string
	Title string
	// Run performs the experiment. progress, if not nil, is told how many of
	// its units of work are done; it must not be called concurrently.
	Run func(scale Scale, seed uint64, progress func(done, total int)) (*Result, error)
}

var registry []Experiment

// Register adds an experiment; each file registers its own in an init.
func Register(e Experiment) { registry = append(registry, e) }

// All returns every registered experiment, in name order.
func All() []Experiment {
	out := append([]Experiment(nil), registry...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Find returns the named experiment.
func Find(name string) (Experiment, error) {
	var names []string
	for _, e := range All() {
		if e.Name == name {
			return e, nil
		}
		names = append(names, e.Name)
	}
	return Experiment{}, fmt.Errorf("unknown experiment %q (have %v, or all)", name, names)
}
