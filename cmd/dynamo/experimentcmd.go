package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/dynamo-replay/dynamo/experiments"
)

func runExperiment(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dynamo experiment", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "directory for the CSVs, PNGs and SVGs (required)")
	seed := fs.Uint64("seed", 1, "the seed every experiment derives its runs from")
	scaleFlag := fs.String("scale", "quick", "quick (everything in under 2 minutes) or full (the committed results)")
	results := fs.String("results", "", "where to write RESULTS.md when running all (default: OUT/RESULTS.md)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: dynamo experiment NAME|all --out DIR [--seed N] [--scale quick|full] [--results FILE]")
		fmt.Fprint(stderr, "experiments:")
		for _, e := range experiments.All() {
			fmt.Fprintf(stderr, " %s", e.Name)
		}
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	name, code, ok := parseOneArgument(fs, args, "experiment", stderr)
	if !ok {
		return code
	}
	if *out == "" {
		fmt.Fprintln(stderr, "dynamo experiment: --out is required")
		return exitBadArgs
	}
	scale, err := experiments.ParseScale(*scaleFlag)
	if err != nil {
		fmt.Fprintf(stderr, "dynamo experiment: --scale: %v\n", err)
		return exitBadArgs
	}
	var exps []experiments.Experiment
	resultsPath := ""
	if name == "all" {
		exps = experiments.All()
		resultsPath = *results
		if resultsPath == "" {
			resultsPath = filepath.Join(*out, "RESULTS.md")
		}
	} else {
		e, err := experiments.Find(name)
		if err != nil {
			fmt.Fprintf(stderr, "dynamo experiment: %v\n", err)
			return exitBadArgs
		}
		exps = []experiments.Experiment{e}
	}
	start := time.Now()
	var progress experiments.Progress
	if isTerminal(os.Stderr) && os.Getenv("CI") == "" {
		progress = func(exp string, done, total, finished, count int) {
			frac := (float64(finished) + float64(done)/float64(max(total, 1))) / float64(count)
			eta := ""
			if frac > 0.02 {
				left := time.Duration(float64(time.Since(start)) * (1 - frac) / frac)
				eta = fmt.Sprintf(", about %s left", left.Round(time.Second))
			}
			fmt.Fprintf(os.Stderr, "\r%-12s %d/%d  (%d of %d experiments done%s)   ", exp, done, total, finished, count, eta)
		}
	}
	res, err := experiments.RunAll(exps, scale, *seed, *out, resultsPath, progress)
	if progress != nil {
		fmt.Fprintln(os.Stderr)
	}
	for _, r := range res {
		holds := 0
		for _, c := range r.Compare {
			if c.Holds {
				holds++
			}
		}
		fmt.Fprintf(stdout, "%-12s %d of %d of the paper's claims hold; outputs in %s\n", r.Name, holds, len(r.Compare), *out)
	}
	if err != nil {
		fmt.Fprintf(stderr, "dynamo experiment: %v\n", err)
		return exitFailed
	}
	if resultsPath != "" {
		fmt.Fprintf(stdout, "wrote %s\n", resultsPath)
	}
	fmt.Fprintf(stdout, "%d experiments in %s\n", len(res), time.Since(start).Round(time.Millisecond))
	return exitOK
}
