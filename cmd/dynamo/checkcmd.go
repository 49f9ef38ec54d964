package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/dynamo-replay/dynamo/checks"
)

func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dynamo check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	viz := fs.String("viz", "", "write porcupine's HTML timeline to this file")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	timeout := fs.Duration("timeout", checks.DefaultTimeout, "porcupine's time budget (0: none)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: dynamo check FILE [--viz OUT.html] [--json] [--timeout D]")
		fs.PrintDefaults()
	}
	file, code, ok := parseOneArgument(fs, args, "file", stderr)
	if !ok {
		return code
	}
	h, err := checks.Load(file)
	if err != nil {
		fmt.Fprintf(stderr, "dynamo check: %v\n", err)
		return exitBadArgs
	}
	t := *timeout
	if t == 0 {
		t = -1
	}
	rep := checks.Run(h, checks.Options{Timeout: t})
	if *viz != "" {
		if err := checks.WriteVisualizationFile(h, rep.Linearizability, *viz); err != nil {
			fmt.Fprintf(stderr, "dynamo check: writing %s: %v\n", *viz, err)
			return exitFailed
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else {
		fmt.Fprintf(stdout, "history %s: seed %d, %d ops\n", file, h.Seed, len(h.Ops))
		rep.WriteText(stdout)
	}
	if rep.Failed() {
		return exitFailed
	}
	return exitOK
}
