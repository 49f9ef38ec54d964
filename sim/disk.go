package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/disk"
)

// ErrInjectedIO is the error of a write the nemesis failed.
var ErrInjectedIO = errors.New("sim: injected I/O error")

// simDisk holds a node's log as bytes: a durable part, which survives crashes,
// and writes in flight, which a crash cuts short.
type simDisk struct {
	durable  []byte
	pending  []pendingWrite
	lastDone int64 // completion time of the newest pending write: writes finish in order
	retain   bool  // keep bytes only when a crash may need them

	// Nemesis faults, each named by the token of the fault that set it.
	slowFactor int64 // > 1: every write issued takes this many times longer
	slowToken  uint64
	failProb   float64 // every write issued fails with this probability
	failToken  uint64
}

type pendingWrite struct {
	bytes  []byte
	p      *core.Persist // allocated by the node for us to keep
	failed bool          // the write fails with an I/O error: nothing reaches the disk
}

func (s *Sim) persist(n *simNode, p *core.Persist) {
	w := pendingWrite{p: p}
	if n.disk.retain {
		for _, r := range p.Records {
			w.bytes = disk.AppendRecord(w.bytes, r)
		}
	}
	lat := s.cfg.Disk.Latency.Sample(s.diskRng)
	if f := n.disk.slowFactor; f > 1 {
		lat *= f
		if m := int64(s.cfg.Disk.Latency.Max); m > 0 && lat > m {
			lat = m
		}
	}
	if n.disk.failProb > 0 && s.nemRng.Float64() < n.disk.failProb {
		w.failed = true
	}
	at := s.now + lat
	if at < n.disk.lastDone {
		at = n.disk.lastDone
	}
	n.disk.lastDone = at
	n.disk.pending = append(n.disk.pending, w)
	s.q.push(event{at: at, kind: evDiskDone, node: n.id, gen: n.epoch})
}

// diskDone completes the oldest pending write. A durable write releases what
// waited on it; a failed one appends nothing, drops its Then effects (a
// replica's acknowledgement among them) and tells the node if it asked.
func (s *Sim) diskDone(n *simNode) {
	w := n.disk.pending[0]
	n.disk.pending[0] = pendingWrite{}
	n.disk.pending = n.disk.pending[1:]
	if w.failed {
		s.stats.FailedWrites++
		s.probe("disk_write_failed")
		if w.p.Notify {
			s.persistFailed = core.PersistFailed{Token: w.p.Token, Err: ErrInjectedIO}
			s.step(n, &s.persistFailed)
		}
		return
	}
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
// writes on, the next one may be cut mid-record. Failed writes never reach the
// disk. It returns how many writes it kept and how many bytes it tore.
func (d *simDisk) crash(r *rand.Rand, torn bool) (kept, tornBytes int) {
	k := 0
	if len(d.pending) > 0 {
		k = r.IntN(len(d.pending) + 1)
	}
	for _, w := range d.pending[:k] {
		if !w.failed {
			d.durable = append(d.durable, w.bytes...)
			kept++
		}
	}
	if torn && k < len(d.pending) && !d.pending[k].failed && len(d.pending[k].bytes) > 1 {
		b := d.pending[k].bytes
		tornBytes = 1 + r.IntN(len(b)-1)
		d.durable = append(d.durable, b[:tornBytes]...)
	}
	d.pending = nil
	d.lastDone = 0
	return kept, tornBytes
}

// flushAll makes every pending write that has not failed durable, as the
// operating system does for a killed process, and returns how many it kept.
func (d *simDisk) flushAll() int {
	kept := 0
	for _, w := range d.pending {
		if !w.failed {
			d.durable = append(d.durable, w.bytes...)
			kept++
		}
	}
	d.pending = nil
	d.lastDone = 0
	return kept
}

// diskFault makes one node's disk slow or failing for FaultTime. A node
// whose disk has that fault already is left alone.
func (s *Sim) diskFault(k FaultKind, r *rand.Rand) {
	n := s.nodes[1+r.IntN(len(s.nodes)-1)]
	d := &n.disk
	var desc string
	if k == FaultSlowDisk {
		if d.slowToken != 0 {
			return
		}
		d.slowFactor = 2 + int64(r.IntN(s.cfg.Faults.SlowDiskFactor-1))
		d.slowToken = s.newToken()
		desc = fmt.Sprintf("node %d disk %dx slower", n.id, d.slowFactor)
	} else {
		if d.failToken != 0 {
			return
		}
		d.failProb = (1 - r.Float64()) * s.cfg.Faults.DiskFailProb
		d.failToken = s.newToken()
		desc = fmt.Sprintf("node %d disk fails writes with p=%.2f", n.id, d.failProb)
	}
	s.probe(k.Probe())
	idx := s.annotate(k.String(), desc)
	token := d.slowToken
	if k == FaultDiskFail {
		token = d.failToken
	}
	s.endLater(k, n.id, token, idx)
}
