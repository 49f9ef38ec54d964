package sim

import (
	"fmt"

	"github.com/dynamo-replay/dynamo/checks"
	"github.com/dynamo-replay/dynamo/core"
)

type faultKind uint8

const (
	faultCrash faultKind = iota + 1
	faultRestart
	faultPartition
	faultHeal
)

type fault struct {
	kind       faultKind
	oneWay     bool
	node       core.NodeID
	annotation int // index into the history's annotations, set when the fault starts
}

// loadEstimate guesses how long the load phase lasts, so that faults land
// inside it. Faults due after the load ends are skipped.
func (s *Sim) loadEstimate() int64 {
	w := &s.cfg.Workload
	if w.OpenLoopRate > 0 {
		return int64(float64(w.Ops) / w.OpenLoopRate * 1e9)
	}
	perOp := int64(w.Think.Min) + int64(w.Think.Scale) + 3*int64(s.cfg.Net.Latency.Min+s.cfg.Net.Latency.Scale) +
		int64(s.cfg.Disk.Latency.Min+s.cfg.Disk.Latency.Scale)
	return int64(w.Ops) / int64(w.Clients) * perOp
}

func (s *Sim) scheduleFaults() {
	span := s.loadEstimate()
	if span < 1 {
		span = 1
	}
	for i := 0; i < s.cfg.Faults.Crashes; i++ {
		s.q.push(event{at: s.faultRng.Int64N(span), kind: evFault, fault: &fault{kind: faultCrash}})
	}
	for i := 0; i < s.cfg.Faults.Partitions; i++ {
		s.q.push(event{at: s.faultRng.Int64N(span), kind: evFault, fault: &fault{kind: faultPartition}})
	}
	for i := 0; i < s.cfg.Faults.OneWayPartitions; i++ {
		s.q.push(event{at: s.faultRng.Int64N(span), kind: evFault, fault: &fault{kind: faultPartition, oneWay: true}})
	}
}

func (s *Sim) applyFault(f *fault) {
	switch f.kind {
	case faultCrash:
		if s.phase != phaseLoad {
			return
		}
		n := s.nodes[1+s.faultRng.IntN(len(s.nodes)-1)]
		if !n.up {
			return
		}
		s.crash(n)
		s.stats.Crashes++
		s.probe("crash")
		idx := s.annotate("crash", fmt.Sprintf("node %d crashed", n.id))
		s.q.push(event{at: s.now + s.cfg.Faults.Downtime.Sample(s.faultRng), kind: evFault,
			fault: &fault{kind: faultRestart, node: n.id, annotation: idx}})
	case faultRestart:
		s.restart(s.nodes[f.node], f.annotation)
	case faultPartition:
		if s.phase != phaseLoad || s.cut != nil {
			return
		}
		side := s.partitionSides(f.oneWay)
		s.stats.Partitions++
		desc := "partition " + describeSides(side, " | ")
		if f.oneWay {
			s.probe("partition_one_way")
			desc = "one-way partition " + describeSides(side, " -/-> ")
		} else {
			s.probe("partition")
		}
		idx := s.annotate("partition", desc)
		s.q.push(event{at: s.now + s.cfg.Faults.PartitionTime.Sample(s.faultRng), kind: evFault,
			fault: &fault{kind: faultHeal, annotation: idx}})
	case faultHeal:
		if s.cut != nil {
			s.cut = nil
			s.history.Annotations[f.annotation].End = s.now
		}
	}
}

func (s *Sim) restart(n *simNode, annotation int) {
	if n.up {
		return
	}
	s.boot(n)
	s.stats.Restarts++
	s.history.Annotations[annotation].End = s.now
}

// partitionSides splits the nodes in two random non-empty groups and cuts every
// link between them: both ways, or with oneWay only from the first group to the
// second.
func (s *Sim) partitionSides(oneWay bool) []bool {
	k := len(s.nodes)
	side := make([]bool, k)
	ids := make([]int, 0, k-1)
	for i := 1; i < k; i++ {
		ids = append(ids, i)
	}
	s.faultRng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	cutAt := 1
	if len(ids) > 1 {
		cutAt = 1 + s.faultRng.IntN(len(ids)-1)
	}
	for _, id := range ids[:cutAt] {
		side[id] = true
	}
	s.cut = make([]bool, k*k)
	for a := 1; a < k; a++ {
		for b := 1; b < k; b++ {
			s.cut[a*k+b] = side[a] != side[b] && (!oneWay || side[a])
		}
	}
	return side
}

func describeSides(side []bool, sep string) string {
	a, b := "", ""
	for id := 1; id < len(side); id++ {
		if side[id] {
			a += fmt.Sprintf(" %d", id)
		} else {
			b += fmt.Sprintf(" %d", id)
		}
	}
	return fmt.Sprintf("{%s }%s{%s }", a, sep, b)
}

// annotate opens an annotation that lasts until its fault heals; open ones are
// closed by healAll.
func (s *Sim) annotate(tag, desc string) int {
	s.history.Annotations = append(s.history.Annotations, checks.Annotation{Tag: tag, Start: s.now, End: -1, Description: desc})
	return len(s.history.Annotations) - 1
}

// healAll ends every fault: partitions heal, crashed nodes restart, and the
// network stops losing, duplicating and reordering messages.
func (s *Sim) healAll() {
	s.netFaults = false
	s.cut = nil
	for _, n := range s.nodes[1:] {
		if !n.up {
			s.boot(n)
			s.stats.Restarts++
		}
	}
	for i := range s.history.Annotations {
		if s.history.Annotations[i].End < 0 {
			s.history.Annotations[i].End = s.now
		}
	}
}
