package sim

import (
	"math/rand/v2"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/disk"
)

// simDisk holds a node's log as bytes: a durable part, which survives crashes,
// and writes in flight, which a crash cuts short.
type simDisk struct {
	durable  []byte
	pending  []pendingWrite
	lastDone int64 // completion time of the newest pending write: writes finish in order
	retain   bool  // keep bytes only when a crash may need them
}

type pendingWrite struct {
	bytes []byte
	p     *core.Persist // allocated by the node for us to keep
}

func (s *Sim) persist(n *simNode, p *core.Persist) {
	w := pendingWrite{p: p}
	if n.disk.retain {
		for _, r := range p.Records {
			w.bytes = disk.AppendRecord(w.bytes, r)
		}
	}
	at := s.now + s.cfg.Disk.Latency.Sample(s.diskRng)
	if at < n.disk.lastDone {
		at = n.disk.lastDone
	}
	n.disk.lastDone = at
	n.disk.pending = append(n.disk.pending, w)
	s.q.push(event{at: at, kind: evDiskDone, node: n.id, gen: n.epoch})
}

// diskDone makes the oldest pending write durable and releases what waited on it.
func (s *Sim) diskDone(n *simNode) {
	w := n.disk.pending[0]
	n.disk.pending[0] = pendingWrite{}
	n.disk.pending = n.disk.pending[1:]
	n.disk.durable = append(n.disk.durable, w.bytes...)
	for _, e := range w.p.Then {
		s.execute(n, e)
	}
	if w.p.Notify {
		s.persisted = core.Persisted{Token: w.p.Token}
		s.step(n, &s.persisted)
	}
}

// crash keeps a random prefix of the pending writes, as a power failure would:
// some reached the platter without their completion being seen. With torn
// writes on, the next one may be cut mid-record.
func (d *simDisk) crash(r *rand.Rand, torn bool) {
	k := 0
	if len(d.pending) > 0 {
		k = r.IntN(len(d.pending) + 1)
	}
	for _, w := range d.pending[:k] {
		d.durable = append(d.durable, w.bytes...)
	}
	if torn && k < len(d.pending) && len(d.pending[k].bytes) > 1 {
		b := d.pending[k].bytes
		d.durable = append(d.durable, b[:1+r.IntN(len(b)-1)]...)
	}
	d.pending = nil
	d.lastDone = 0
}
