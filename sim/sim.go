package sim

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/dynamo-replay/dynamo/checks"
	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/core/ring"
)

type phase uint8

const (
	phaseLoad  phase = iota + 1 // clients run, faults happen
	phaseQuiet                  // faults healed, waiting for the system to settle
	phaseScrub                  // every key read with R=N, repairing stale replicas
	phaseDone
)

// Stats counts what the simulated world did.
type Stats struct {
	Events                               uint64
	Lost, Duplicated, Reordered, Dropped uint64
	Crashes, Restarts, Partitions        uint64
}

// Sim is one simulated run. Build it with New and call Run once.
type Sim struct {
	cfg     Config
	nodeCfg core.Config
	ring    *ring.Ring

	// One PCG from the seed hands out sub-seeds, so that subsystems draw from
	// independent streams (as TigerBeetle's VOPR does).
	netRng, diskRng, workRng, faultRng, nodeRng *rand.Rand

	now   int64
	q     queue
	trace tracer

	nodes   []*simNode // indexed by NodeID; nodes[0] is unused
	clients []*client
	keys    keyChooser
	prefBuf []core.NodeID
	upBuf   []core.NodeID

	phase     phase
	netFaults bool
	cut       []bool // cut[a*len(nodes)+b]: messages from a to b are dropped
	issued    int
	values    uint64
	scrubbing int
	loadOps   int

	// One reusable event of each kind: a node never keeps an event after Step.
	recv      core.Recv
	request   core.ClientRequest
	wakeup    core.Wakeup
	persisted core.Persisted

	ops     slab[core.Op]
	results slab[core.Result]

	history *checks.History
	probes  map[string]uint64
	stats   Stats
}

// New builds a simulation. It fails on an invalid configuration, naming the field.
func New(cfg Config) (*Sim, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	master := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	sub := func() *rand.Rand { return rand.New(rand.NewPCG(master.Uint64(), master.Uint64())) }
	s := &Sim{
		cfg:       cfg,
		netRng:    sub(),
		diskRng:   sub(),
		workRng:   sub(),
		faultRng:  sub(),
		nodeRng:   sub(),
		keys:      newKeyChooser(cfg.Workload.Keys, cfg.Workload.Zipf),
		phase:     phaseLoad,
		netFaults: true,
		history:   &checks.History{Seed: cfg.Seed, Ops: make([]checks.Op, 0, cfg.Workload.Ops+cfg.Workload.Keys+16)},
		probes:    make(map[string]uint64),
	}
	ids := make([]core.NodeID, cfg.Nodes)
	for i := range ids {
		ids[i] = core.NodeID(i + 1)
	}
	members, err := ring.Assign(cfg.Ring, ids, sub())
	if err != nil {
		return nil, err
	}
	if s.ring, err = ring.New(cfg.Ring, members); err != nil {
		return nil, err
	}
	s.prefBuf = make([]core.NodeID, 0, cfg.Nodes)
	s.nodeCfg = s.coreConfig()
	if err := s.nodeCfg.Validate(); err != nil {
		return nil, err
	}
	s.nodes = make([]*simNode, cfg.Nodes+1)
	for _, id := range ids {
		n := &simNode{id: id, cfg: s.nodeCfg}
		n.cfg.ID = id
		n.disk.retain = cfg.Faults.Crashes > 0
		if cfg.Clocks.MaxSkew > 0 {
			n.clock.wallOffset = s.faultRng.Int64N(2*int64(cfg.Clocks.MaxSkew)+1) - int64(cfg.Clocks.MaxSkew)
		}
		if cfg.Clocks.MaxDriftPPM > 0 {
			n.clock.driftPPM = s.faultRng.Int64N(2*cfg.Clocks.MaxDriftPPM+1) - cfg.Clocks.MaxDriftPPM
		}
		s.nodes[id] = n
	}
	s.history.Expect = expectations(cfg)
	return s, nil
}

func (s *Sim) coreConfig() core.Config {
	c := core.DefaultConfig(1, s.ring, nil)
	c.N, c.R, c.W = s.cfg.N, s.cfg.R, s.cfg.W
	c.Causality = s.cfg.Causality
	c.BufferedWrites = s.cfg.Buffered
	c.Strict = s.cfg.Strict
	c.Sloppy = !s.cfg.Strict
	if s.cfg.RequestTimeout > 0 {
		c.RequestTimeout = core.Time(s.cfg.RequestTimeout)
	}
	if s.cfg.ReadRepairWindow > 0 {
		c.ReadRepairWindow = core.Time(s.cfg.ReadRepairWindow)
	}
	c.Bugs = s.cfg.Bugs
	c.Probe = s.probe
	c.Rand = rand.New(rand.NewPCG(0, 0)) // replaced per incarnation in boot
	return c
}

// expectations says which checks must hold for a configuration. Dynamo's
// defaults (sloppy quorum, asynchronous read repair) allow stale reads, so
// linearizability is promised only by the strict profile, with durable writes.
func expectations(cfg Config) checks.Expect {
	dvv := cfg.Causality.String() == "dvv"
	durable := !cfg.Buffered || cfg.Faults.Crashes == 0
	return checks.Expect{
		Linearizable: dvv && cfg.Strict && !cfg.Buffered,
		NoLostWrites: dvv && durable,
		Converged:    !cfg.NoScrub,
	}
}

func (s *Sim) probe(name string) { s.probes[name]++ }

// Run executes the whole run: load with faults, quiet, scrub, final states.
func (s *Sim) Run() (*Result, error) {
	wallStart := time.Now()
	for _, n := range s.nodes[1:] {
		s.boot(n)
	}
	s.scheduleFaults()
	if s.cfg.Workload.OpenLoopRate > 0 {
		s.q.push(event{at: int64(s.cfg.StartDelay), kind: evClientRun, client: -1})
	} else {
		for i := 0; i < s.cfg.Workload.Clients; i++ {
			c := s.newClient()
			s.q.push(event{at: int64(s.cfg.StartDelay), kind: evClientRun, client: c.idx})
		}
	}
	if err := s.loop(); err != nil {
		return nil, err
	}
	s.captureFinal()
	return s.result(time.Since(wallStart)), nil
}

// loop dispatches events until the run is done. A panic in a node (a broken
// invariant) becomes an error that names the seed and the virtual time.
func (s *Sim) loop() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("seed %d: panic at virtual time %s: %v", s.cfg.Seed, time.Duration(s.now), r)
		}
	}()
	for s.phase != phaseDone && s.q.len() > 0 {
		ev := s.q.pop()
		s.now = ev.at
		s.stats.Events++
		s.trace.event(&ev)
		s.dispatch(&ev)
	}
	if s.phase != phaseDone {
		return fmt.Errorf("seed %d: event queue ran dry at %s before the run ended", s.cfg.Seed, time.Duration(s.now))
	}
	return nil
}

func (s *Sim) dispatch(ev *event) {
	switch ev.kind {
	case evMessage:
		s.deliverMessage(ev)
	case evRequest:
		s.deliverRequest(ev)
	case evResponse:
		s.deliverResponse(ev)
	case evWake:
		n := s.nodes[ev.node]
		if n.up && ev.gen == n.wakeGen {
			s.step(n, &s.wakeup)
		}
	case evDiskDone:
		n := s.nodes[ev.node]
		if n.up && ev.gen == n.epoch {
			s.diskDone(n)
		}
	case evClientRun:
		if ev.client < 0 {
			s.arrive()
		} else {
			s.runClient(s.clients[ev.client])
		}
	case evClientGiveUp:
		s.giveUp(ev)
	case evFault:
		s.applyFault(ev.fault)
	case evPhase:
		s.advancePhase()
	default:
		panic(fmt.Sprintf("unknown event kind %d", ev.kind))
	}
}

// maybeEndLoad moves to the quiet phase once the budget is spent and every
// client is idle.
func (s *Sim) maybeEndLoad() {
	if s.phase != phaseLoad || s.issued < s.cfg.Workload.Ops {
		return
	}
	for _, c := range s.clients {
		if c.busy {
			return
		}
	}
	s.phase = phaseQuiet
	s.loadOps = len(s.history.Ops)
	s.healAll()
	s.q.push(event{at: s.now + int64(s.cfg.Quiet), kind: evPhase})
}

func (s *Sim) advancePhase() {
	switch s.phase {
	case phaseQuiet:
		if s.cfg.NoScrub {
			s.phase = phaseDone
			return
		}
		s.phase = phaseScrub
		s.startScrub()
	case phaseScrub:
		s.phase = phaseDone
	}
}

// startScrub reads every key of the key space with R=N from its first replica,
// so that read repair brings every replica up to the merge. It is this issue's
// stand-in for anti-entropy, and its reads are checked like any other.
func (s *Sim) startScrub() {
	for _, key := range s.keys.names {
		c := s.newClient()
		c.scrub = true
		s.scrubbing++
		pref := s.ring.PreferenceForKey(key, s.prefBuf)
		op := checks.Op{Kind: checks.Get, Key: key}
		s.issueTo(c, op, pref[0], s.cfg.N)
	}
	s.maybeEndScrub()
}

func (s *Sim) maybeEndScrub() {
	if s.phase == phaseScrub && s.scrubbing == 0 {
		// Give read repair time to land: a repair window, then a generous
		// network allowance.
		s.q.push(event{at: s.now + int64(s.nodeCfg.ReadRepairWindow) + int64(time.Second), kind: evPhase})
		s.scrubbing = -1
	}
}

// captureFinal records what every node holds for every key.
func (s *Sim) captureFinal() {
	for _, key := range s.keys.names {
		pref := s.ring.PreferenceForKey(key, s.prefBuf)[:s.cfg.N]
		ks := checks.KeyState{Key: key}
		for _, id := range pref {
			ks.Owners = append(ks.Owners, int(id))
		}
		for _, n := range s.nodes[1:] {
			if !n.up {
				continue
			}
			vs := n.node.Versions(key)
			if len(vs) == 0 {
				continue
			}
			rs := checks.ReplicaState{Node: int(n.id), Values: make([]string, len(vs))}
			for i, v := range vs {
				rs.Values[i] = string(v.Value)
			}
			sortStrings(rs.Values)
			ks.Replicas = append(ks.Replicas, rs)
		}
		if len(ks.Replicas) > 0 {
			s.history.Final = append(s.history.Final, ks)
		}
	}
}
