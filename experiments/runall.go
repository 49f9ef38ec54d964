package experiments

import (
	"fmt"
	"path/filepath"
)

// Progress hears how far a run of experiments is: the experiment running, its
// units done and total, and how many experiments are finished.
type Progress func(name string, done, total, finished, experiments int)

// RunAll runs the experiments in order at one scale and seed, writes each
// one's outputs into outDir, and, when resultsPath is set, RESULTS.md there
// with figure links relative to it. It stops at the first failure.
func RunAll(exps []Experiment, scale Scale, seed uint64, outDir, resultsPath string, progress Progress) ([]*Result, error) {
	var results []*Result
	for i, e := range exps {
		report := func(done, total int) {
			if progress != nil {
				progress(e.Name, done, total, i, len(exps))
			}
		}
		r, err := e.Run(scale, seed, report)
		if err != nil {
			return results, fmt.Errorf("%s: %w", e.Name, err)
		}
		if err := WriteOutputs(outDir, r); err != nil {
			return results, err
		}
		results = append(results, r)
	}
	if resultsPath != "" {
		rel, err := filepath.Rel(filepath.Dir(resultsPath), outDir)
		if err != nil {
			rel = outDir
		}
		if err := WriteResultsMD(resultsPath, filepath.ToSlash(rel), results); err != nil {
			return results, err
		}
	}
	return results, nil
}
