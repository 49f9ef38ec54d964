package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	gonet "net"
	"net/http"
	_ "net/http/pprof" // for --pprof
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/disk"
	"github.com/dynamo-replay/dynamo/net/driver"
	"github.com/dynamo-replay/dynamo/net/httpapi"
)

const nodeUsage = `usage: dynamo node --id ID --data DIR [--listen ADDR] [--http ADDR]
                   [--peers ID=ADDR,...] [--join ADDR] [flags]

Runs one storage node: peer traffic on --listen (TCP), clients on --http, its
log in --data. The cluster's first members are given with --peers (the same
list on every node, this node included); a node added later is given --join
with any member's peer address. With neither, the node is a cluster of its
own with N=R=W=1. SIGTERM or Ctrl-C stops it gracefully: requests in flight
finish, the log is flushed and closed.

flags:
`

// nodeFlags are dynamo node's flags.
type nodeFlags struct {
	id                   uint
	listen, http, data   string
	peers, join, cluster string
	advertise            string
	n, r, w              int
	faults, quiet        bool
	bug                  string
	cpuprofile           string
	pprof                bool
	gcPercent            int
	batchDelay           time.Duration
}

// plantedBugs are the defects --plant-bug can plant, for tests that prove
// the checks catch a broken node in real mode too.
var plantedBugs = map[string]func(*core.Bugs){
	"ack-before-persist": func(b *core.Bugs) { b.AckBeforePersist = true },
	"corrupt-value":      func(b *core.Bugs) { b.CorruptValue = true },
	"drop-sibling":       func(b *core.Bugs) { b.DropSibling = true },
	"wrong-merge":        func(b *core.Bugs) { b.WrongMerge = true },
	"drop-repair":        func(b *core.Bugs) { b.DropRepair = true },
}

func parseNodeFlags(args []string, stderr io.Writer) (nodeFlags, int, bool) {
	var f nodeFlags
	fs := flag.NewFlagSet("node", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, nodeUsage); fs.PrintDefaults() }
	fs.UintVar(&f.id, "id", 0, "this node's id, 1 to 65535 (required)")
	fs.StringVar(&f.listen, "listen", "127.0.0.1:7001", "peer (TCP) address to listen on")
	fs.StringVar(&f.http, "http", "127.0.0.1:8001", "client (HTTP) address to listen on")
	fs.StringVar(&f.data, "data", "", "directory of this node's log (required; created if missing)")
	fs.StringVar(&f.peers, "peers", "", "the cluster's first members, ID=ADDR,... (peer addresses, this node included)")
	fs.StringVar(&f.join, "join", "", "a member's peer address to join the cluster through")
	fs.StringVar(&f.cluster, "cluster", "dynamo", "cluster name; nodes of other clusters are refused")
	fs.StringVar(&f.advertise, "advertise", "", "peer address other nodes should dial (default: --listen)")
	fs.IntVar(&f.n, "n", 0, "replicas per key (default 3, or 1 for a node on its own)")
	fs.IntVar(&f.r, "r", 0, "default read quorum (default 2, or 1 on its own)")
	fs.IntVar(&f.w, "w", 0, "default write quorum (default 2, or 1 on its own)")
	fs.BoolVar(&f.faults, "fault-injection", false, "serve POST /admin/block?peers=ID,... and /admin/heal to partition this node")
	fs.BoolVar(&f.quiet, "quiet", false, "log only errors")
	fs.DurationVar(&f.batchDelay, "wal-batch-delay", disk.DefaultMaxBatchDelay, "longest a log append waits for others to share its fsync (group commit); 0 or less: never wait")
	fs.IntVar(&f.gcPercent, "gc-percent", 50, "Go's GOGC for the node: heap growth allowed between collections, in percent of the live heap")
	fs.BoolVar(&f.pprof, "pprof", false, "serve Go's profiles under /debug/pprof/ on the HTTP address")
	fs.StringVar(&f.cpuprofile, "cpuprofile", "", "write a CPU profile of the node's whole run to this file")
	fs.StringVar(&f.bug, "plant-bug", "", "tests only: plant a known defect (ack-before-persist, corrupt-value, drop-sibling, wrong-merge, drop-repair)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return f, exitOK, false
		}
		return f, exitBadArgs, false
	}
	bad := func(format string, a ...any) (nodeFlags, int, bool) {
		fmt.Fprintf(stderr, "node: "+format+"\n", a...)
		return f, exitBadArgs, false
	}
	switch {
	case fs.NArg() > 0:
		return bad("unexpected argument %q", fs.Arg(0))
	case f.id == 0 || f.id > 65535:
		return bad("--id must be 1 to 65535, got %d", f.id)
	case f.data == "":
		return bad("--data is required")
	case f.peers != "" && f.join != "":
		return bad("give --peers or --join, not both")
	case f.gcPercent < 10:
		return bad("--gc-percent must be at least 10, got %d", f.gcPercent)
	}
	if _, ok := plantedBugs[f.bug]; f.bug != "" && !ok {
		return bad("--plant-bug: unknown defect %q", f.bug)
	}
	if (f.n == 0) != (f.r == 0) || (f.n == 0) != (f.w == 0) {
		return bad("give --n, --r and --w together")
	}
	if f.n != 0 && (f.r < 1 || f.w < 1 || f.r > f.n || f.w > f.n) {
		return bad("--r and --w must be 1 to --n (%d), got %d and %d", f.n, f.r, f.w)
	}
	return f, 0, true
}

// parsePeers reads ID=ADDR,... .
func parsePeers(s string) (map[core.NodeID]string, error) {
	out := make(map[core.NodeID]string)
	for _, part := range strings.Split(s, ",") {
		idText, addr, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || addr == "" {
			return nil, fmt.Errorf("--peers: %q is not ID=ADDR", part)
		}
		id, err := strconv.ParseUint(idText, 10, 16)
		if err != nil || id == 0 {
			return nil, fmt.Errorf("--peers: %q: the id must be 1 to 65535", part)
		}
		if _, _, err := gonet.SplitHostPort(addr); err != nil {
			return nil, fmt.Errorf("--peers: %q: %v", part, err)
		}
		if _, dup := out[core.NodeID(id)]; dup {
			return nil, fmt.Errorf("--peers: node %d is listed twice", id)
		}
		out[core.NodeID(id)] = addr
	}
	return out, nil
}

func runNode(args []string, stdout, stderr io.Writer) int {
	f, code, ok := parseNodeFlags(args, stderr)
	if !ok {
		return code
	}
	nc := driver.NodeConfig{
		Cluster: f.cluster, ID: core.NodeID(f.id), Listen: f.listen, Advertise: f.advertise,
		DataDir: f.data, Join: f.join, N: f.n, R: f.r, W: f.w, FaultInjection: f.faults,
		WAL: disk.WALOptions{MaxBatchDelay: f.batchDelay},
	}
	if f.batchDelay <= 0 {
		nc.WAL.MaxBatchDelay = -1 // the log's "never wait"; its zero means the default
	}
	switch {
	case f.peers != "":
		peers, err := parsePeers(f.peers)
		if err != nil {
			fmt.Fprintf(stderr, "node: %v\n", err)
			return exitBadArgs
		}
		nc.Peers = peers
	case f.join == "":
		nc.Peers = map[core.NodeID]string{nc.ID: f.listen}
		if nc.N == 0 {
			nc.N, nc.R, nc.W = 1, 1, 1
		}
	}
	if plant := plantedBugs[f.bug]; plant != nil {
		nc.Tune = func(c *core.Config) { plant(&c.Bugs) }
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, "%s node %d: %s\n", time.Now().Format("15:04:05.000"), f.id, fmt.Sprintf(format, a...))
	}
	if !f.quiet {
		nc.Logf = logf
	}
	stopProfile, err := startCPUProfile(f.cpuprofile)
	if err != nil {
		fmt.Fprintf(stderr, "node: %v\n", err)
		return exitFailed
	}
	defer stopProfile()
	// Signals are caught from here on, so that one arriving during recovery
	// still stops the node in order once it is up.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	// A node's heap is mostly its store, which lives as long as the node:
	// Go's default of 100% growth between collections would double the
	// memory it needs for little CPU saved.
	debug.SetGCPercent(f.gcPercent)
	// Listen for clients first: the node records the bound address in its
	// membership entry, which is how clients find it.
	hln, err := gonet.Listen("tcp", f.http)
	if err != nil {
		fmt.Fprintf(stderr, "node: --http: %v\n", err)
		return exitFailed
	}
	nc.HTTPAddr = hln.Addr().String()
	node, err := driver.Open(nc)
	if err != nil {
		hln.Close()
		fmt.Fprintf(stderr, "node: %v\n", err)
		return exitFailed
	}
	// Recovery read the log whole and decoded every record; that garbage
	// is gone now, and its pages can go back to the system at once rather
	// than after the scavenger's minutes.
	debug.FreeOSMemory()
	api := httpapi.New(node, httpapi.Options{AllowAdmin: true, Logf: logf})
	handler := http.Handler(api)
	if node.Faulty != nil {
		handler = faultHandler(node.Faulty, api)
	}
	if f.pprof {
		handler = withPprof(handler)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(hln) }()
	info := node.Info()
	fmt.Fprintf(stdout, "node %d: cluster %q, peer %s, http %s, data %s, incarnation %d, %d keys recovered\n",
		f.id, f.cluster, node.PeerAddr, nc.HTTPAddr, f.data, info.Node.Incarnation, info.Node.Keys)
	if f.join != "" {
		go func() {
			if err := node.Joined(); err != nil {
				logf("join failed: %v", err)
			} else {
				logf("joined the ring through %s", f.join)
			}
		}()
	}

	status := exitOK
	select {
	case s := <-sigs:
		logf("%v: stopping", s)
	case <-node.Done():
		fmt.Fprintf(stderr, "node %d: stopped: %v\n", f.id, node.Err())
		status = exitFailed
	case err := <-served:
		fmt.Fprintf(stderr, "node %d: http: %v\n", f.id, err)
		status = exitFailed
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logf("http shutdown: %v", err)
	}
	if err := node.Close(); err != nil {
		fmt.Fprintf(stderr, "node %d: closing: %v\n", f.id, err)
		status = exitFailed
	}
	if status == exitOK {
		logf("stopped cleanly")
	}
	return status
}

// faultHandler adds the fault-injection endpoints in front of the API. Only
// their two exact paths are taken: everything else goes to the API untouched
// (a ServeMux in front would clean and redirect keys such as "a//b").
func faultHandler(f *driver.Faulty, api http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /admin/block", func(w http.ResponseWriter, r *http.Request) {
		var ids []core.NodeID
		for _, s := range strings.Split(r.URL.Query().Get("peers"), ",") {
			id, err := strconv.ParseUint(strings.TrimSpace(s), 10, 16)
			if err != nil || id == 0 {
				http.Error(w, fmt.Sprintf("bad peers parameter %q: want ID,ID,...", r.URL.Query().Get("peers")), http.StatusBadRequest)
				return
			}
			ids = append(ids, core.NodeID(id))
		}
		f.Block(ids...)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /admin/heal", func(w http.ResponseWriter, r *http.Request) {
		f.Heal()
		w.WriteHeader(http.StatusNoContent)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; p == "/admin/block" || p == "/admin/heal" {
			mux.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// withPprof serves net/http/pprof's handlers (registered on the default mux)
// under /debug/pprof/, and everything else with h.
func withPprof(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/debug/pprof/") {
			http.DefaultServeMux.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}
