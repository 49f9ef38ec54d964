package core

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dynamo-replay/dynamo/core/causality"
	"github.com/dynamo-replay/dynamo/core/ring"
)

// This file is a small in-test driver for several nodes: it keeps the
// messages in flight and the Persists not yet durable, lets a test deliver,
// drop or duplicate any one of them, complete or fail a write, move one
// node's clock, and collects client replies. Every effect it sees is copied
// (Step's slice and its pointees are valid only until the next Step) and
// rendered into a transcript, so that tests can assert exact effects as
// readable strings and determinism tests can compare whole runs.

// wallBase is every node's wall clock at time zero (2023-11-14, Unix ns), so
// that version timestamps look like real ones.
const wallBase Time = 1_700_000_000 * Second

// testNodes are the members of every test ring.
var testNodes = []NodeID{1, 2, 3, 4, 5}

// testRing is the ring of every test cluster: five nodes, default strategy 3.
func testRing(tb tester) *ring.Ring {
	tb.Helper()
	members, err := ring.Assign(ring.DefaultParams(), testNodes, rand.New(rand.NewPCG(1, 2)))
	require.NoError(tb, err)
	r, err := ring.New(ring.DefaultParams(), members)
	require.NoError(tb, err)
	return r
}

// quietPeriod is the period of every background task (pinging peers believed
// down, scanning hints, gossip, transfers, admission control) in test
// clusters: an hour, so that their wakeups stay out of the transcripts of
// tests about requests.
const quietPeriod = 3600 * Second

// testConfig is DefaultConfig with a fixed seed and quiet background tasks,
// changed by opts.
func testConfig(id NodeID, r *ring.Ring, opts ...func(*Config)) Config {
	cfg := DefaultConfig(id, r, rand.New(rand.NewPCG(3, 4)))
	for _, f := range backgroundPeriods(&cfg) {
		f.Set(reflect.ValueOf(quietPeriod))
	}
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

// backgroundPeriods returns the periods of cfg's background tasks: every
// Time field named ...Interval, except the buffered writer's FlushInterval,
// which tests of buffered writes rely on. New tasks are quiet without a change
// here.
func backgroundPeriods(cfg *Config) []reflect.Value {
	var out []reflect.Value
	v := reflect.ValueOf(cfg).Elem()
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if f.Type == reflect.TypeFor[Time]() && strings.HasSuffix(f.Name, "Interval") && f.Name != "FlushInterval" {
			out = append(out, v.Field(i))
		}
	}
	return out
}

// idle is the rendered WakeAt of a test node booted at time zero with nothing
// to do but its background tasks (the first of which, gossip, starts at a
// random point of its period).
var idle string

// quietWake returns idle, computing it once.
func quietWake(t tester) string {
	t.Helper()
	if idle != "" {
		return idle
	}
	n := New(testConfig(1, testRing(t)), Recovered{})
	effs := n.Step(Input{Now: Clock{Wall: wallBase}, Event: &Boot{}})
	w, ok := effs[len(effs)-1].(*WakeAt)
	if !ok || w.At < 10*Second {
		t.Fatalf("boot of an idle node gave %v: background tasks would interfere with the tests", renderEffects(effs))
	}
	idle = render(w)
	return idle
}

// keyWithTop returns the first key "k0", "k1", ... whose preference list starts
// with top, so that tests can name replicas literally.
func keyWithTop(tb tester, r *ring.Ring, top ...NodeID) string {
	tb.Helper()
	var buf []NodeID
	for i := range 100000 {
		k := fmt.Sprintf("k%d", i)
		buf = r.PreferenceForKey(k, buf)
		if slices.Equal(buf[:len(top)], top) {
			return k
		}
	}
	tb.Fatalf("no key has preference list %v", top)
	return ""
}

// tester is what the harness needs of a test: *testing.T, *testing.B and
// *rapid.T all qualify.
type tester interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	FailNow()
}

// envelope is a message in flight.
type envelope struct {
	from, to NodeID
	msg      Message
}

// pendingWrite is a Persist the driver has not completed yet.
type pendingWrite struct {
	node NodeID
	p    Persist
}

// clientReply is a Reply a node gave one of its clients.
type clientReply struct {
	node NodeID
	Reply
}

type cluster struct {
	tb       tester
	ring     *ring.Ring
	nodes    map[NodeID]*Node
	clock    map[NodeID]Clock
	wake     map[NodeID]Time // the latest WakeAt, if wakeSet
	wakeSet  map[NodeID]bool
	opts     []func(*Config)
	disk     map[NodeID][]Record // what each node's completed writes logged
	inflight []envelope
	writes   []pendingWrite
	replies  []clientReply
	trace    strings.Builder
}

// newCluster builds (but does not boot) nodes 1..5 with configurations changed
// by opts.
func newCluster(tb tester, opts ...func(*Config)) *cluster {
	tb.Helper()
	c := &cluster{
		tb:      tb,
		ring:    testRing(tb),
		nodes:   make(map[NodeID]*Node),
		clock:   make(map[NodeID]Clock),
		wake:    make(map[NodeID]Time),
		wakeSet: make(map[NodeID]bool),
		opts:    opts,
		disk:    make(map[NodeID][]Record),
	}
	for _, id := range testNodes {
		c.nodes[id] = New(testConfig(id, c.ring, opts...), Recovered{})
		c.clock[id] = Clock{Wall: wallBase}
	}
	return c
}

// newReadyCluster boots every node and makes its incarnation durable.
func newReadyCluster(tb tester, opts ...func(*Config)) *cluster {
	tb.Helper()
	c := newCluster(tb, opts...)
	for _, id := range testNodes {
		c.boot(id)
	}
	return c
}

// boot delivers Boot and completes the incarnation write.
func (c *cluster) boot(id NodeID) {
	c.tb.Helper()
	c.step(id, &Boot{})
	c.completeWrite(id)
	require.True(c.tb, c.nodes[id].Status().Ready, "node %d not ready after boot", id)
}

// restart crashes node id, losing its writes in progress (messages already
// sent stay in flight), and boots a new node from what its log holds.
func (c *cluster) restart(id NodeID) {
	c.tb.Helper()
	fmt.Fprintf(&c.trace, "restart %d\n", id)
	c.writes = slices.DeleteFunc(c.writes, func(w pendingWrite) bool { return w.node == id })
	c.wakeSet[id] = false
	c.nodes[id] = New(testConfig(id, c.ring, c.opts...), Recovered{Records: slices.Clone(c.disk[id])})
	c.boot(id)
}

// step delivers one event to node id and routes copies of the effects: sends
// go in flight, persists wait for completeWrite, replies are collected.
func (c *cluster) step(id NodeID, ev Event) []Effect {
	c.tb.Helper()
	fmt.Fprintf(&c.trace, "%d <- %s\n", id, renderEvent(ev))
	effs := c.nodes[id].Step(Input{Now: c.clock[id], Event: ev})
	return c.route(id, effs)
}

// route copies effs (whose memory the node reuses) and carries them out.
func (c *cluster) route(id NodeID, effs []Effect) []Effect {
	out := make([]Effect, 0, len(effs))
	for _, e := range effs {
		fmt.Fprintf(&c.trace, "  %d: %s\n", id, render(e))
		switch e := e.(type) {
		case *Send:
			cp := *e
			c.inflight = append(c.inflight, envelope{from: id, to: e.To, msg: e.Msg})
			out = append(out, &cp)
		case *Reply:
			cp := *e
			c.replies = append(c.replies, clientReply{node: id, Reply: cp})
			out = append(out, &cp)
		case *Persist:
			cp := *e
			c.writes = append(c.writes, pendingWrite{node: id, p: cp})
			out = append(out, &cp)
		case *WakeAt:
			cp := *e
			c.wake[id], c.wakeSet[id] = e.At, true
			out = append(out, &cp)
		default:
			c.tb.Fatalf("node %d emitted unknown effect %T", id, e)
		}
	}
	return out
}

// client delivers a client request to node id.
func (c *cluster) client(id NodeID, req ReqID, op Op) []Effect {
	c.tb.Helper()
	return c.step(id, &ClientRequest{ID: req, Op: op})
}

// findMsg returns the index of the first message in flight from -> to whose
// type matches kind (a zero value of the message type, or nil for any).
func (c *cluster) findMsg(from, to NodeID, kind Message) int {
	for i, m := range c.inflight {
		if m.from == from && m.to == to && (kind == nil || fmt.Sprintf("%T", m.msg) == fmt.Sprintf("%T", kind)) {
			return i
		}
	}
	return -1
}

func (c *cluster) takeMsg(from, to NodeID, kind Message) envelope {
	c.tb.Helper()
	i := c.findMsg(from, to, kind)
	require.GreaterOrEqual(c.tb, i, 0, "no %T in flight from %d to %d; in flight: %s", kind, from, to, c.inflightString())
	m := c.inflight[i]
	c.inflight = slices.Delete(c.inflight, i, i+1)
	return m
}

// deliver removes the first matching message from the network and delivers it.
func (c *cluster) deliver(from, to NodeID, kind Message) []Effect {
	c.tb.Helper()
	m := c.takeMsg(from, to, kind)
	return c.step(m.to, &Recv{From: m.from, Msg: m.msg})
}

// duplicate delivers the first matching message and leaves it in flight.
func (c *cluster) duplicate(from, to NodeID, kind Message) []Effect {
	c.tb.Helper()
	i := c.findMsg(from, to, kind)
	require.GreaterOrEqual(c.tb, i, 0, "no %T in flight from %d to %d", kind, from, to)
	m := c.inflight[i]
	return c.step(m.to, &Recv{From: m.from, Msg: m.msg})
}

// drop removes the first matching message from the network.
func (c *cluster) drop(from, to NodeID, kind Message) envelope {
	c.tb.Helper()
	m := c.takeMsg(from, to, kind)
	fmt.Fprintf(&c.trace, "drop %d -> %d %s\n", m.from, m.to, renderMsg(m.msg))
	return m
}

// dropAll loses every message in flight.
func (c *cluster) dropAll() {
	for _, m := range c.inflight {
		fmt.Fprintf(&c.trace, "drop %d -> %d %s\n", m.from, m.to, renderMsg(m.msg))
	}
	c.inflight = nil
}

func (c *cluster) inflightString() string {
	var parts []string
	for _, m := range c.inflight {
		parts = append(parts, fmt.Sprintf("%d->%d %s", m.from, m.to, renderMsg(m.msg)))
	}
	return strings.Join(parts, "; ")
}

// pendingWrites returns node id's writes not yet completed, oldest first.
func (c *cluster) pendingWrites(id NodeID) []Persist {
	var out []Persist
	for _, w := range c.writes {
		if w.node == id {
			out = append(out, w.p)
		}
	}
	return out
}

func (c *cluster) takeWrite(id NodeID) Persist {
	c.tb.Helper()
	for i, w := range c.writes {
		if w.node == id {
			c.writes = slices.Delete(c.writes, i, i+1)
			return w.p
		}
	}
	c.tb.Fatalf("node %d has no pending write", id)
	return Persist{}
}

// completeWrite makes node id's oldest pending Persist durable: its Then
// effects run, and with Notify the node hears Persisted. It returns the Then
// effects followed by the effects of the Persisted step.
func (c *cluster) completeWrite(id NodeID) []Effect {
	c.tb.Helper()
	p := c.takeWrite(id)
	fmt.Fprintf(&c.trace, "durable %d tok=%d\n", id, opID(p.Token))
	c.disk[id] = append(c.disk[id], p.Records...)
	out := c.route(id, p.Then)
	if p.Notify {
		out = append(out, c.step(id, &Persisted{Token: p.Token})...)
	}
	return out
}

// failWrite fails node id's oldest pending Persist: Then is dropped and, with
// Notify, the node hears PersistFailed.
func (c *cluster) failWrite(id NodeID) []Effect {
	c.tb.Helper()
	p := c.takeWrite(id)
	fmt.Fprintf(&c.trace, "failed %d tok=%d\n", id, opID(p.Token))
	if !p.Notify {
		return nil
	}
	return c.step(id, &PersistFailed{Token: p.Token, Err: fmt.Errorf("injected I/O error")})
}

// advance moves node id's clocks forward by d and delivers Wakeup if the
// node's last WakeAt has come.
func (c *cluster) advance(id NodeID, d Time) []Effect {
	c.tb.Helper()
	clk := c.clock[id]
	clk.Mono += d
	clk.Wall += d
	c.clock[id] = clk
	if c.wakeSet[id] && c.wake[id] <= clk.Mono {
		c.wakeSet[id] = false
		return c.step(id, &Wakeup{})
	}
	return nil
}

// advanceAll moves every node's clock forward by d, in id order.
func (c *cluster) advanceAll(d Time) {
	for _, id := range testNodes {
		c.advance(id, d)
	}
}

// settle delivers every message and completes every write, oldest first,
// until nothing is left. Time does not move.
func (c *cluster) settle() {
	c.tb.Helper()
	for i := 0; len(c.inflight)+len(c.writes) > 0; i++ {
		require.Less(c.tb, i, 10000, "cluster does not settle")
		if len(c.inflight) > 0 {
			m := c.inflight[0]
			c.inflight = c.inflight[1:]
			c.step(m.to, &Recv{From: m.from, Msg: m.msg})
			continue
		}
		c.completeWrite(c.writes[0].node)
	}
}

// replyTo returns the one reply to request req, failing if there is none or
// more than one.
func (c *cluster) replyTo(req ReqID) clientReply {
	c.tb.Helper()
	var found []clientReply
	for _, r := range c.replies {
		if r.ID == req {
			found = append(found, r)
		}
	}
	require.Len(c.tb, found, 1, "replies to request %d", req)
	return found[0]
}

// replyString renders the one reply to request req.
func (c *cluster) replyString(req ReqID) string {
	c.tb.Helper()
	r := c.replyTo(req)
	return render(&r.Reply)
}

// do runs a request at node id to completion and returns its result.
func (c *cluster) do(id NodeID, req ReqID, op Op) Result {
	c.tb.Helper()
	c.client(id, req, op)
	c.settle()
	return c.replyTo(req).Result
}

// --- rendering ---

// render prints an effect in a compact, stable form for exact assertions.
func render(e Effect) string {
	switch e := e.(type) {
	case *Send:
		return fmt.Sprintf("send %d %s", e.To, renderMsg(e.Msg))
	case *Reply:
		return fmt.Sprintf("reply %d %s", e.ID, renderResult(e.Result))
	case *Persist:
		var recs []string
		for _, r := range e.Records {
			recs = append(recs, renderRecord(r))
		}
		s := fmt.Sprintf("persist tok=%d %s", opID(e.Token), strings.Join(recs, " "))
		if e.Notify {
			s += " notify"
		}
		if len(e.Then) > 0 {
			s += " then(" + renderAll(e.Then, "; ") + ")"
		}
		return s
	case *WakeAt:
		return fmt.Sprintf("wake %s", renderTime(e.At))
	}
	return fmt.Sprintf("effect?%T", e)
}

func renderAll(effs []Effect, sep string) string {
	parts := make([]string, len(effs))
	for i, e := range effs {
		parts[i] = render(e)
	}
	return strings.Join(parts, sep)
}

// renderEffects is render over a slice, for require.Equal against literals.
func renderEffects(effs []Effect) []string {
	out := make([]string, len(effs))
	for i, e := range effs {
		out[i] = render(e)
	}
	return out
}

func renderTime(t Time) string {
	if t%Second == 0 && t >= 10*Second {
		return fmt.Sprintf("%ds", t/Second)
	}
	if t%Millisecond == 0 {
		return fmt.Sprintf("%dms", t/Millisecond)
	}
	return fmt.Sprintf("%dns", t)
}

func renderEvent(ev Event) string {
	switch ev := ev.(type) {
	case *Boot:
		return "boot"
	case *Recv:
		return fmt.Sprintf("recv %d %s", ev.From, renderMsg(ev.Msg))
	case *ClientRequest:
		return fmt.Sprintf("client %d %s", ev.ID, renderOp(ev.Op))
	case *Wakeup:
		return "wakeup"
	case *Persisted:
		return fmt.Sprintf("persisted tok=%d", opID(ev.Token))
	case *PersistFailed:
		return fmt.Sprintf("persist-failed tok=%d", opID(ev.Token))
	}
	return fmt.Sprintf("event?%T", ev)
}

func renderMsg(m Message) string {
	switch m := m.(type) {
	case GetReq:
		return fmt.Sprintf("GetReq{op=%d %s}", opID(m.Op), m.Key)
	case GetResp:
		return fmt.Sprintf("GetResp{op=%d %s %s}", opID(m.Op), m.Key, renderVersions(m.Versions))
	case PutReq:
		s := fmt.Sprintf("PutReq{op=%d %s %s", opID(m.Op), m.Key, renderVersions(m.Versions))
		if m.Durable {
			s += " durable"
		}
		if m.Hinted {
			s += fmt.Sprintf(" hint=%d", m.Hint)
		}
		return s + "}"
	case PutAck:
		return fmt.Sprintf("PutAck{op=%d}", opID(m.Op))
	case Forward:
		return fmt.Sprintf("Forward{op=%d %s}", opID(m.Op), renderOp(m.Req))
	case ForwardReply:
		return fmt.Sprintf("ForwardReply{op=%d %s}", opID(m.Op), renderResult(m.Result))
	case Ping:
		return "Ping"
	case Pong:
		return "Pong"
	case HandoffReq:
		return fmt.Sprintf("HandoffReq{op=%d %s %s}", opID(m.Op), m.Key, renderVersions(m.Versions))
	case HandoffAck:
		return fmt.Sprintf("HandoffAck{op=%d}", opID(m.Op))
	}
	return fmt.Sprintf("msg?%T", m)
}

func renderOp(op Op) string {
	s := fmt.Sprintf("%s %q", op.Kind, op.Key)
	if op.Kind == OpPut {
		s += fmt.Sprintf("=%q", op.Value)
	}
	if len(op.Context) > 0 {
		s += " ctx=" + renderContextBytes(op.Context)
	}
	if op.R != 0 {
		s += fmt.Sprintf(" r=%d", op.R)
	}
	if op.W != 0 {
		s += fmt.Sprintf(" w=%d", op.W)
	}
	return s
}

func renderResult(r Result) string {
	if r.Err != nil {
		s := "err=" + r.Err.Error()
		if r.Coordinator != 0 {
			s += fmt.Sprintf(" coord=%d", r.Coordinator)
		}
		return s
	}
	s := fmt.Sprintf("ok coord=%d", r.Coordinator)
	if r.Siblings != nil {
		var sibs []string
		for _, sb := range r.Siblings {
			if sb.Deleted {
				sibs = append(sibs, "⊥")
			} else {
				sibs = append(sibs, fmt.Sprintf("%q", sb.Value))
			}
		}
		s += " [" + strings.Join(sibs, " ") + "]"
	}
	if r.Context != nil {
		s += " ctx=" + renderContextBytes(r.Context)
	}
	return s
}

func renderContextBytes(b []byte) string {
	ctx, err := DecodeContext(b)
	if err != nil {
		return fmt.Sprintf("bad(%x)", b)
	}
	s := "{"
	if ctx.HasFastest {
		s += fmt.Sprintf("fastest=%d ", ctx.Fastest)
	}
	return s + renderClock(ctx.Clock) + "}"
}

func renderRecord(r Record) string {
	switch r.Kind {
	case RecordIncarnation:
		return fmt.Sprintf("incarnation=%d", r.Incarnation)
	case RecordVersions:
		return fmt.Sprintf("%s=%s", r.Key, renderVersions(r.Versions))
	case RecordHint:
		return fmt.Sprintf("hint(%d)%s=%s", r.Owner, r.Key, renderVersions(r.Versions))
	case RecordHintDelete:
		return fmt.Sprintf("hint-delete(%d)%s", r.Owner, r.Key)
	}
	return fmt.Sprintf("record?%d", r.Kind)
}

// renderActor prints an actor as node.incarnation, and .epoch for a fallback
// coordinator's fresh actor.
func renderActor(a causality.Actor) string {
	inc, epoch := uint64(a)>>actorEpochBits&maxActorField, uint64(a)&maxActorField
	if epoch != 0 {
		return fmt.Sprintf("%d.%d.%d", ActorNode(a), inc, epoch)
	}
	return fmt.Sprintf("%d.%d", ActorNode(a), inc)
}

// renderVersions prints each version as value@node.incarnation:counter, a
// tombstone's value as ⊥, and a non-empty clock after it.
func renderVersions(vs []Version) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		val := fmt.Sprintf("%q", v.Value)
		if v.Deleted {
			val = "⊥"
		}
		parts[i] = fmt.Sprintf("%s@%s:%d", val, renderActor(v.Dot.Actor), v.Dot.Counter)
		if len(v.Clock) > 0 {
			parts[i] += renderClock(v.Clock)
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func renderClock(c causality.Clock) string {
	parts := make([]string, len(c))
	for i, e := range c {
		parts[i] = fmt.Sprintf("%s:%d", renderActor(e.Actor), e.Counter)
	}
	return "<" + strings.Join(parts, ",") + ">"
}

// TestClusterHarness checks the harness itself on the simplest run: a
// blind put and a get through a fully delivering network.
func TestClusterHarness(t *testing.T) {
	c := newReadyCluster(t)
	key := keyWithTop(t, c.ring, 1, 2, 3)
	res := c.do(1, 1, Op{Kind: OpPut, Key: key, Value: []byte("a")})
	require.NoError(t, res.Err)
	res = c.do(1, 2, Op{Kind: OpGet, Key: key})
	require.NoError(t, res.Err)
	require.Equal(t, []Sibling{{Value: []byte("a")}}, res.Siblings)
	for _, id := range []NodeID{1, 2, 3} {
		require.Equal(t, `["a"@1.1:1]`, renderVersions(c.nodes[id].Versions(key)), "node %d", id)
	}
	for _, id := range []NodeID{4, 5} {
		require.Empty(t, c.nodes[id].Versions(key), "node %d is not a replica", id)
	}
	require.Contains(t, c.trace.String(), "1 <- client 1 put")
}

// opID renders an operation id as its number within the node's incarnation:
// ids carry the incarnation in their high 32 bits, which transcripts omit so
// that they read op=1, op=2, ... in every life of a node.
func opID(op uint64) uint64 { return op & 0xffffffff }

// op1 is operation id n of a node's first incarnation, as it appears on the
// wire.
func op1(n uint64) uint64 { return 1<<32 | n }
