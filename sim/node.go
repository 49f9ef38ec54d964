package sim

import (
	"fmt"
	"math/rand/v2"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/disk"
)

// simNode is one simulated machine: a core.Node while it is up, its disk and
// its clock, which survive crashes.
type simNode struct {
	id   core.NodeID
	cfg  core.Config
	node *core.Node
	up   bool
	// present: the node is part of the cluster, booted at the start or by a
	// join. A spare slot is absent until it joins.
	present bool
	// member: the node is in the ring as far as the operator knows (an
	// initial node, or a spare whose join was acknowledged); leaving: the
	// operator told it to leave.
	member, leaving bool
	epoch           uint64 // bumped by every crash; events of an older epoch are stale
	clock           nodeClock
	disk            simDisk
	// wakeGen identifies the one live wakeup request.
	wakeGen uint64
}

// boot builds the node from what its disk holds, through the same recovery
// code the real driver uses, and delivers Boot.
func (s *Sim) boot(n *simNode) {
	rec, err := disk.Recover(n.disk.durable)
	if err != nil {
		panic(fmt.Sprintf("node %d: recovery failed: %v", n.id, err))
	}
	if rec.TornBytes > 0 {
		s.probe("torn_tail_truncated")
	}
	n.disk.durable = n.disk.durable[:rec.Valid]
	cfg := n.cfg
	cfg.Rand = rand.New(rand.NewPCG(s.nodeRng.Uint64(), s.nodeRng.Uint64()))
	n.node = core.New(cfg, rec.Recovered)
	n.up = true
	s.step(n, &core.Boot{})
}

// crash stops a node: memory is lost, pending disk writes keep a random prefix
// (perhaps with a torn last record), and no effect that waited on them happens.
func (s *Sim) crash(n *simNode) {
	if !n.up {
		return
	}
	n.up = false
	n.node = nil
	n.epoch++
	n.wakeGen++
	n.disk.crash(s.diskRng, s.cfg.Faults.TornWrites)
}

// step delivers one event to an up node and carries out its effects.
func (s *Sim) step(n *simNode, ev core.Event) {
	effects := n.node.Step(core.Input{Now: n.clock.read(s.now), Event: ev})
	// Effects may make the node step again (a Persist completing at once never
	// happens: disk latency is never zero), so executing them in place is safe.
	for _, e := range effects {
		s.execute(n, e)
	}
}

func (s *Sim) execute(n *simNode, e core.Effect) {
	switch e := e.(type) {
	case *core.Send:
		s.sendMessage(n.id, e.To, e.Msg)
	case *core.Reply:
		s.sendResponse(n.id, e)
	case *core.Persist:
		s.persist(n, e)
	case *core.WakeAt:
		n.wakeGen++
		s.q.push(event{at: n.clock.globalAt(int64(e.At)), kind: evWake, node: n.id, gen: n.wakeGen})
	default:
		panic(fmt.Sprintf("node %d: unknown effect %T", n.id, e))
	}
}
