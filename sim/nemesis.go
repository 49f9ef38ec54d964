package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/dynamo-replay/dynamo/core"
)

// FaultKind names one kind of fault the nemesis injects. Each kind is an
// annotation tag in the history and a coverage probe nemesis_<kind>.
type FaultKind uint8

const (
	// FaultPartition splits the nodes in two random groups that cannot talk.
	FaultPartition FaultKind = iota
	// FaultIsolate cuts one node off from every other, both ways.
	FaultIsolate
	// FaultOneWay splits the nodes in two groups; the first cannot send to the
	// second, which can still send back.
	FaultOneWay
	// FaultBridge splits all nodes but one in two groups that cannot talk;
	// the remaining node, the bridge, talks to both.
	FaultBridge
	// FaultCrash is a power failure: memory is lost, the disk keeps a random
	// prefix of the writes in flight, perhaps with a torn last record; the
	// node restarts after Downtime.
	FaultCrash
	// FaultReboot is a process restart onto the same disk: memory is lost and
	// no completion is seen, but every write already issued reaches the disk;
	// the node is back after RebootTime.
	FaultReboot
	// FaultClockJump moves a node's wall clock forward or back.
	FaultClockJump
	// FaultClockDrift changes the rate of a node's monotonic clock.
	FaultClockDrift
	// FaultSlowDisk multiplies a node's disk latency for a while.
	FaultSlowDisk
	// FaultDiskFail makes a node's writes fail with an I/O error for a while.
	FaultDiskFail
	// FaultLossBurst, FaultDupBurst and FaultReorderBurst raise the network's
	// probability of losing, duplicating or holding back a message for a while.
	FaultLossBurst
	FaultDupBurst
	FaultReorderBurst
	// FaultClog holds every message to or from a node, and delivers them when
	// the clog ends (FoundationDB's clogging, turmoil's hold and release).
	FaultClog
	// FaultJoin boots a spare node and has it join the ring (an operator's
	// command, section 4.9); the ranges it takes are transferred to it.
	FaultJoin
	// FaultLeave has a member leave the ring: it hands its ranges over and
	// ends as left.
	FaultLeave
	// NumFaultKinds is the number of kinds.
	NumFaultKinds
)

var faultNames = [NumFaultKinds]string{
	FaultPartition:    "partition",
	FaultIsolate:      "isolate",
	FaultOneWay:       "one_way",
	FaultBridge:       "bridge",
	FaultCrash:        "crash",
	FaultReboot:       "reboot",
	FaultClockJump:    "clock_jump",
	FaultClockDrift:   "clock_drift",
	FaultSlowDisk:     "slow_disk",
	FaultDiskFail:     "disk_fail",
	FaultLossBurst:    "loss_burst",
	FaultDupBurst:     "dup_burst",
	FaultReorderBurst: "reorder_burst",
	FaultClog:         "clog",
	FaultJoin:         "join",
	FaultLeave:        "leave",
}

func (k FaultKind) String() string {
	if k < NumFaultKinds {
		return faultNames[k]
	}
	return fmt.Sprintf("fault%d", k)
}

// Probe is the name of the coverage probe counting injections of the kind.
func (k FaultKind) Probe() string { return "nemesis_" + k.String() }

func (k FaultKind) isPartition() bool { return k <= FaultBridge }

// ParseFaultKind parses a kind's name as String prints it.
func ParseFaultKind(name string) (FaultKind, error) {
	for k, n := range faultNames {
		if n == name {
			return FaultKind(k), nil
		}
	}
	return 0, fmt.Errorf("unknown fault kind %q (want one of %s)", name, strings.Join(faultNames[:], ", "))
}

// rateRange is the range the swarm draws a kind's rate from (log-uniformly),
// in occurrences per simulated second of the load phase. A default run's load
// lasts a few simulated seconds.
var rateRange = [NumFaultKinds][2]float64{
	FaultPartition:    {0.5, 4},
	FaultIsolate:      {0.5, 4},
	FaultOneWay:       {0.5, 4},
	FaultBridge:       {0.5, 4},
	FaultCrash:        {0.5, 4},
	FaultReboot:       {0.5, 4},
	FaultClockJump:    {1, 20},
	FaultClockDrift:   {1, 20},
	FaultSlowDisk:     {0.5, 5},
	FaultDiskFail:     {0.5, 5},
	FaultLossBurst:    {0.5, 5},
	FaultDupBurst:     {0.5, 5},
	FaultReorderBurst: {0.5, 5},
	FaultClog:         {0.5, 5},
	FaultJoin:         {0.2, 2},
	FaultLeave:        {0.2, 2},
}

// NemesisPlan is what the seed drew for a run: which kinds are on, how often
// each strikes, and whether crashes tear the last record.
type NemesisPlan struct {
	On   [NumFaultKinds]bool
	Rate [NumFaultKinds]float64 // occurrences per simulated second
	Torn bool
}

// Enabled lists the kinds that are on, in kind order.
func (p NemesisPlan) Enabled() []FaultKind {
	var out []FaultKind
	for k, on := range p.On {
		if on {
			out = append(out, FaultKind(k))
		}
	}
	return out
}

// String is the plan in one line: kind@rate/s for every kind that is on.
func (p NemesisPlan) String() string {
	var parts []string
	for _, k := range p.Enabled() {
		parts = append(parts, fmt.Sprintf("%s@%.2f/s", k, p.Rate[k]))
	}
	if len(parts) == 0 {
		return "off"
	}
	if p.Torn && p.On[FaultCrash] {
		parts = append(parts, "torn")
	}
	return strings.Join(parts, " ")
}

// drawPlan draws the swarm's choices from r. Every kind draws its coin and its
// rate whether or not they are used, so that forcing one kind on or off leaves
// every other kind's draws as they were.
func drawPlan(cfg *Config, r *rand.Rand) NemesisPlan {
	var p NemesisPlan
	var auto []FaultKind
	for k := range NumFaultKinds {
		coin := r.IntN(2) == 0
		lo, hi := rateRange[k][0], rateRange[k][1]
		p.Rate[k] = lo * math.Exp(r.Float64()*math.Log(hi/lo))
		ks := cfg.Faults.Kinds[k]
		if ks.Rate > 0 {
			p.Rate[k] = ks.Rate
		}
		if !kindPossible(cfg, k) {
			continue
		}
		switch ks.Mode {
		case KindOn:
			p.On[k] = true
		case KindAuto:
			p.On[k] = coin
			auto = append(auto, k)
		}
	}
	p.Torn = r.IntN(2) == 0 || cfg.Faults.TornWrites
	if len(p.Enabled()) == 0 && len(auto) > 0 {
		p.On[auto[r.IntN(len(auto))]] = true // a swarm run always has some fault
	}
	return p
}

// kindPossible says whether a kind can do anything in this configuration.
func kindPossible(cfg *Config, k FaultKind) bool {
	f := &cfg.Faults
	switch k {
	case FaultPartition, FaultIsolate, FaultOneWay:
		return cfg.Nodes >= 2
	case FaultBridge:
		return cfg.Nodes >= 3
	case FaultClockJump:
		return f.MaxClockJump > 0
	case FaultClockDrift:
		return f.MaxDriftPPM > 0
	case FaultSlowDisk:
		return f.SlowDiskFactor >= 2
	case FaultDiskFail:
		return f.DiskFailProb > 0
	case FaultLossBurst:
		return f.BurstLoss > cfg.Net.Loss
	case FaultDupBurst:
		return f.BurstDup > cfg.Net.Duplicate
	case FaultReorderBurst:
		return f.BurstReorder > cfg.Net.Reorder
	case FaultJoin:
		return f.Spares > 0
	case FaultLeave:
		return cfg.Nodes+f.Spares > cfg.N+2
	}
	return true
}

// Plan returns what the seed drew for the nemesis (all off without it).
func (s *Sim) Plan() NemesisPlan { return s.plan }

// mayCrash says whether any node can lose its memory during the run.
func (s *Sim) mayCrash() bool {
	return s.cfg.Faults.Crashes > 0 || s.plan.On[FaultCrash] || s.plan.On[FaultReboot]
}

// startNemesis schedules the first strike of every process. The four
// partition kinds share one process (one partition holds at a time) whose rate
// is the sum of theirs; it picks the kind when it strikes. Every other kind is
// a process of its own. A process strikes at exponentially distributed
// intervals for as long as the load lasts, so faults cover the whole load
// however long the faults make it.
func (s *Sim) startNemesis() {
	for k := range NumFaultKinds {
		if k.isPartition() && k != FaultPartition {
			continue
		}
		if rate := s.processRate(k); rate > 0 {
			s.scheduleArrival(k, rate)
		}
	}
}

func (s *Sim) processRate(k FaultKind) float64 {
	if !k.isPartition() {
		if s.plan.On[k] {
			return s.plan.Rate[k]
		}
		return 0
	}
	sum := 0.0
	for p := FaultPartition; p <= FaultBridge; p++ {
		if s.plan.On[p] {
			sum += s.plan.Rate[p]
		}
	}
	return sum
}

func (s *Sim) scheduleArrival(k FaultKind, rate float64) {
	gap := int64(s.nemRng.ExpFloat64() / rate * 1e9)
	s.q.push(event{at: s.now + gap, kind: evFault, fault: &fault{act: actArrive, kind: k}})
}

// strike is one strike of a nemesis process: inject, then schedule the next.
func (s *Sim) strike(k FaultKind) {
	if s.phase != phaseLoad {
		return // the process ends with the load
	}
	if k.isPartition() {
		k = s.pickPartitionKind()
	}
	s.inject(k)
	s.scheduleArrival(k, s.processRate(k))
}

// pickPartitionKind draws one of the enabled partition kinds, weighted by rate.
func (s *Sim) pickPartitionKind() FaultKind {
	x := s.nemRng.Float64() * s.processRate(FaultPartition)
	last := FaultPartition
	for p := FaultPartition; p <= FaultBridge; p++ {
		if !s.plan.On[p] {
			continue
		}
		last = p
		if x < s.plan.Rate[p] {
			return p
		}
		x -= s.plan.Rate[p]
	}
	return last
}

// inject starts one fault of kind k now, if the world allows it (one
// partition at a time, at most maxDown nodes down, one burst of each kind).
func (s *Sim) inject(k FaultKind) {
	r := s.nemRng
	switch k {
	case FaultPartition, FaultIsolate, FaultOneWay, FaultBridge:
		if s.cut != nil {
			return
		}
		s.startPartition(k, r)
	case FaultCrash, FaultReboot:
		s.nemesisCrash(k)
	case FaultClockJump:
		s.clockJump(r)
	case FaultClockDrift:
		s.clockDrift(r)
	case FaultSlowDisk, FaultDiskFail:
		s.diskFault(k, r)
	case FaultLossBurst, FaultDupBurst, FaultReorderBurst:
		s.startBurst(k, r)
	case FaultClog:
		s.startClog(r)
	case FaultJoin:
		s.join(r)
	case FaultLeave:
		s.leave(r)
	}
}

// maxDown is how many nodes the nemesis keeps down at most: a minority.
func (s *Sim) maxDown() int { return max(1, (s.cfg.Nodes-1)/2) }

func (s *Sim) nemesisCrash(k FaultKind) {
	up := s.upBuf[:0]
	present := 0
	for _, n := range s.nodes[1:] {
		if n.present {
			present++
		}
		if n.up {
			up = append(up, n.id)
		}
	}
	s.upBuf = up
	if present-len(up) >= s.maxDown() || len(up) == 0 {
		return
	}
	n := s.nodes[up[s.nemRng.IntN(len(up))]]
	var desc string
	var downtime Dist
	if k == FaultCrash {
		lost := s.powerFail(n, s.plan.Torn)
		s.stats.Crashes++
		desc = fmt.Sprintf("node %d crashed (power failure: %s)", n.id, lost)
		downtime = s.cfg.Faults.Downtime
	} else {
		kept := s.processKill(n)
		s.stats.Reboots++
		desc = fmt.Sprintf("node %d rebooted onto the same disk (%d writes in flight kept)", n.id, kept)
		downtime = s.cfg.Faults.RebootTime
	}
	s.probe(k.Probe())
	idx := s.annotate(k.String(), desc)
	s.q.push(event{at: s.now + downtime.Sample(s.nemRng), kind: evFault,
		fault: &fault{act: actRestart, node: n.id, annotation: idx}})
}

// endLater schedules the end of a fault that lasts FaultTime.
func (s *Sim) endLater(k FaultKind, node core.NodeID, token uint64, annotation int) {
	s.q.push(event{at: s.now + s.cfg.Faults.FaultTime.Sample(s.nemRng), kind: evFault,
		fault: &fault{act: actEnd, kind: k, node: node, token: token, annotation: annotation}})
}

// endFault ends a timed fault, unless it ended already (healed with the rest).
func (s *Sim) endFault(f *fault) {
	ended := false
	switch f.kind {
	case FaultSlowDisk:
		d := &s.nodes[f.node].disk
		if d.slowToken == f.token {
			d.slowFactor, d.slowToken = 0, 0
			ended = true
		}
	case FaultDiskFail:
		d := &s.nodes[f.node].disk
		if d.failToken == f.token {
			d.failProb, d.failToken = 0, 0
			ended = true
		}
	case FaultLossBurst, FaultDupBurst, FaultReorderBurst:
		ended = s.endBurst(f.kind, f.token)
	case FaultClog:
		ended = s.endClog(f.node, f.token)
	}
	if ended {
		s.history.Annotations[f.annotation].End = s.now
	}
}

func (s *Sim) newToken() uint64 {
	s.faultSeq++
	return s.faultSeq
}
