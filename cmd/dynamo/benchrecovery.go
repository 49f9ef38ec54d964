package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dynamo-replay/dynamo/net/client"
)

// benchRecovery loads one node with f.values values, measures its resident
// memory, kills it, and times its restart until it answers again.
func benchRecovery(self string, f benchFlags, stdout, stderr io.Writer) int {
	dir := filepath.Join(f.data, "recovery")
	nodes, err := startBenchNodes(self, 1, dir, f.nodeFlags, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return exitFailed
	}
	node := nodes[0]
	defer func() { stopNodes(nodes, 15*time.Second) }()
	cl, err := client.New(client.Options{Addrs: []string{node.http}})
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return exitFailed
	}
	defer cl.Close()
	value := make([]byte, f.valueSize)
	var next, failed atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range f.clients {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(f.values) {
					return
				}
				if err := cl.Put(context.Background(), fmt.Sprintf("value-%08d", i), value, nil); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	load := time.Since(start)
	rss, err := residentBytes(node.cmd.Process.Pid)
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "loaded %d %d-byte values in %v (%.0f puts/s, %d failed); resident %.0f MB\n",
		f.values, f.valueSize, load.Round(time.Millisecond), float64(f.values)/load.Seconds(), failed.Load(), float64(rss)/1e6)

	node.cmd.Process.Signal(syscall.SIGKILL)
	<-node.done
	start = time.Now()
	restarted, err := startChild(self, 1, node.args, node.http, io.Discard)
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return exitFailed
	}
	nodes[0] = restarted
	if err := waitReady(nodes, 5*time.Minute); err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return exitFailed
	}
	back := time.Since(start)
	rss, _ = residentBytes(restarted.cmd.Process.Pid)
	res, err := cl.Get(context.Background(), fmt.Sprintf("value-%08d", f.values-1))
	if err != nil || !res.Found {
		fmt.Fprintf(stderr, "bench: the last value is missing after recovery: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "after SIGKILL: back from its log in %v (process start to first answer); resident %.0f MB\n", back.Round(time.Millisecond), float64(rss)/1e6)
	return exitOK
}

// residentBytes reads a process's resident set size from /proc (Linux).
func residentBytes(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("reading resident memory: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("reading resident memory: bad VmRSS line %q", line)
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("reading resident memory: no VmRSS in /proc/%d/status", pid)
}
