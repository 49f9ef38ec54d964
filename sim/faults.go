package sim

import (
	"fmt"
	"math/rand/v2"

	"github.com/dynamo-replay/dynamo/checks"
	"github.com/dynamo-replay/dynamo/core"
)

// faultAction is what a fault event does when it is dispatched.
type faultAction uint8

const (
	actCrash     faultAction = iota + 1 // fixed schedule: crash a random node
	actRestart                          // a crashed or rebooted node comes back
	actPartition                        // fixed schedule: a random partition
	actHeal                             // a partition ends
	actArrive                           // a nemesis process strikes
	actEnd                              // a timed nemesis fault ends
)

type fault struct {
	act    faultAction
	kind   FaultKind // actArrive, actEnd
	oneWay bool      // actPartition
	node   core.NodeID
	// token names the fault instance an end event belongs to: an end whose
	// fault was healed already (or replaced) does nothing.
	token      uint64
	annotation int // index into the history's annotations, set when the fault starts
}

// loadEstimate guesses how long the load phase lasts, so that faults of the
// fixed schedule land inside it. Faults due after the load ends are skipped.
func (s *Sim) loadEstimate() int64 {
	w := &s.cfg.Workload
	if w.OpenLoopRate > 0 {
		return int64(float64(w.Ops) / w.OpenLoopRate * 1e9)
	}
	perOp := int64(w.Think.Min) + int64(w.Think.Scale) + 3*int64(s.cfg.Net.Latency.Min+s.cfg.Net.Latency.Scale) +
		int64(s.cfg.Disk.Latency.Min+s.cfg.Disk.Latency.Scale)
	return int64(w.Ops) / int64(w.Clients) * perOp
}

// scheduleFaults queues the fixed schedule's faults, then starts the nemesis.
func (s *Sim) scheduleFaults() {
	span := s.loadEstimate()
	if span < 1 {
		span = 1
	}
	for i := 0; i < s.cfg.Faults.Crashes; i++ {
		s.q.push(event{at: s.faultRng.Int64N(span), kind: evFault, fault: &fault{act: actCrash}})
	}
	for i := 0; i < s.cfg.Faults.Partitions; i++ {
		s.q.push(event{at: s.faultRng.Int64N(span), kind: evFault, fault: &fault{act: actPartition}})
	}
	for i := 0; i < s.cfg.Faults.OneWayPartitions; i++ {
		s.q.push(event{at: s.faultRng.Int64N(span), kind: evFault, fault: &fault{act: actPartition, oneWay: true}})
	}
	if s.cfg.Faults.Nemesis {
		s.startNemesis()
	}
}

func (s *Sim) applyFault(f *fault) {
	switch f.act {
	case actCrash:
		if s.phase != phaseLoad {
			return
		}
		n := s.nodes[1+s.faultRng.IntN(len(s.nodes)-1)]
		if !n.up {
			return
		}
		s.crash(n)
		s.stats.Crashes++
		s.probe(FaultCrash.Probe())
		idx := s.annotate(FaultCrash.String(), fmt.Sprintf("node %d crashed", n.id))
		s.q.push(event{at: s.now + s.cfg.Faults.Downtime.Sample(s.faultRng), kind: evFault,
			fault: &fault{act: actRestart, node: n.id, annotation: idx}})
	case actRestart:
		s.restart(s.nodes[f.node], f.annotation)
	case actPartition:
		if s.phase != phaseLoad || s.cut != nil {
			return
		}
		k := FaultPartition
		if f.oneWay {
			k = FaultOneWay
		}
		s.startPartition(k, s.faultRng)
	case actHeal:
		if s.cut != nil && s.cutToken == f.token {
			s.cut, s.cutToken = nil, 0
			s.history.Annotations[f.annotation].End = s.now
		}
	case actArrive:
		s.strike(f.kind)
	case actEnd:
		s.endFault(f)
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

// powerFail stops a node as a power failure would: memory is lost, and its
// disk keeps a random prefix of the writes in flight, with a torn last record
// if torn. It describes what the disk lost.
func (s *Sim) powerFail(n *simNode, torn bool) string {
	inFlight := len(n.disk.pending)
	s.stop(n)
	kept, tornBytes := n.disk.crash(s.diskRng, torn)
	desc := fmt.Sprintf("%d of %d writes in flight kept", kept, inFlight)
	if tornBytes > 0 {
		desc += fmt.Sprintf(", %d bytes of the next torn", tornBytes)
	}
	return desc
}

// processKill stops a node as a killed process would: memory is lost, but the
// operating system still writes out everything the node had handed it. No
// completion is seen, so no acknowledgement that waited on one is sent.
func (s *Sim) processKill(n *simNode) int {
	s.stop(n)
	return n.disk.flushAll()
}

// stop takes a node down; events of its old epoch become stale.
func (s *Sim) stop(n *simNode) {
	n.up = false
	n.node = nil
	n.epoch++
	n.wakeGen++
}

// startPartition cuts the network as kind says and schedules the heal after
// PartitionTime, drawing every choice from r.
func (s *Sim) startPartition(k FaultKind, r *rand.Rand) {
	var desc string
	switch k {
	case FaultPartition:
		desc = "partition " + describeSides(s.partitionSides(r, false), " | ")
	case FaultOneWay:
		desc = "one-way partition " + describeSides(s.partitionSides(r, true), " -/-> ")
	case FaultIsolate:
		desc = fmt.Sprintf("node %d isolated", s.isolate(r))
	case FaultBridge:
		desc = s.bridge(r)
	}
	s.cutToken = s.newToken()
	s.stats.Partitions++
	s.probe(k.Probe())
	idx := s.annotate(k.String(), desc)
	s.q.push(event{at: s.now + s.cfg.Faults.PartitionTime.Sample(r), kind: evFault,
		fault: &fault{act: actHeal, token: s.cutToken, annotation: idx}})
}

// partitionSides splits the nodes in two random non-empty groups and cuts every
// link between them: both ways, or with oneWay only from the first group to the
// second.
func (s *Sim) partitionSides(r *rand.Rand, oneWay bool) []bool {
	k := len(s.nodes)
	side := make([]bool, k)
	ids := s.shuffledIDs(r)
	cutAt := 1
	if len(ids) > 1 {
		cutAt = 1 + r.IntN(len(ids)-1)
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

func (s *Sim) shuffledIDs(r *rand.Rand) []int {
	ids := make([]int, 0, len(s.nodes)-1)
	for i := 1; i < len(s.nodes); i++ {
		ids = append(ids, i)
	}
	r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	return ids
}

// isolate cuts one random node off from all others, both ways.
func (s *Sim) isolate(r *rand.Rand) int {
	k := len(s.nodes)
	x := 1 + r.IntN(k-1)
	s.cut = make([]bool, k*k)
	for a := 1; a < k; a++ {
		s.cut[a*k+x] = a != x
		s.cut[x*k+a] = a != x
	}
	return x
}

// bridge picks a bridge node and splits the others in two non-empty groups
// that cannot talk to each other; the bridge talks to both (a "bridge"
// partition, as in Jepsen). It needs three nodes.
func (s *Sim) bridge(r *rand.Rand) string {
	k := len(s.nodes)
	ids := s.shuffledIDs(r)
	b, rest := ids[0], ids[1:]
	cutAt := 1 + r.IntN(len(rest)-1)
	group := make([]int, k) // 0: the bridge
	for i, id := range rest {
		group[id] = 1
		if i >= cutAt {
			group[id] = 2
		}
	}
	s.cut = make([]bool, k*k)
	for x := 1; x < k; x++ {
		for y := 1; y < k; y++ {
			s.cut[x*k+y] = group[x] != 0 && group[y] != 0 && group[x] != group[y]
		}
	}
	var left, right string
	for id := 1; id < k; id++ {
		switch group[id] {
		case 1:
			left += fmt.Sprintf(" %d", id)
		case 2:
			right += fmt.Sprintf(" %d", id)
		}
	}
	return fmt.Sprintf("bridge {%s } <- %d -> {%s }", left, b, right)
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

// annotateInstant records a fault that takes no time, such as a clock jump.
func (s *Sim) annotateInstant(tag, desc string) {
	s.history.Annotations = append(s.history.Annotations, checks.Annotation{Tag: tag, Start: s.now, End: s.now, Description: desc})
}

// healAll ends every fault: partitions heal, crashed nodes restart, disks
// become healthy, clogged messages are delivered, and the network stops
// losing, duplicating and reordering messages. Clocks keep their offsets and
// rates; they stop jumping because the nemesis stops with the load.
func (s *Sim) healAll() {
	s.netFaults = false
	s.cut, s.cutToken = nil, 0
	s.endBursts()
	s.endClogs()
	for _, n := range s.nodes[1:] {
		n.disk.slowFactor, n.disk.slowToken = 0, 0
		n.disk.failProb, n.disk.failToken = 0, 0
	}
	for _, n := range s.nodes[1:] {
		if n.present && !n.up {
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
