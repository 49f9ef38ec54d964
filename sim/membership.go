package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/core/ring"
)

// Membership changes are an operator's commands (section 4.8.1), sent here by
// an admin client whose requests are not part of the checked history.

// adminRetry is how long the admin waits before repeating a command a node
// refused for now (a spare that has not heard from a seed yet, a node
// restarting); it gives up after adminTries.
const (
	adminRetry = 500 * time.Millisecond
	adminTries = 40
)

// currentRing is the ring clients route with: the view of the lowest-numbered
// up node that has one. After convergence every node has the same view.
func (s *Sim) currentRing() *ring.Ring {
	for _, n := range s.nodes[1:] {
		if n.up && n.node.Ring() != nil {
			return n.node.Ring()
		}
	}
	return s.ring
}

// join boots the first absent spare and, once it had time to learn the ring
// from a seed by gossip, tells it to join.
func (s *Sim) join(r *rand.Rand) {
	for _, n := range s.nodes[1:] {
		if n.present {
			continue
		}
		n.present = true
		s.boot(n)
		s.stats.Joins++
		s.probe(FaultJoin.Probe())
		s.annotate(FaultJoin.String(), fmt.Sprintf("node %d boots and joins", n.id))
		s.sendAdmin(n.id, core.OpJoin, s.now+int64(2*s.nodeCfg.GossipInterval))
		return
	}
}

// leave has a random member that is not a seed leave, as long as more than
// N+1 members would remain, so that sloppy quorums keep a spare. The count is
// of the members the operator has not told to leave, not of any node's view:
// views lag, and leaves issued on a lagging view would shrink the ring below N.
func (s *Sim) leave(r *rand.Rand) {
	var members, candidates []core.NodeID
	for _, n := range s.nodes[1:] {
		if !n.member || n.leaving {
			continue
		}
		members = append(members, n.id)
		if n.up && !s.isSeed(n.id) {
			candidates = append(candidates, n.id)
		}
	}
	if len(members) <= s.cfg.N+1 || len(candidates) == 0 {
		return
	}
	id := candidates[r.IntN(len(candidates))]
	s.nodes[id].leaving = true
	s.stats.Leaves++
	s.probe(FaultLeave.Probe())
	s.annotate(FaultLeave.String(), fmt.Sprintf("node %d leaves", id))
	s.sendAdmin(id, core.OpLeave, s.now)
}

func (s *Sim) isSeed(id core.NodeID) bool {
	for _, x := range s.nodeCfg.Seeds {
		if x == id {
			return true
		}
	}
	return false
}

// sendAdmin schedules an admin command to node id at time at.
func (s *Sim) sendAdmin(id core.NodeID, kind core.OpKind, at int64) {
	c := s.newClient()
	c.admin = true
	c.adminTo, c.adminOp = id, kind
	s.q.push(event{at: at, kind: evClientRun, client: c.idx})
}

// runAdmin sends an admin client's command.
func (s *Sim) runAdmin(c *client) {
	if c.busy {
		return
	}
	c.issued++
	c.busy = true
	c.cur = reqID(c.issued, c.idx)
	s.q.push(event{at: s.now + s.cfg.Net.Latency.Sample(s.netRng), kind: evRequest, node: c.adminTo, client: c.idx,
		gen: uint64(c.cur), payload: s.ops.put(core.Op{Kind: c.adminOp})})
	c.deadline = s.now + s.clientTimeout()
	if !c.armed {
		c.armed = true
		s.q.push(event{at: c.deadline, kind: evClientGiveUp, client: c.idx})
	}
}

// adminDone handles the answer to an admin command: retried while the node
// cannot take it yet, dropped once done or refused for good.
func (s *Sim) adminDone(c *client, res *core.Result) {
	c.busy = false
	if res != nil && res.Err == nil && c.adminOp == core.OpJoin {
		s.nodes[c.adminTo].member = true
	}
	retry := res == nil || errors.Is(res.Err, core.ErrUnavailable) || errors.Is(res.Err, core.ErrTimeout)
	if retry && s.phase != phaseDone && c.issued < adminTries {
		s.q.push(event{at: s.now + int64(adminRetry), kind: evClientRun, client: c.idx})
	}
}
