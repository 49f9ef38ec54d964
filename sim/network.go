package sim

import (
	"fmt"
	"math/rand/v2"

	"github.com/dynamo-replay/dynamo/core"
)

// netState is the network's fault state: the message-fault probabilities in
// force (the configured ones, or a burst's), and the nodes that are clogged.
type netState struct {
	loss, dup, reorder float64
	burst              [3]uint64 // token of the loss, dup and reorder burst in force
	clog               []uint64  // clog[id]: token of the clog holding node id, 0 if none
	held               []heldMessage
}

// heldMessage waits for a clog to end.
type heldMessage struct {
	from, to core.NodeID
	msg      core.Message
}

// sendMessage puts a peer message on the simulated network: it may be lost,
// duplicated or held back, and it is dropped on arrival if a partition then
// separates the two nodes or the receiver is down.
func (s *Sim) sendMessage(from, to core.NodeID, m core.Message) {
	if s.netFaults {
		if s.netRng.Float64() < s.net.loss {
			s.stats.Lost++
			return
		}
		if s.netRng.Float64() < s.net.dup {
			s.stats.Duplicated++
			s.transmit(from, to, m)
		}
	}
	s.transmit(from, to, m)
}

// transmit schedules one copy's arrival, or holds it while either end is clogged.
func (s *Sim) transmit(from, to core.NodeID, m core.Message) {
	if s.clogged(from) || s.clogged(to) {
		s.net.held = append(s.net.held, heldMessage{from: from, to: to, msg: m})
		s.stats.Held++
		return
	}
	s.q.push(event{at: s.now + s.messageDelay(), kind: evMessage, node: to, from: from, msg: m})
}

func (s *Sim) messageDelay() int64 {
	d := s.cfg.Net.Latency.Sample(s.netRng)
	if s.netFaults && s.net.reorder > 0 && s.netRng.Float64() < s.net.reorder {
		d += s.cfg.Net.ReorderDelay.Sample(s.netRng)
		s.stats.Reordered++
	}
	return d
}

func (s *Sim) deliverMessage(ev *event) {
	n := s.nodes[ev.node]
	if !n.up || s.blocked(ev.from, ev.node) {
		s.stats.Dropped++
		return
	}
	switch m := ev.msg.(type) {
	case core.GetReq, core.HandoffReq:
		s.countLoad(ev.node, false)
	case core.PutReq:
		if m.Op != 0 {
			s.countLoad(ev.node, false)
		}
	}
	s.recv = core.Recv{From: ev.from, Msg: ev.msg}
	s.step(n, &s.recv)
}

// blocked says whether a partition cuts messages from a to b.
func (s *Sim) blocked(a, b core.NodeID) bool {
	return s.cut != nil && s.cut[int(a)*len(s.nodes)+int(b)]
}

// sendResponse carries a reply back to the client that sent the request.
// Client links see latency but no loss: a lost reply would only look like a
// timeout, which the clients already model.
func (s *Sim) sendResponse(from core.NodeID, r *core.Reply) {
	s.q.push(event{at: s.now + s.clientDelay(), kind: evResponse,
		from: from, gen: uint64(r.ID), client: clientOf(r.ID), payload: s.results.put(r.Result)})
}

// burstSlot maps a burst kind to its slot in netState.burst.
func burstSlot(k FaultKind) int { return int(k - FaultLossBurst) }

// startBurst raises one message-fault probability to a level drawn between the
// network's own and the configured burst maximum, for FaultTime. A burst of
// the same kind already in force is left alone.
func (s *Sim) startBurst(k FaultKind, r *rand.Rand) {
	i := burstSlot(k)
	if s.net.burst[i] != 0 {
		return
	}
	base, top := s.baseProb(k)
	p := base + r.Float64()*(top-base)
	switch k {
	case FaultLossBurst:
		s.net.loss = p
	case FaultDupBurst:
		s.net.dup = p
	case FaultReorderBurst:
		s.net.reorder = p
	}
	s.net.burst[i] = s.newToken()
	s.probe(k.Probe())
	idx := s.annotate(k.String(), fmt.Sprintf("%s probability %.3f -> %.3f", burstName(k), base, p))
	s.endLater(k, 0, s.net.burst[i], idx)
}

func burstName(k FaultKind) string {
	switch k {
	case FaultLossBurst:
		return "loss"
	case FaultDupBurst:
		return "duplication"
	}
	return "reorder"
}

// baseProb returns the configured probability a burst of kind k raises, and
// the most it may raise it to.
func (s *Sim) baseProb(k FaultKind) (base, top float64) {
	f := &s.cfg.Faults
	switch k {
	case FaultLossBurst:
		return s.cfg.Net.Loss, f.BurstLoss
	case FaultDupBurst:
		return s.cfg.Net.Duplicate, f.BurstDup
	}
	return s.cfg.Net.Reorder, f.BurstReorder
}

// endBurst restores the probability a burst raised, if the burst still holds.
func (s *Sim) endBurst(k FaultKind, token uint64) bool {
	i := burstSlot(k)
	if s.net.burst[i] != token {
		return false
	}
	s.net.burst[i] = 0
	base, _ := s.baseProb(k)
	switch k {
	case FaultLossBurst:
		s.net.loss = base
	case FaultDupBurst:
		s.net.dup = base
	case FaultReorderBurst:
		s.net.reorder = base
	}
	return true
}

func (s *Sim) endBursts() {
	for k := FaultLossBurst; k <= FaultReorderBurst; k++ {
		if t := s.net.burst[burstSlot(k)]; t != 0 {
			s.endBurst(k, t)
		}
	}
}

func (s *Sim) clogged(id core.NodeID) bool {
	return s.net.clog != nil && s.net.clog[id] != 0
}

// startClog holds every message to or from one random node for FaultTime.
func (s *Sim) startClog(r *rand.Rand) {
	if s.net.clog == nil {
		s.net.clog = make([]uint64, len(s.nodes))
	}
	id := core.NodeID(1 + r.IntN(len(s.nodes)-1))
	if s.net.clog[id] != 0 {
		return
	}
	s.net.clog[id] = s.newToken()
	s.probe(FaultClog.Probe())
	idx := s.annotate(FaultClog.String(), fmt.Sprintf("node %d clogged: its messages are held", id))
	s.endLater(FaultClog, id, s.net.clog[id], idx)
}

// endClog unclogs a node, if that clog still holds, and sends on what it held.
func (s *Sim) endClog(id core.NodeID, token uint64) bool {
	if !s.clogged(id) || s.net.clog[id] != token {
		return false
	}
	s.net.clog[id] = 0
	s.releaseHeld()
	return true
}

func (s *Sim) endClogs() {
	for id := range s.net.clog {
		s.net.clog[id] = 0
	}
	s.releaseHeld()
}

// releaseHeld sends every held message whose ends are both unclogged, in the
// order they were sent, each with a fresh delay.
func (s *Sim) releaseHeld() {
	keep := s.net.held[:0]
	for _, h := range s.net.held {
		if s.clogged(h.from) || s.clogged(h.to) {
			keep = append(keep, h)
			continue
		}
		s.q.push(event{at: s.now + s.messageDelay(), kind: evMessage, node: h.to, from: h.from, msg: h.msg})
	}
	clear(s.net.held[len(keep):])
	s.net.held = keep
}
