package main

import (
	"flag"
	"fmt"
	"io"
	gonet "net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const clusterUsage = `usage: dynamo cluster [--nodes 3] [--data DIR] [flags]

Starts a local cluster of separate node processes on loopback, prints their
HTTP addresses, and stops them all on Ctrl-C (SIGINT) or SIGTERM. Each node
keeps its log in DIR/node-ID, so a second run on the same DIR recovers the
data. Kill a node (kill -9 PID) to watch the others carry on; the cluster
command does not restart it (run the printed node command to). A cluster of
fewer than 3 nodes replicates each key on every node: its nodes get
--n, --r and --w capped at its size (a --node-flags setting of them wins).

flags:
`

type clusterFlags struct {
	nodes              int
	data, cluster      string
	peerBase, httpBase int
	nodeArgs           string
}

func runCluster(args []string, stdout, stderr io.Writer) int {
	var f clusterFlags
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, clusterUsage); fs.PrintDefaults() }
	fs.IntVar(&f.nodes, "nodes", 3, "number of nodes, 1 to 64")
	fs.StringVar(&f.data, "data", "", "directory of the nodes' logs (default: a new temporary directory)")
	fs.StringVar(&f.cluster, "cluster", "dynamo", "cluster name")
	fs.IntVar(&f.peerBase, "peer-port", 7001, "peer port of node 1 (node i gets peer-port+i-1); 0 picks free ports")
	fs.IntVar(&f.httpBase, "http-port", 8001, "HTTP port of node 1 (node i gets http-port+i-1); 0 picks free ports")
	fs.StringVar(&f.nodeArgs, "node-flags", "", "extra flags for every node, space separated (e.g. \"--fault-injection\")")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitOK
		}
		return exitBadArgs
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "cluster: unexpected argument %q\n", fs.Arg(0))
		return exitBadArgs
	case f.nodes < 1 || f.nodes > 64:
		fmt.Fprintf(stderr, "cluster: --nodes must be 1 to 64, got %d\n", f.nodes)
		return exitBadArgs
	case f.peerBase < 0 || f.peerBase+f.nodes > 65536 || f.httpBase < 0 || f.httpBase+f.nodes > 65536:
		fmt.Fprintf(stderr, "cluster: --peer-port and --http-port must leave room for %d ports below 65536\n", f.nodes)
		return exitBadArgs
	}
	if f.data == "" {
		dir, err := os.MkdirTemp("", "dynamo-cluster-")
		if err != nil {
			fmt.Fprintf(stderr, "cluster: %v\n", err)
			return exitFailed
		}
		f.data = dir
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "cluster: finding this binary: %v\n", err)
		return exitFailed
	}
	var hold portHold
	peerAddrs, err := clusterAddrs(&hold, f.nodes, f.peerBase)
	if err == nil {
		var httpAddrs []string
		httpAddrs, err = clusterAddrs(&hold, f.nodes, f.httpBase)
		if err == nil {
			hold.release()
			return superviseCluster(self, f, peerAddrs, httpAddrs, stdout, stderr)
		}
	}
	hold.release()
	fmt.Fprintf(stderr, "cluster: %v\n", err)
	return exitFailed
}

// clusterAddrs gives n loopback addresses from base, or free ones for base 0.
// Free ports are found by listening on port 0; every listener stays open
// until all the ports are picked (hold.release), so that no port is handed
// out twice.
func clusterAddrs(hold *portHold, n, base int) ([]string, error) {
	out := make([]string, n)
	for i := range out {
		if base != 0 {
			out[i] = fmt.Sprintf("127.0.0.1:%d", base+i)
			continue
		}
		ln, err := gonet.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		hold.listeners = append(hold.listeners, ln)
		out[i] = ln.Addr().String()
	}
	return out, nil
}

// portHold keeps picked ports taken until the nodes are about to bind them.
type portHold struct{ listeners []gonet.Listener }

func (h *portHold) release() {
	for _, ln := range h.listeners {
		ln.Close()
	}
	h.listeners = nil
}

func superviseCluster(self string, f clusterFlags, peerAddrs, httpAddrs []string, stdout, stderr io.Writer) int {
	var peers []string
	for i, a := range peerAddrs {
		peers = append(peers, fmt.Sprintf("%d=%s", i+1, a))
	}
	// From the first child on, a signal must stop the children: they run
	// in process groups of their own, so Ctrl-C reaches only this process,
	// and dying of it would leave them running.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	var out sync.Mutex // children's lines interleave whole
	children := make([]*childNode, 0, f.nodes)
	stopAll := func() { stopNodes(children, 15*time.Second) }
	for i := range f.nodes {
		id := i + 1
		args := []string{"node", "--id", strconv.Itoa(id), "--cluster", f.cluster,
			"--listen", peerAddrs[i], "--http", httpAddrs[i],
			"--data", filepath.Join(f.data, fmt.Sprintf("node-%d", id)), "--peers", strings.Join(peers, ",")}
		if f.nodes < 3 {
			// The node's defaults, N=3 and R=W=2, need 3 nodes.
			n, q := strconv.Itoa(f.nodes), strconv.Itoa(min(2, f.nodes))
			args = append(args, "--n", n, "--r", q, "--w", q)
		}
		args = append(args, strings.Fields(f.nodeArgs)...)
		c, err := startChild(self, id, args, httpAddrs[i], &prefixWriter{prefix: fmt.Sprintf("[node %d] ", id), w: stderr, mu: &out})
		if err != nil {
			fmt.Fprintf(stderr, "cluster: %v\n", err)
			stopAll()
			return exitFailed
		}
		children = append(children, c)
	}
	ready := make(chan error, 1)
	go func() { ready <- waitReady(children, 30*time.Second) }()
	select {
	case err := <-ready:
		if err != nil {
			fmt.Fprintf(stderr, "cluster: %v\n", err)
			stopAll()
			return exitFailed
		}
	case s := <-sigs:
		fmt.Fprintf(stderr, "cluster: %v before the nodes were ready: stopping %d nodes\n", s, len(children))
		stopAll()
		return exitFailed
	}
	out.Lock()
	fmt.Fprintf(stdout, "cluster %q: %d nodes, logs in %s\n", f.cluster, f.nodes, f.data)
	for _, c := range children {
		fmt.Fprintf(stdout, "  node %d: http://%s  pid %d\n", c.id, c.http, c.cmd.Process.Pid)
	}
	fmt.Fprintf(stdout, "try:\n  curl -X PUT --data-binary hello http://%s/kv/greeting\n  curl -i http://%s/kv/greeting\n", children[0].http, children[0].http)
	fmt.Fprintf(stdout, "restart a killed node with:\n  %s %s\nCtrl-C stops the cluster.\n", self, strings.Join(children[0].args, " "))
	out.Unlock()

	exited := make(chan *childNode, len(children))
	for _, c := range children {
		go func() { <-c.done; exited <- c }()
	}
	for alive := len(children); alive > 0; {
		select {
		case s := <-sigs:
			fmt.Fprintf(stderr, "cluster: %v: stopping %d nodes\n", s, alive)
			stopAll()
			return exitOK
		case c := <-exited:
			alive--
			fmt.Fprintf(stderr, "cluster: node %d (pid %d) exited: %v\n", c.id, c.cmd.Process.Pid, exitText(c.err))
		}
	}
	fmt.Fprintln(stderr, "cluster: every node has exited")
	return exitFailed
}
