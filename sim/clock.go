package sim

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"time"

	"github.com/dynamo-replay/dynamo/core"
)

// nodeClock maps global virtual time to one node's readings. The monotonic
// clock runs at rate 1+drift (drift in parts per million) and is never skewed
// otherwise, as in TigerBeetle's TimeSim; the wall clock is the monotonic one
// plus an offset that a clock jump can change at any time. Integer arithmetic
// only, so readings are the same on every platform.
type nodeClock struct {
	baseGlobal int64
	baseMono   int64
	driftPPM   int64
	wallOffset int64
}

func (c *nodeClock) mono(global int64) int64 {
	d := global - c.baseGlobal
	return c.baseMono + d + d*c.driftPPM/1_000_000
}

func (c *nodeClock) read(global int64) core.Clock {
	m := c.mono(global)
	return core.Clock{Mono: core.Time(m), Wall: core.Time(m + c.wallOffset)}
}

// globalAt is the first global time at which the monotonic clock reads at least
// mono.
func (c *nodeClock) globalAt(mono int64) int64 {
	dm := mono - c.baseMono
	if dm <= 0 {
		return c.baseGlobal
	}
	hi, lo := bits.Mul64(uint64(dm), 1_000_000)
	q, _ := bits.Div64(hi, lo, uint64(1_000_000+c.driftPPM))
	g := c.baseGlobal + int64(q)
	for c.mono(g) < mono {
		g++
	}
	for g > c.baseGlobal && c.mono(g-1) >= mono {
		g--
	}
	return g
}

// setDrift changes the rate from now on without a jump in the reading.
func (c *nodeClock) setDrift(global, ppm int64) {
	c.baseMono = c.mono(global)
	c.baseGlobal = global
	c.driftPPM = ppm
}

// jump moves the wall clock by delta; the monotonic clock does not move.
func (c *nodeClock) jump(delta int64) { c.wallOffset += delta }

// clockJump moves one node's wall clock forward or back by up to MaxClockJump.
func (s *Sim) clockJump(r *rand.Rand) {
	n := s.nodes[1+r.IntN(len(s.nodes)-1)]
	limit := int64(s.cfg.Faults.MaxClockJump)
	delta := r.Int64N(2*limit+1) - limit
	if delta == 0 {
		delta = limit
	}
	n.clock.jump(delta)
	s.probe(FaultClockJump.Probe())
	s.annotateInstant(FaultClockJump.String(), fmt.Sprintf("node %d wall clock jumps %+v (offset now %+v)",
		n.id, time.Duration(delta), time.Duration(n.clock.wallOffset)))
}

// clockDrift gives one node's monotonic clock a new rate, within
// MaxDriftPPM either way, without a jump in its reading. A wakeup the node
// asked for under the old rate may then come a little early, which the node
// takes as a spurious wakeup and asks again, or a little late.
func (s *Sim) clockDrift(r *rand.Rand) {
	n := s.nodes[1+r.IntN(len(s.nodes)-1)]
	limit := s.cfg.Faults.MaxDriftPPM
	ppm := r.Int64N(2*limit+1) - limit
	old := n.clock.driftPPM
	n.clock.setDrift(s.now, ppm)
	s.probe(FaultClockDrift.Probe())
	s.annotateInstant(FaultClockDrift.String(), fmt.Sprintf("node %d clock drift %+dppm -> %+dppm", n.id, old, ppm))
}
