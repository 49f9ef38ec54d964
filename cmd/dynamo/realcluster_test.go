package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dynamo-replay/dynamo/checks"
	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/disk"
	"github.com/dynamo-replay/dynamo/net/client"
	"github.com/dynamo-replay/dynamo/net/driver"
	"github.com/stretchr/testify/require"
)

// buildBinary compiles this command once per test binary run.
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "dynamo-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "dynamo")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// procCluster is a cluster of real node processes on loopback.
type procCluster struct {
	t     *testing.T
	bin   string
	args  map[int][]string
	http  map[int]string
	procs map[int]*childNode
	logs  map[int]*lockedBuffer
	dirs  map[int]string
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startProcCluster(t *testing.T, n int, extra ...string) *procCluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts real processes")
	}
	bin, err := buildBinary()
	require.NoError(t, err)
	c := &procCluster{t: t, bin: bin, args: map[int][]string{}, http: map[int]string{}, procs: map[int]*childNode{},
		logs: map[int]*lockedBuffer{}, dirs: map[int]string{}}
	var peers []string
	peerAddr := map[int]string{}
	var hold portHold
	ports, err := clusterAddrs(&hold, 2*n, 0)
	hold.release()
	require.NoError(t, err)
	for id := 1; id <= n; id++ {
		peerAddr[id], c.http[id] = ports[2*id-2], ports[2*id-1]
		c.dirs[id] = t.TempDir()
		peers = append(peers, fmt.Sprintf("%d=%s", id, peerAddr[id]))
	}
	for id := 1; id <= n; id++ {
		c.args[id] = []string{"node", "--id", fmt.Sprint(id), "--cluster", "proc-test", "--listen", peerAddr[id],
			"--http", c.http[id], "--data", c.dirs[id], "--peers", strings.Join(peers, ",")}
		c.args[id] = append(c.args[id], extra...)
		c.logs[id] = &lockedBuffer{}
		c.start(id)
	}
	t.Cleanup(func() {
		for id, p := range c.procs {
			p.cmd.Process.Kill()
			<-p.done
			if t.Failed() {
				t.Logf("node %d output:\n%s", id, c.logs[id])
			}
		}
	})
	for id := 1; id <= n; id++ {
		c.waitReady(id)
	}
	return c
}

// start runs node id as `dynamo cluster` and `bench` do (startChild).
func (c *procCluster) start(id int) {
	c.t.Helper()
	p, err := startChild(c.bin, id, c.args[id], c.http[id], c.logs[id])
	require.NoError(c.t, err)
	c.procs[id] = p
}

func (c *procCluster) waitReady(id int) {
	c.t.Helper()
	require.NoError(c.t, waitReady([]*childNode{c.procs[id]}, 20*time.Second))
}

func (c *procCluster) kill(id int) {
	c.t.Helper()
	require.NoError(c.t, c.procs[id].cmd.Process.Signal(syscall.SIGKILL))
	<-c.procs[id].done
}

// stop sends SIGTERM and requires a clean exit.
func (c *procCluster) stop(id int) {
	c.t.Helper()
	require.NoError(c.t, c.procs[id].cmd.Process.Signal(syscall.SIGTERM))
	<-c.procs[id].done
	require.NoError(c.t, c.procs[id].err, "node %d did not stop cleanly", id)
}

// admin posts to a node's fault-injection endpoint (block?peers=... or heal).
func (c *procCluster) admin(id int, what string) {
	c.t.Helper()
	resp, err := http.Post("http://"+c.http[id]+"/admin/"+what, "", nil)
	require.NoError(c.t, err)
	resp.Body.Close()
	require.Equal(c.t, http.StatusNoContent, resp.StatusCode, "POST /admin/%s on node %d", what, id)
}

func (c *procCluster) addrs() []string {
	var out []string
	for id := 1; id <= len(c.http); id++ {
		out = append(out, c.http[id])
	}
	return out
}

// recorder is a history shared by concurrent clients, timed on one clock.
type recorder struct {
	mu   sync.Mutex
	base time.Time
	ops  []checks.Op
}

func (r *recorder) now() int64 { return int64(time.Since(r.base)) }

func (r *recorder) add(op checks.Op) {
	r.mu.Lock()
	r.ops = append(r.ops, op)
	r.mu.Unlock()
}

// outcome maps a client error to what the client learned.
func outcome(err error) checks.Outcome {
	switch {
	case err == nil:
		return checks.Ok
	case errors.Is(err, client.ErrBadRequest):
		return checks.Rejected
	}
	return checks.Unknown
}

// worker reads a random key and writes a unique value over what it read,
// until stop.
func worker(ctx context.Context, cl *client.Client, id int, keys []string, rec *recorder, stop <-chan struct{}) {
	rng := rand.New(rand.NewPCG(uint64(id), 42))
	for seq := 0; ; seq++ {
		select {
		case <-stop:
			return
		default:
		}
		key := keys[rng.IntN(len(keys))]
		get := checks.Op{Client: id, Kind: checks.Get, Key: key, Call: rec.now()}
		res, err := cl.Get(ctx, key)
		get.Return, get.Outcome, get.Coordinator = rec.now(), outcome(err), res.Coordinator
		var covers []string
		for _, v := range res.Values {
			covers = append(covers, string(v))
		}
		slices.Sort(covers)
		if err == nil {
			get.Values = covers
		} else {
			get.Return = checks.Never
		}
		rec.add(get)
		value := fmt.Sprintf("c%d-%d", id, seq)
		put := checks.Op{Client: id, Kind: checks.Put, Key: key, Value: value, Call: rec.now()}
		if err == nil {
			put.Covers = covers
		}
		var vctx []byte
		if err == nil {
			vctx = res.Context
		}
		err = cl.Put(ctx, key, []byte(value), vctx)
		put.Return, put.Outcome = rec.now(), outcome(err)
		if put.Outcome == checks.Unknown {
			put.Return = checks.Never
		}
		rec.add(put)
	}
}

// finalState reads every node's log, as the nodes left it, and says what each
// holds for each key.
func finalState(t *testing.T, dirs map[int]string, keys []string) []checks.KeyState {
	var ids []core.NodeID
	for id := range dirs {
		ids = append(ids, core.NodeID(id))
	}
	slices.Sort(ids)
	r, err := driver.BootstrapRing("proc-test", ids)
	require.NoError(t, err)
	held := map[int]*core.Node{}
	for _, id := range ids {
		w, rec, err := disk.OpenWAL(dirs[int(id)], disk.WALOptions{})
		require.NoError(t, err)
		require.NoError(t, w.Close())
		held[int(id)] = core.New(core.DefaultConfig(id, r, rand.New(rand.NewPCG(1, 1))), rec)
	}
	var out []checks.KeyState
	for _, key := range keys {
		ks := checks.KeyState{Key: key}
		for _, id := range r.PreferenceForKey(key, nil)[:3] {
			ks.Owners = append(ks.Owners, int(id))
		}
		for _, id := range ids {
			vs := held[int(id)].Versions(key)
			if len(vs) == 0 {
				continue
			}
			rs := checks.ReplicaState{Node: int(id)}
			for _, v := range vs {
				rs.Values = append(rs.Values, string(v.Value))
			}
			slices.Sort(rs.Values)
			ks.Replicas = append(ks.Replicas, rs)
		}
		out = append(out, ks)
	}
	return out
}

// loadRun is one checked run against a process cluster.
type loadRun struct {
	keys    []string
	clients int
	// crash: SIGKILL node 2 after 1.5s of load, restart it 1.5s later.
	crash bool
	// partition: after 1.5s of load, cut node 3 off from the others (the
	// nodes need --fault-injection) for 2s.
	partition bool
	load      time.Duration // after the restart, if any
}

// run drives concurrent read-modify-write clients, lets the cluster go quiet
// (anti-entropy rounds, then a read of every key at R=3 whose read repair
// lands within its window), stops every node with SIGTERM, and checks the
// history against the logs the nodes left.
func (lr loadRun) run(t *testing.T, c *procCluster) (checks.Report, *checks.History) {
	cl, err := client.New(client.Options{Addrs: c.addrs()})
	require.NoError(t, err)
	defer cl.Close()
	rec := &recorder{base: time.Now()}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	ctx := context.Background()
	for id := 1; id <= lr.clients; id++ {
		wg.Go(func() { worker(ctx, cl, id, lr.keys, rec, stop) })
	}
	var notes []checks.Annotation
	if lr.crash {
		time.Sleep(1500 * time.Millisecond)
		killedAt := rec.now()
		c.kill(2)
		time.Sleep(1500 * time.Millisecond)
		c.start(2)
		c.waitReady(2)
		notes = append(notes, checks.Annotation{Tag: "crash", Start: killedAt, End: rec.now(), Description: "node 2 killed with SIGKILL, then restarted"})
	}
	if lr.partition {
		time.Sleep(1500 * time.Millisecond)
		cutAt := rec.now()
		c.admin(3, "block?peers=1,2")
		c.admin(1, "block?peers=3")
		c.admin(2, "block?peers=3")
		time.Sleep(2 * time.Second)
		for id := 1; id <= 3; id++ {
			c.admin(id, "heal")
		}
		notes = append(notes, checks.Annotation{Tag: "partition", Start: cutAt, End: rec.now(), Description: "node 3 cut off from nodes 1 and 2"})
	}
	time.Sleep(lr.load)
	close(stop)
	wg.Wait()

	time.Sleep(3 * time.Second)
	for _, key := range lr.keys {
		_, err := cl.Get(ctx, key, client.WithR(3))
		require.NoError(t, err, "scrub read of %s", key)
	}
	time.Sleep(time.Second)
	for id := 1; id <= len(c.procs); id++ {
		c.stop(id)
	}

	h := &checks.History{
		Command:     "go test ./cmd/dynamo -run " + t.Name(),
		Expect:      checks.Expect{NoLostWrites: true, Converged: true},
		Ops:         rec.ops,
		Annotations: notes,
		Final:       finalState(t, c.dirs, lr.keys),
	}
	h.SortOps()
	require.NoError(t, h.Validate())
	report := checks.Run(h, checks.Options{Timeout: 20 * time.Second})
	var okPuts, unknown int
	for _, op := range h.Ops {
		switch {
		case op.Kind == checks.Put && op.Outcome == checks.Ok:
			okPuts++
		case op.Outcome == checks.Unknown:
			unknown++
		}
	}
	t.Logf("%d ops, %d acknowledged puts, %d unknown outcomes, %d stale reads", len(h.Ops), okPuts, unknown, report.StaleReads)
	for _, v := range report.Verdicts {
		t.Logf("%s: %s (%d) %.300s", v.Name, v.Status, v.Count, strings.Join(v.Messages, "; "))
	}
	require.Greater(t, okPuts, 100, "the load must have done real work")
	return report, h
}

// requireDynamoPromises requires what Dynamo promises in every run with
// durable writes: no acknowledged write lost, no value invented, replicas
// converged once quiet.
func requireDynamoPromises(t *testing.T, report checks.Report) {
	t.Helper()
	require.False(t, report.Failed(), "a must-hold check failed")
	for _, name := range []string{checks.NameNoLostWrites, checks.NameNoInventedValues, checks.NameConverged} {
		v, ok := report.Verdict(name)
		require.True(t, ok, name)
		require.True(t, v.Passed, "%s: %v", name, v.Messages)
	}
}

func testKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%02d", i)
	}
	return keys
}

// Three real node processes under concurrent read-modify-write clients; one
// is killed with SIGKILL mid-load and restarted. The history, and the logs the
// nodes leave, must pass the checks that Dynamo promises: no acknowledged
// write lost (writes are durable before they are acknowledged), no value
// invented, and every replica the same once the cluster is quiet.
func TestRealClusterSurvivesSIGKILLUnderLoad(t *testing.T) {
	c := startProcCluster(t, 3)
	report, _ := loadRun{keys: testKeys(12), clients: 8, crash: true, load: 2 * time.Second}.run(t, c)
	requireDynamoPromises(t, report)
}

// A partition through the nodes' fault-injecting transports: requests sent to
// the cut-off node cannot reach a quorum (with three nodes and N=3 there is no
// fallback to write a hint to) and end unknown, but nothing acknowledged is
// lost and the replicas converge once the partition heals.
func TestRealClusterPartitionHeals(t *testing.T) {
	c := startProcCluster(t, 3, "--fault-injection")
	report, h := loadRun{keys: testKeys(12), clients: 8, partition: true, load: 1500 * time.Millisecond}.run(t, c)
	cut := h.Annotations[0]
	var unknownDuringCut int
	for _, op := range h.Ops {
		if op.Outcome == checks.Unknown && op.Call >= cut.Start && op.Call < cut.End {
			unknownDuringCut++
		}
	}
	require.Positive(t, unknownDuringCut, "the partition took effect")
	requireDynamoPromises(t, report)
}

// The same pipeline catches a broken node: replicas that answer reads with a
// value nobody wrote.
func TestRealClusterChecksCatchAPlantedBug(t *testing.T) {
	c := startProcCluster(t, 3, "--plant-bug", "corrupt-value")
	report, _ := loadRun{keys: testKeys(6), clients: 4, load: 1500 * time.Millisecond}.run(t, c)
	v, ok := report.Verdict(checks.NameNoInventedValues)
	require.True(t, ok)
	require.False(t, v.Passed, "corrupted values went unnoticed")
	require.True(t, report.Failed())
}

// A client-driven client (section 6.4) learns the ring from a real node's
// /ring and sends each request to the key's first replica, which then
// coordinates it: the answer names that node.
func TestRealClusterClientDrivenRouting(t *testing.T) {
	c := startProcCluster(t, 3)
	cl, err := client.New(client.Options{Addrs: c.addrs()[:1], Mode: client.ClientDriven})
	require.NoError(t, err)
	defer cl.Close()
	r, err := driver.BootstrapRing("proc-test", []core.NodeID{1, 2, 3})
	require.NoError(t, err)
	ctx := context.Background()
	// Right after a start the nodes have not yet gossiped their addresses:
	// the client routes server-driven until its view is complete, which it
	// polls for every second rather than every 10.
	keys := make([]string, 30)
	for i := range keys {
		keys[i] = fmt.Sprintf("routed-%d", i)
		require.NoError(t, cl.Put(ctx, keys[i], []byte("v"), nil))
	}
	routed := func(key string) (bool, int) {
		res, err := cl.Get(ctx, key)
		require.NoError(t, err)
		require.True(t, res.Found)
		first := int(r.PreferenceForKey(key, nil)[0])
		return res.Coordinator == first, first
	}
	require.Eventually(t, func() bool {
		for _, key := range keys {
			if ok, _ := routed(key); !ok {
				return false
			}
		}
		return true
	}, 5*time.Second, 200*time.Millisecond, "every key coordinated by its first replica")
	firsts := map[int]bool{}
	for _, key := range keys {
		ok, first := routed(key)
		require.True(t, ok, "key %s", key)
		firsts[first] = true
	}
	require.Len(t, firsts, 3, "the keys' first replicas cover every node")
}
