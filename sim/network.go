package sim

import "github.com/dynamo-replay/dynamo/core"

// sendMessage puts a peer message on the simulated network: it may be lost,
// duplicated or held back, and it is dropped on arrival if a partition then
// separates the two nodes or the receiver is down.
func (s *Sim) sendMessage(from, to core.NodeID, m core.Message) {
	if s.netFaults {
		if s.netRng.Float64() < s.cfg.Net.Loss {
			s.stats.Lost++
			return
		}
		if s.netRng.Float64() < s.cfg.Net.Duplicate {
			s.stats.Duplicated++
			s.q.push(event{at: s.now + s.messageDelay(), kind: evMessage, node: to, from: from, msg: m})
		}
	}
	s.q.push(event{at: s.now + s.messageDelay(), kind: evMessage, node: to, from: from, msg: m})
}

func (s *Sim) messageDelay() int64 {
	d := s.cfg.Net.Latency.Sample(s.netRng)
	if s.netFaults && s.cfg.Net.Reorder > 0 && s.netRng.Float64() < s.cfg.Net.Reorder {
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
	s.q.push(event{at: s.now + s.cfg.Net.Latency.Sample(s.netRng), kind: evResponse,
		from: from, gen: uint64(r.ID), client: clientOf(r.ID), payload: s.results.put(r.Result)})
}
