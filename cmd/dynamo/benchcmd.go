package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

const benchUsage = `usage: dynamo bench cluster [flags]
       dynamo bench recovery [flags]

cluster: starts a local cluster of node processes (default 3, with the paper's
(3,2,2) and durable group-committed writes), drives it with concurrent clients
writing and then reading small values, and prints puts and gets per second
with p50, p99 and p99.9 latencies; then the same for a single node with N=1,
for reference. Clients and nodes share this machine's cores.

recovery: loads one node (N=1) with --values values, prints its resident
memory, kills it with SIGKILL and prints how long it takes to come back from
its log.

flags:
`

type benchFlags struct {
	nodes, clients, valueSize, values int
	duration                          time.Duration
	data, nodeFlags, cpuprofile       string
	single, clientDriven              bool
}

func runBench(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(stderr, benchUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			return exitOK
		}
		return exitBadArgs
	}
	what := args[0]
	if what != "cluster" && what != "recovery" {
		fmt.Fprintf(stderr, "bench: unknown benchmark %q (want cluster or recovery)\n", what)
		return exitBadArgs
	}
	var f benchFlags
	fs := flag.NewFlagSet("bench "+what, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, benchUsage); fs.PrintDefaults() }
	fs.IntVar(&f.nodes, "nodes", 3, "cluster: nodes")
	fs.IntVar(&f.clients, "clients", 50, "concurrent clients")
	fs.IntVar(&f.valueSize, "value-size", 100, "bytes per value")
	fs.DurationVar(&f.duration, "duration", 10*time.Second, "cluster: how long each phase (puts, then gets) runs")
	fs.IntVar(&f.values, "values", 1_000_000, "recovery: values to load")
	fs.BoolVar(&f.clientDriven, "client-driven", false, "cluster: clients route each request to the key's first replica (section 6.4) instead of round robin")
	fs.BoolVar(&f.single, "single", true, "cluster: also measure a single node with N=1")
	fs.StringVar(&f.nodeFlags, "node-flags", "", "extra flags for every node, space separated; {id} becomes the node's id (e.g. \"--cpuprofile /tmp/cpu-{id}.out\")")
	fs.StringVar(&f.cpuprofile, "cpuprofile", "", "write a CPU profile of the benchmark's clients to this file")
	fs.StringVar(&f.data, "data", "", "directory for the nodes' logs (default: a temporary directory, removed after)")
	if err := fs.Parse(args[1:]); err != nil {
		if err == flag.ErrHelp {
			return exitOK
		}
		return exitBadArgs
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "bench: unexpected argument %q\n", fs.Arg(0))
		return exitBadArgs
	case f.nodes < 1 || f.nodes > 64 || f.clients < 1 || f.valueSize < 1 || f.valueSize > 1<<20 || f.values < 1 || f.duration <= 0:
		fmt.Fprintf(stderr, "bench: --nodes 1-64, --clients and --values at least 1, --value-size 1 to 1 MiB, --duration positive\n")
		return exitBadArgs
	}
	if f.data == "" {
		dir, err := os.MkdirTemp("", "dynamo-bench-")
		if err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			return exitFailed
		}
		defer os.RemoveAll(dir)
		f.data = dir
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "bench: finding this binary: %v\n", err)
		return exitFailed
	}
	stopProfile, err := startCPUProfile(f.cpuprofile)
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return exitFailed
	}
	defer stopProfile()
	// The nodes run in process groups of their own: Ctrl-C reaches only
	// this command, which must stop them.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	result := make(chan int, 1)
	go func() { result <- benchMain(self, what, f, stdout, stderr) }()
	select {
	case status := <-result:
		return status
	case s := <-sigs:
		fmt.Fprintf(stderr, "bench: %v: stopping the nodes\n", s)
		live.stopAll(15 * time.Second)
		return exitFailed
	}
}

func benchMain(self, what string, f benchFlags, stdout, stderr io.Writer) int {
	if what == "recovery" {
		return benchRecovery(self, f, stdout, stderr)
	}
	routing := "server-driven"
	if f.clientDriven {
		routing = "client-driven"
	}
	fmt.Fprintf(stdout, "bench cluster: %d clients (%s), %d-byte values, %v per phase, durable writes with group commit\n", f.clients, routing, f.valueSize, f.duration)
	status := exitOK
	if err := benchSetup(self, f, f.nodes, filepath.Join(f.data, "cluster"), stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		status = exitFailed
	}
	if f.single {
		if err := benchSetup(self, f, 1, filepath.Join(f.data, "single"), stdout, stderr); err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			status = exitFailed
		}
	}
	return status
}

// benchSetup starts n nodes, runs the put and get phases and stops them.
func benchSetup(self string, f benchFlags, n int, dir string, stdout, stderr io.Writer) error {
	nodes, err := startBenchNodes(self, n, dir, f.nodeFlags, stderr)
	if err != nil {
		return err
	}
	defer stopNodes(nodes, 15*time.Second)
	label := fmt.Sprintf("%d nodes (3,2,2)", n)
	if n == 1 {
		label = "1 node (1,1,1)"
	}
	var addrs []string
	for _, c := range nodes {
		addrs = append(addrs, c.http)
	}
	ctx := context.Background()
	puts, err := runPhase(ctx, addrs, f, phasePut, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%-16s %s\n", label, puts.line("puts"))
	gets, err := runPhase(ctx, addrs, f, phaseGet, puts.written)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%-16s %s\n", label, gets.line("gets"))
	return nil
}

// startBenchNodes starts n quiet nodes on free loopback ports and waits until
// they answer.
func startBenchNodes(self string, n int, dir, extra string, stderr io.Writer) ([]*childNode, error) {
	var hold portHold
	defer hold.release()
	peerAddrs, err := clusterAddrs(&hold, n, 0)
	if err != nil {
		return nil, err
	}
	httpAddrs, err := clusterAddrs(&hold, n, 0)
	if err != nil {
		return nil, err
	}
	hold.release()
	var peers []string
	for i, a := range peerAddrs {
		peers = append(peers, fmt.Sprintf("%d=%s", i+1, a))
	}
	var mu sync.Mutex
	var nodes []*childNode
	for i := range n {
		id := i + 1
		args := []string{"node", "--id", fmt.Sprint(id), "--cluster", "bench", "--listen", peerAddrs[i], "--http", httpAddrs[i],
			"--data", filepath.Join(dir, fmt.Sprintf("node-%d", id)), "--quiet"}
		if n > 1 {
			args = append(args, "--peers", strings.Join(peers, ","))
		}
		args = append(args, strings.Fields(strings.ReplaceAll(extra, "{id}", fmt.Sprint(id)))...)
		c, err := startChild(self, id, args, httpAddrs[i], &prefixWriter{prefix: fmt.Sprintf("[node %d] ", id), w: stderr, mu: &mu})
		if err != nil {
			stopNodes(nodes, 5*time.Second)
			return nil, err
		}
		nodes = append(nodes, c)
	}
	if err := waitReady(nodes, 30*time.Second); err != nil {
		stopNodes(nodes, 5*time.Second)
		return nil, err
	}
	return nodes, nil
}
