package sim

import (
	"fmt"
	"math"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/dynamo-replay/dynamo/checks"
	"github.com/dynamo-replay/dynamo/core"
)

// Driver runs a simulation one step at a time. Instead of the closed-loop
// workload and the nemesis, the caller issues every client operation and every
// fault, and the event loop runs only as far as each call needs. It exists for
// rapid's stateful tests (minimize_test.go), whose actions are exactly these
// calls, so that rapid shrinks a failure to the shortest list of operations and
// faults that still fails.
//
// Everything the caller does not choose still comes from the seed's
// generators, as in a normal run: message and disk latencies, message loss,
// duplication and reordering, the node a request is routed to, the prefix of
// a crashed node's writes in flight that survives, the nodes' clocks. One seed
// and one list of calls therefore replay one run exactly (Result.Trace).
//
// A Driver is used by one goroutine. After the first error (a node panicked,
// the event queue ran dry) every call returns that error.
type Driver struct {
	s       *Sim
	clients []*client // the caller's clients, by the caller's index
	marks   []int     // marks[i]: length of the history when client i last started
	err     error
	done    bool
	crashed bool // a node lost its memory: no_lost_writes may not be promised with buffered writes
	wall    time.Time

	cutAnn  int   // annotation of the partition in force, -1 if none
	downAnn []int // downAnn[id]: annotation of node id's crash, -1 if up
}

// ClientOp is an operation the caller issues through Start or Do.
type ClientOp uint8

const (
	// ClientGet reads a key.
	ClientGet ClientOp = iota + 1
	// ClientPut writes a fresh unique value without a context (a blind write).
	ClientPut
	// ClientRMW reads the key, then writes a fresh value with the read's context
	// (the shopping cart's read-modify-write). If the read fails, no write
	// follows.
	ClientRMW
	// ClientDelete deletes the key without a context.
	ClientDelete
)

var clientOpNames = [...]string{ClientGet: "get", ClientPut: "put", ClientRMW: "rmw", ClientDelete: "delete"}

func (o ClientOp) String() string {
	if o >= ClientGet && o <= ClientDelete {
		return clientOpNames[o]
	}
	return "op" + strconv.Itoa(int(o))
}

const forever = int64(math.MaxInt64)

// NewDriver builds the nodes as New does, boots them, and runs the simulation
// for cfg.StartDelay so that they are ready for requests. The workload and
// the faults of cfg are ignored: no client starts on its own, no fault
// strikes unless the caller asks (Workload.Keys, Routing and the network's,
// disks' and clocks' parameters are used). Nodes may crash, so every disk
// keeps its bytes.
func NewDriver(cfg Config) (*Driver, error) {
	cfg.Workload.Ops = 0
	cfg.Workload.OpenLoopRate = 0
	cfg.Workload.Clients = max(1, cfg.Workload.Clients) // Validate wants one; the caller's clients are made on demand
	cfg.Faults.Nemesis = false
	cfg.Faults.Crashes, cfg.Faults.Partitions, cfg.Faults.OneWayPartitions = 0, 0, 0
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	// No client runs by itself: with an open-loop rate (set only after New,
	// so that the history's capacity stays small) a finished operation calls
	// maybeEndLoad instead of scheduling its client's next one, and with a
	// budget nobody reaches the load phase never ends before Finish. No
	// open-loop arrival is ever scheduled: only Run would.
	s.cfg.Workload.OpenLoopRate = 1
	s.cfg.Workload.Ops = math.MaxInt
	d := &Driver{s: s, wall: time.Now(), cutAnn: -1, downAnn: make([]int, len(s.nodes))}
	for i := range d.downAnn {
		d.downAnn[i] = -1
	}
	err = d.guard(func() {
		for _, n := range s.nodes[1:] {
			n.disk.retain = true
			if n.present {
				s.boot(n)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if err := d.Advance(cfg.StartDelay); err != nil {
		return nil, err
	}
	return d, nil
}

// guard runs f, turning a panic (a broken invariant inside a node, a failed
// recovery) into the driver's error.
func (d *Driver) guard(f func()) error {
	if d.err != nil {
		return d.err
	}
	if d.done {
		return fmt.Errorf("sim driver: the run is finished")
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				d.err = fmt.Errorf("seed %d: panic at virtual time %s: %v\n%s",
					d.s.cfg.Seed, time.Duration(d.s.now), r, projectFrames(debug.Stack()))
			}
		}()
		f()
	}()
	return d.err
}

// projectFrames keeps the frames of a stack that belong to this project.
func projectFrames(stack []byte) string {
	var out []string
	lines := strings.Split(string(stack), "\n")
	for i := 0; i+1 < len(lines) && len(out) < 12; i++ {
		if strings.Contains(lines[i], "dynamo-replay/dynamo/") && !strings.Contains(lines[i], "projectFrames") {
			out = append(out, "  "+strings.TrimSpace(lines[i])+" "+strings.TrimSpace(lines[i+1]))
		}
	}
	return strings.Join(out, "\n")
}

// runUntil dispatches events in order until stop says so or the next event is
// later than deadline (forever: no limit). With a finite deadline the clock
// then stands at the deadline.
func (d *Driver) runUntil(deadline int64, stop func() bool) error {
	return d.guard(func() {
		s := d.s
		for stop == nil || !stop() {
			if s.q.len() == 0 {
				if deadline == forever {
					panic("the event queue ran dry")
				}
				break
			}
			if s.q.h[0].at > deadline {
				break
			}
			s.dispatchNext()
		}
		if deadline != forever && (stop == nil || !stop()) {
			s.now = max(s.now, deadline)
		}
	})
}

// Advance runs the simulation for dur of virtual time.
func (d *Driver) Advance(dur time.Duration) error {
	if dur < 0 {
		return fmt.Errorf("sim driver: advance by %s", dur)
	}
	if d.err != nil {
		return d.err
	}
	return d.runUntil(d.s.now+int64(dur), nil)
}

// client returns the caller's client i, made on first use.
func (d *Driver) client(i int) (*client, error) {
	if i < 0 || i >= 1024 {
		return nil, fmt.Errorf("sim driver: client %d, want 0..1023", i)
	}
	for len(d.clients) <= i {
		d.clients = append(d.clients, d.s.newClient())
		d.marks = append(d.marks, 0)
	}
	return d.clients[i], nil
}

func (d *Driver) key(k int) (string, error) {
	if k < 0 || k >= len(d.s.keys.names) {
		return "", fmt.Errorf("sim driver: key %d, want 0..%d", k, len(d.s.keys.names)-1)
	}
	return d.s.keys.names[k], nil
}

// Start issues one operation from client on key (an index into Keys) and
// returns without waiting for its answer; other calls run the simulation on.
// A client holds one request at a time: if it is still waiting for an
// earlier one, Start first runs the simulation until that one ends.
func (d *Driver) Start(cl int, op ClientOp, k int) error {
	if d.err != nil || d.done {
		return d.guard(func() {})
	}
	c, err := d.client(cl)
	if err != nil {
		return err
	}
	key, err := d.key(k)
	if err != nil {
		return err
	}
	if op < ClientGet || op > ClientDelete {
		return fmt.Errorf("sim driver: unknown operation %d", op)
	}
	if err := d.runUntil(forever, func() bool { return !c.busy }); err != nil {
		return err
	}
	s := d.s
	d.marks[cl] = len(s.history.Ops)
	return d.guard(func() {
		s.issued++
		switch op {
		case ClientGet:
			s.issue(c, checks.Op{Kind: checks.Get, Key: key}, nil, 0)
		case ClientRMW:
			s.issued++
			c.rmw = true
			s.issue(c, checks.Op{Kind: checks.Get, Key: key}, nil, 0)
		case ClientPut:
			s.issueWrite(c, checks.Put, key, nil, nil)
		case ClientDelete:
			s.issueWrite(c, checks.Delete, key, nil, nil)
		}
	})
}

// Wait runs the simulation until client's operation has ended, answered or
// given up (the client gives up after three request timeouts and the largest
// network delay), and returns the history entries it recorded since its last
// Start: one, or two for a read-modify-write whose read succeeded.
func (d *Driver) Wait(cl int) ([]checks.Op, error) {
	c, err := d.client(cl)
	if err != nil {
		return nil, err
	}
	if err := d.runUntil(forever, func() bool { return !c.busy }); err != nil {
		return nil, err
	}
	var out []checks.Op
	for _, op := range d.s.history.Ops[d.marks[cl]:] {
		if op.Client == int(c.idx) {
			out = append(out, op)
		}
	}
	return out, nil
}

// Do issues one operation and waits for it (Start, then Wait).
func (d *Driver) Do(cl int, op ClientOp, k int) ([]checks.Op, error) {
	if err := d.Start(cl, op, k); err != nil {
		return nil, err
	}
	return d.Wait(cl)
}

func (d *Driver) do1(cl int, op ClientOp, k int) (checks.Op, error) {
	ops, err := d.Do(cl, op, k)
	if err != nil || len(ops) == 0 {
		return checks.Op{}, err
	}
	return ops[len(ops)-1], nil
}

// Get reads key k from client cl and waits for the answer.
func (d *Driver) Get(cl, k int) (checks.Op, error) { return d.do1(cl, ClientGet, k) }

// Put writes a fresh value to key k without a context and waits.
func (d *Driver) Put(cl, k int) (checks.Op, error) { return d.do1(cl, ClientPut, k) }

// Delete deletes key k without a context and waits.
func (d *Driver) Delete(cl, k int) (checks.Op, error) { return d.do1(cl, ClientDelete, k) }

// RMW reads key k and writes a fresh value with the read's context, and waits;
// it returns the write (or the read, if the read failed).
func (d *Driver) RMW(cl, k int) (checks.Op, error) { return d.do1(cl, ClientRMW, k) }

// node returns a node of the cluster (one of 1..Nodes that is present).
func (d *Driver) node(id int) (*simNode, error) {
	if id < 1 || id >= len(d.s.nodes) || !d.s.nodes[id].present {
		return nil, fmt.Errorf("sim driver: node %d, want 1..%d", id, d.s.cfg.Nodes)
	}
	return d.s.nodes[id], nil
}

// Partition cuts the network into groups: nodes in different groups cannot
// talk, either way; nodes in no group form one more group together. It
// replaces any partition in force. Clients still reach every node.
func (d *Driver) Partition(groups ...[]int) error {
	k := len(d.s.nodes)
	group := make([]int, k)
	var desc []string
	for g, ids := range groups {
		var b strings.Builder
		for _, id := range ids {
			if _, err := d.node(id); err != nil {
				return err
			}
			if group[id] != 0 {
				return fmt.Errorf("sim driver: node %d in two groups", id)
			}
			group[id] = g + 1
			fmt.Fprintf(&b, " %d", id)
		}
		desc = append(desc, "{"+b.String()+" }")
	}
	var rest strings.Builder
	for id := 1; id <= d.s.cfg.Nodes; id++ {
		if group[id] == 0 && d.s.nodes[id].present {
			fmt.Fprintf(&rest, " %d", id)
		}
	}
	if rest.Len() > 0 {
		desc = append(desc, "{"+rest.String()+" }")
	}
	kind := FaultPartition
	if len(groups) == 1 && len(groups[0]) == 1 {
		kind = FaultIsolate
	}
	return d.guard(func() {
		s := d.s
		d.endPartition()
		s.cut = make([]bool, k*k)
		for a := 1; a < k; a++ {
			for b := 1; b < k; b++ {
				s.cut[a*k+b] = group[a] != group[b]
			}
		}
		s.cutToken = s.newToken()
		s.stats.Partitions++
		s.probe(kind.Probe())
		d.cutAnn = s.annotate(kind.String(), "partition "+strings.Join(desc, " | ")+" (driver)")
	})
}

// Isolate cuts one node off from every other, both ways.
func (d *Driver) Isolate(id int) error { return d.Partition([]int{id}) }

// Heal ends the partition in force, if any.
func (d *Driver) Heal() error { return d.guard(d.endPartition) }

func (d *Driver) endPartition() {
	s := d.s
	s.cut, s.cutToken = nil, 0
	if d.cutAnn >= 0 {
		s.history.Annotations[d.cutAnn].End = s.now
		d.cutAnn = -1
	}
}

// Crash stops a node as a power failure would: its memory is lost, and its
// disk keeps a random prefix (drawn from the seed) of the writes in flight,
// with a torn last record if Faults.TornWrites is set. The node stays down
// until Restart or Finish. Crashing a node that is down does nothing.
func (d *Driver) Crash(id int) error {
	n, err := d.node(id)
	if err != nil {
		return err
	}
	return d.guard(func() {
		if !n.up {
			return
		}
		s := d.s
		lost := s.powerFail(n, s.cfg.Faults.TornWrites)
		s.stats.Crashes++
		s.probe(FaultCrash.Probe())
		d.crashed = true
		d.downAnn[id] = s.annotate(FaultCrash.String(), fmt.Sprintf("node %d crashed (power failure: %s) (driver)", id, lost))
	})
}

// Restart boots a crashed node from what its disk holds. Restarting a node
// that is up does nothing.
func (d *Driver) Restart(id int) error {
	n, err := d.node(id)
	if err != nil {
		return err
	}
	return d.guard(func() {
		if n.up {
			return
		}
		s := d.s
		s.boot(n)
		s.stats.Restarts++
		if a := d.downAnn[id]; a >= 0 {
			s.history.Annotations[a].End = s.now
			d.downAnn[id] = -1
		}
	})
}

// Finish ends the run as Run ends one: it waits for every client's operation,
// heals every fault (restarting crashed nodes), runs the quiet phase until the
// replicas converge or Config.Quiet passes, then the scrub that reads every
// key from all N replicas, and records the final replica states. The result's
// History is ready for checks.Run. The driver cannot be used afterwards.
func (d *Driver) Finish() (*Result, error) {
	for _, c := range d.clients {
		if err := d.runUntil(forever, func() bool { return !c.busy }); err != nil {
			return nil, err
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	s := d.s
	// The budget is spent: the load phase may end. The history promises what
	// the configuration promises given whether a node lost its memory.
	s.cfg.Workload.Ops = s.issued
	s.cfg.Workload.OpenLoopRate = 0
	s.history.Expect = expectations(s.cfg, d.crashed)
	err := d.guard(func() {
		d.cutAnn = -1
		for i := range d.downAnn {
			d.downAnn[i] = -1
		}
		s.maybeEndLoad() // heals everything and starts the quiet phase
		if s.phase != phaseQuiet {
			panic("the load phase did not end")
		}
	})
	if err != nil {
		return nil, err
	}
	d.done = true
	if err := s.loop(); err != nil {
		d.err = err
		return nil, err
	}
	s.captureFinal()
	return s.result(time.Since(d.wall)), nil
}

// Err is the driver's error, if a call failed.
func (d *Driver) Err() error { return d.err }

// Now is the virtual time.
func (d *Driver) Now() time.Duration { return time.Duration(d.s.now) }

// Nodes is the number of nodes of the cluster, numbered 1..Nodes.
func (d *Driver) Nodes() int { return d.s.cfg.Nodes }

// Keys is the key space; operations name a key by its index.
func (d *Driver) Keys() []string { return d.s.keys.names }

// Up says whether node id is up.
func (d *Driver) Up(id int) bool {
	n, err := d.node(id)
	return err == nil && n.up
}

// History is the history so far: every operation that has ended, in the
// order they ended, and the faults as annotations. Final is empty until
// Finish. It is the driver's own: read it, do not keep it across calls.
func (d *Driver) History() *checks.History { return d.s.history }

// Values returns the values node id holds for key k (tombstones included),
// nil if the node is down.
func (d *Driver) Values(id, k int) []string {
	n, err := d.node(id)
	key, kerr := d.key(k)
	if err != nil || kerr != nil || !n.up {
		return nil
	}
	vs := n.node.Versions(key)
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v.Value)
	}
	return out
}

// Issued says whether value was written by a put or a delete issued so far:
// writes are numbered in the order they are issued ("v<n>" for a put,
// "d<n>" for a delete, read-modify-writes included).
func (d *Driver) Issued(value string) bool {
	if len(value) < 2 || (value[0] != 'v' && value[0] != 'd') {
		return false
	}
	n, err := strconv.ParseUint(value[1:], 10, 64)
	return err == nil && n >= 1 && n <= d.s.values && strconv.FormatUint(n, 10) == value[1:]
}

// Status returns node id's counters, and false if it is down.
func (d *Driver) Status(id int) (core.Status, bool) {
	n, err := d.node(id)
	if err != nil || !n.up {
		return core.Status{}, false
	}
	return n.node.Status(), true
}
