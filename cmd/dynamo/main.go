// Command dynamo is the project's one binary: it runs simulations, sweeps
// seeds, checks histories and regenerates the paper's evaluation (and, as
// later issues land, runs real nodes and clusters and benchmarks them).
package main

import (
	"fmt"
	"io"
	"os"
)

// Exit statuses shared by every subcommand.
const (
	exitOK      = 0
	exitFailed  = 1 // a must-hold check failed, or the run itself failed
	exitBadArgs = 2 // the command line was wrong
)

const usage = `usage: dynamo <command> [flags]

commands:
  sim     run one seeded simulation, check it, print a summary and its trace hash
  check   check a saved history file
  sweep   run a range of seeds in parallel, print failing seeds and a summary
  experiment  regenerate the paper's figures and tables (CSV, PNG, SVG, RESULTS.md)
  get     read a key from a running cluster (value on stdout, context on stderr)
  put     write a key (VALUE, or - for standard input)
  delete  delete a key
  node    run one real storage node (TCP between nodes, HTTP for clients, a log on disk)
  cluster start a local cluster of node processes on loopback; Ctrl-C stops them
  bench   measure a local cluster (bench cluster) or a node's recovery (bench recovery)

Run 'dynamo <command> -h' for a command's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitBadArgs
	}
	switch args[0] {
	case "sim":
		return runSim(args[1:], stdout, stderr)
	case "check":
		return runCheck(args[1:], stdout, stderr)
	case "experiment":
		return runExperiment(args[1:], stdout, stderr)
	case "sweep":
		return runSweep(args[1:], stdout, stderr)
	case "get":
		return runGet(args[1:], stdout, stderr)
	case "put":
		return runPut(args[1:], stdout, stderr)
	case "delete":
		return runDelete(args[1:], stdout, stderr)
	case "node":
		return runNode(args[1:], stdout, stderr)
	case "cluster":
		return runCluster(args[1:], stdout, stderr)
	case "bench":
		return runBench(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "dynamo: unknown command %q\n\n%s", args[0], usage)
		return exitBadArgs
	}
}
