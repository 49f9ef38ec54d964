package core

import (
	"testing"
)

// benchDriver is the leanest correct driver: a FIFO network, a disk that
// completes every write at once, and no transcript, so that a benchmark
// measures the nodes and not the harness.
type benchDriver struct {
	nodes   map[NodeID]*Node
	now     Clock
	wake    map[NodeID]Time
	msgs    []envelope
	writes  []pendingWrite
	replies []Reply
}

func (d *benchDriver) step(id NodeID, ev Event) {
	for _, e := range d.nodes[id].Step(Input{Now: d.now, Event: ev}) {
		d.carry(id, e)
	}
}

func (d *benchDriver) carry(id NodeID, e Effect) {
	switch e := e.(type) {
	case *Send:
		d.msgs = append(d.msgs, envelope{from: id, to: e.To, msg: e.Msg})
	case *Persist:
		d.writes = append(d.writes, pendingWrite{node: id, p: *e})
	case *Reply:
		d.replies = append(d.replies, *e)
	case *WakeAt:
		d.wake[id] = e.At
	}
}

// run delivers messages and completes writes until the cluster is quiet.
func (d *benchDriver) run() {
	for len(d.msgs)+len(d.writes) > 0 {
		if len(d.msgs) > 0 {
			m := d.msgs[0]
			d.msgs = d.msgs[1:]
			d.step(m.to, &Recv{From: m.from, Msg: m.msg})
			continue
		}
		w := d.writes[0]
		d.writes = d.writes[1:]
		for _, e := range w.p.Then {
			d.carry(w.node, e)
		}
		if w.p.Notify {
			d.step(w.node, &Persisted{Token: w.p.Token})
		}
	}
}

// tick moves time on and delivers the wakeups that are due.
func (d *benchDriver) tick(dt Time) {
	d.now.Mono += dt
	d.now.Wall += dt
	for _, id := range []NodeID{1, 2, 3} {
		if at, ok := d.wake[id]; ok && at <= d.now.Mono {
			delete(d.wake, id)
			d.step(id, &Wakeup{})
		}
	}
}

// BenchmarkPutGetRound is one read-modify-write round on a key replicated on
// nodes 1, 2 and 3, coordinated by node 1: a put with the context of the last
// get, then a get, every message and write carried out in process.
func BenchmarkPutGetRound(b *testing.B) {
	r := testRing(b)
	key := keyWithTop(b, r, 1, 2, 3)
	d := &benchDriver{nodes: map[NodeID]*Node{}, now: Clock{Wall: wallBase}, wake: map[NodeID]Time{}}
	for _, id := range []NodeID{1, 2, 3} {
		d.nodes[id] = New(testConfig(id, r), Recovered{})
		d.step(id, &Boot{})
	}
	d.run()
	value := []byte("value-of-some-bytes")
	var ctx []byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		d.replies = d.replies[:0]
		d.step(1, &ClientRequest{ID: ReqID(2 * i), Op: Op{Kind: OpPut, Key: key, Value: value, Context: ctx}})
		d.run()
		d.step(1, &ClientRequest{ID: ReqID(2*i + 1), Op: Op{Kind: OpGet, Key: key}})
		d.run()
		if len(d.replies) != 2 || d.replies[0].Result.Err != nil || len(d.replies[1].Result.Siblings) != 1 {
			b.Fatalf("round %d: replies %+v", i, d.replies)
		}
		ctx = d.replies[1].Result.Context
		d.tick(Millisecond)
		if len(d.msgs) > 0 || len(d.writes) > 0 {
			d.run()
		}
	}
}
