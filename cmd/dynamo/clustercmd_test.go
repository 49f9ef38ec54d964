package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// clusterCmd is a running `dynamo cluster` process.
type clusterCmd struct {
	t              *testing.T
	cmd            *exec.Cmd
	data           string
	stdout, stderr lockedBuffer
	exited         chan error // receives the exit once
	stopped        bool       // the exit has been received
}

// startClusterCmd runs `dynamo cluster --data <tempdir> args...`. Cleanup
// stops it with SIGTERM if the test did not, and kills any node process it
// left behind.
func startClusterCmd(t *testing.T, args ...string) *clusterCmd {
	t.Helper()
	if testing.Short() {
		t.Skip("starts real processes")
	}
	bin, err := buildBinary()
	require.NoError(t, err)
	c := &clusterCmd{t: t, data: t.TempDir(), exited: make(chan error, 1)}
	c.cmd = exec.Command(bin, append([]string{"cluster", "--data", c.data}, args...)...)
	c.cmd.Stdout, c.cmd.Stderr = &c.stdout, &c.stderr
	require.NoError(t, c.cmd.Start())
	go func() { c.exited <- c.cmd.Wait() }()
	t.Cleanup(func() {
		if !c.stopped {
			// The nodes run in process groups of their own: SIGTERM
			// lets the supervisor stop them before it exits.
			c.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-c.exited:
			case <-time.After(20 * time.Second):
				c.cmd.Process.Kill()
				<-c.exited
			}
		}
		if orphans := killNodesOf(c.data); len(orphans) > 0 {
			t.Errorf("node processes outlived the cluster command: pids %v", orphans)
		}
		if t.Failed() {
			t.Logf("cluster stdout:\n%s\ncluster stderr:\n%s", c.stdout.String(), c.stderr.String())
		}
	})
	return c
}

// killNodesOf kills the processes whose command line names a directory
// under data (the node processes of one test's cluster), and returns their
// pids. Without /proc it finds none.
func killNodesOf(data string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cl, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := bytes.Split(cl, []byte{0})
		if len(args) < 2 || string(args[1]) != "node" || !bytes.Contains(cl, []byte(data+string(filepath.Separator))) {
			continue
		}
		if p, err := os.FindProcess(pid); err == nil && p.Kill() == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

var clusterNodeLine = regexp.MustCompile(`(?m)^\s+node (\d+): http://(\S+)\s+pid \d+$`)

// ready waits for the line that ends the banner and returns the nodes' HTTP
// addresses by id.
func (c *clusterCmd) ready(nodes int) map[int]string {
	c.t.Helper()
	const last = "Ctrl-C stops the cluster.\n"
	deadline := time.After(40 * time.Second)
	for !strings.Contains(c.stdout.String(), last) {
		select {
		case err := <-c.exited:
			c.stopped = true
			c.t.Fatalf("the cluster exited before it was ready: %v", err)
		case <-deadline:
			c.t.Fatal("the cluster never printed " + strings.TrimSpace(last))
		case <-time.After(20 * time.Millisecond):
		}
	}
	addrs := map[int]string{}
	for _, m := range clusterNodeLine.FindAllStringSubmatch(c.stdout.String(), -1) {
		id, err := strconv.Atoi(m[1])
		require.NoError(c.t, err)
		addrs[id] = m[2]
	}
	require.Len(c.t, addrs, nodes, "one http:// line per node")
	for id := 1; id <= nodes; id++ {
		require.NotEmpty(c.t, addrs[id], "node %d's address", id)
	}
	return addrs
}

// interrupt sends SIGINT (Ctrl-C) and returns the exit, required within 20s.
func (c *clusterCmd) interrupt() error {
	c.t.Helper()
	require.NoError(c.t, c.cmd.Process.Signal(syscall.SIGINT))
	select {
	case err := <-c.exited:
		c.stopped = true
		return err
	case <-time.After(20 * time.Second):
		c.t.Fatal("the cluster did not exit within 20s of SIGINT")
	}
	return nil
}

// requireStoppedCleanly requires every node's prefixed output to say it
// stopped cleanly.
func (c *clusterCmd) requireStoppedCleanly(nodes int) {
	c.t.Helper()
	lines := strings.Split(c.stderr.String(), "\n")
	for id := 1; id <= nodes; id++ {
		prefix := fmt.Sprintf("[node %d] ", id)
		clean := false
		for _, l := range lines {
			if strings.HasPrefix(l, prefix) && strings.Contains(l, "stopped cleanly") {
				clean = true
			}
		}
		require.True(c.t, clean, "node %d did not report stopping cleanly", id)
	}
}

// putThenGet writes a key through one address and reads it back through
// another over plain HTTP.
func putThenGet(t *testing.T, putAddr, getAddr string) {
	t.Helper()
	// The first writes may find peer connections still opening: 503 is
	// the API's "retry", anything else is an answer.
	put := func() *http.Response {
		req, err := http.NewRequest(http.MethodPut, "http://"+putAddr+"/kv/greeting", strings.NewReader("hello"))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	resp := put()
	for end := time.Now().Add(10 * time.Second); resp.StatusCode == http.StatusServiceUnavailable && time.Now().Before(end); {
		time.Sleep(100 * time.Millisecond)
		resp = put()
	}
	require.Equal(t, http.StatusNoContent, resp.StatusCode)

	resp, err := http.Get("http://" + getAddr + "/kv/greeting")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "body: %s", body)
	require.Equal(t, "hello", string(body))
	require.NotEmpty(t, resp.Header.Get("X-Dynamo-Context"))
}

// `dynamo cluster` as a user runs it: it prints the nodes' HTTP addresses,
// the nodes serve a write through one and a read through another, and Ctrl-C
// (SIGINT to the supervisor only) stops every node gracefully.
func TestClusterCommandServesAndStopsOnSIGINT(t *testing.T) {
	c := startClusterCmd(t, "--nodes", "3", "--peer-port", "0", "--http-port", "0")
	addrs := c.ready(3)
	putThenGet(t, addrs[1], addrs[3])
	require.NoError(t, c.interrupt(), "the cluster must exit 0 after Ctrl-C")
	c.requireStoppedCleanly(3)
}

// --nodes takes 1 to 64, but the nodes' default N is 3: a smaller cluster
// must still start (its replication capped at its size) and serve.
func TestClusterCommandRunsFewerNodesThanReplicas(t *testing.T) {
	for _, n := range []int{1, 2} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			c := startClusterCmd(t, "--nodes", fmt.Sprint(n), "--peer-port", "0", "--http-port", "0")
			addrs := c.ready(n)
			putThenGet(t, addrs[1], addrs[n])
			require.NoError(t, c.interrupt())
			c.requireStoppedCleanly(n)
		})
	}
}

var nodeStartedLine = regexp.MustCompile(`(?m)^\[node (\d+)\] node \d+: cluster .*, http (\S+), data`)

// Ctrl-C while the supervisor still waits for its nodes to be ready must
// stop them too: they run in process groups of their own, so the terminal's
// SIGINT reaches only the supervisor, and nodes it abandons run on.
func TestClusterCommandStopsItsNodesOnSIGINTDuringStartup(t *testing.T) {
	// The nodes serve HTTP on ports of their own choosing, not the ones
	// the supervisor polls: it waits (up to 30s) for a readiness that
	// never comes.
	c := startClusterCmd(t, "--nodes", "3", "--peer-port", "0", "--http-port", "0", "--node-flags", "--http 127.0.0.1:0")
	served := map[string]string{}
	require.Eventually(t, func() bool {
		for _, m := range nodeStartedLine.FindAllStringSubmatch(c.stderr.String(), -1) {
			served[m[1]] = m[2]
		}
		return len(served) == 3
	}, 20*time.Second, 20*time.Millisecond, "the nodes never started")
	for id, addr := range served {
		resp, err := http.Get("http://" + addr + "/status")
		require.NoError(t, err, "node %s", id)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, "node %s", id)
	}
	require.NotContains(t, c.stdout.String(), "Ctrl-C stops the cluster.", "the supervisor cannot have seen them ready")

	err := c.interrupt()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "an interrupted start is a failure: %v", err)
	require.True(t, exit.Exited(), "the supervisor must handle SIGINT, not die of it: %v", err)
	require.Equal(t, exitFailed, exit.ExitCode())
	c.requireStoppedCleanly(3)
	for id, addr := range served {
		resp, err := http.Get("http://" + addr + "/status")
		if err == nil {
			resp.Body.Close()
		}
		require.Error(t, err, "node %s still serves after the cluster command exited", id)
	}
	require.Empty(t, killNodesOf(c.data), "no node process outlives the cluster command")
}

func TestClusterCommandRefusesBadNodeCount(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the built binary")
	}
	bin, err := buildBinary()
	require.NoError(t, err)
	for _, n := range []string{"0", "65", "-1"} {
		cmd := exec.Command(bin, "cluster", "--nodes", n, "--peer-port", "0", "--http-port", "0", "--data", t.TempDir())
		var stdout, stderr lockedBuffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		require.True(t, errors.As(err, &exit), "--nodes %s: %v", n, err)
		require.Equal(t, exitBadArgs, exit.ExitCode(), "--nodes %s", n)
		require.Contains(t, stderr.String(), "--nodes", "--nodes %s", n)
		require.Empty(t, stdout.String(), "--nodes %s started something", n)
	}
}
