package sim

import (
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"strings"
	"time"

	"github.com/dynamo-replay/dynamo/checks"
	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/core/causality"
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
	// Reboots counts process restarts onto the same disk, Held the messages
	// a clog held back, FailedWrites the disk writes that failed.
	Reboots, Held, FailedWrites uint64
	// Joins and Leaves count the membership changes the nemesis commanded.
	Joins, Leaves uint64
}

// convergePoll is how often the quiet phase checks whether replicas agree.
const convergePoll = int64(100 * time.Millisecond)

// Sim is one simulated run. Build it with New and call Run once.
type Sim struct {
	cfg     Config
	nodeCfg core.Config
	ring    *ring.Ring

	// One PCG from the seed hands out sub-seeds, so that subsystems draw from
	// independent streams (as TigerBeetle's VOPR does).
	netRng, diskRng, workRng, faultRng, nodeRng *rand.Rand
	// nemRng drives the nemesis: its plan, when faults strike and what they do.
	nemRng *rand.Rand
	plan   NemesisPlan

	now   int64
	q     queue
	trace tracer

	nodes   []*simNode // indexed by NodeID; nodes[0] is unused
	clients []*client
	keys    keyChooser
	prefBuf []core.NodeID
	upBuf   []core.NodeID

	phase     phase
	phaseGen  uint64 // bumped when a phase ends early; older phase events are stale
	netFaults bool
	net       netState
	cut       []bool // cut[a*len(nodes)+b]: messages from a to b are dropped
	cutToken  uint64 // the partition that set cut
	faultSeq  uint64 // the last fault token handed out
	quiet     quietState
	issued    int
	values    uint64
	scrubbing int
	loadOps   int

	// One reusable event of each kind: a node never keeps an event after Step.
	recv      core.Recv
	request   core.ClientRequest
	wakeup    core.Wakeup
	persisted core.Persisted
	// persistFailed is reused like the events above.
	persistFailed core.PersistFailed

	ops     slab[core.Op]
	results slab[core.Result]

	load []LoadWindow

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
	// Drawn after every other stream, so that none of them shifts.
	s.nemRng = sub()
	if cfg.Faults.Nemesis {
		s.plan = drawPlan(&s.cfg, s.nemRng)
	}
	s.net.loss, s.net.dup, s.net.reorder = cfg.Net.Loss, cfg.Net.Duplicate, cfg.Net.Reorder
	s.quiet = quietState{convergeAt: -1}
	s.prefBuf = make([]core.NodeID, 0, cfg.Nodes)
	s.nodeCfg = s.coreConfig()
	if err := s.nodeCfg.Validate(); err != nil {
		return nil, err
	}
	s.nodes = make([]*simNode, cfg.Nodes+cfg.Faults.Spares+1)
	for id := core.NodeID(1); int(id) < len(s.nodes); id++ {
		n := &simNode{id: id, cfg: s.nodeCfg, present: int(id) <= cfg.Nodes, member: int(id) <= cfg.Nodes}
		n.cfg.ID = id
		if !n.present {
			// A spare knows the partitioning and the seeds, not the ring:
			// it learns the ring by gossip once it boots.
			n.cfg.Ring = nil
		}
		n.disk.retain = s.mayCrash()
		if cfg.Clocks.MaxSkew > 0 {
			n.clock.wallOffset = s.faultRng.Int64N(2*int64(cfg.Clocks.MaxSkew)+1) - int64(cfg.Clocks.MaxSkew)
		}
		if cfg.Clocks.MaxDriftPPM > 0 {
			n.clock.driftPPM = s.faultRng.Int64N(2*cfg.Clocks.MaxDriftPPM+1) - cfg.Clocks.MaxDriftPPM
		}
		s.nodes[id] = n
	}
	s.history.Expect = expectations(cfg, s.mayCrash())
	if s.plan.On[FaultJoin] || s.plan.On[FaultLeave] {
		// While a range moves, its new owner serves reads before the
		// transfer lands: quorums promise nothing across a change of ring.
		s.history.Expect.Linearizable = false
	}
	return s, nil
}

func (s *Sim) coreConfig() core.Config {
	c := core.DefaultConfig(1, s.ring, nil)
	c.N, c.R, c.W = s.cfg.N, s.cfg.R, s.cfg.W
	c.Causality = s.cfg.Causality
	c.BufferedWrites = s.cfg.Buffered
	c.Strict = s.cfg.Strict
	if s.cfg.NoAntiEntropy {
		c.AEInterval = core.Time(1 << 62) // never, within any run
	}
	c.Sloppy = !s.cfg.Strict
	if s.cfg.RequestTimeout > 0 {
		c.RequestTimeout = core.Time(s.cfg.RequestTimeout)
	}
	if s.cfg.ReadRepairWindow > 0 {
		c.ReadRepairWindow = core.Time(s.cfg.ReadRepairWindow)
	}
	c.Bugs = s.cfg.Bugs
	c.RingParams = s.cfg.Ring
	c.Seeds = []core.NodeID{1}
	if s.cfg.Nodes >= 2 {
		c.Seeds = append(c.Seeds, 2)
	}
	c.Probe = s.probe
	c.Rand = rand.New(rand.NewPCG(0, 0)) // replaced per incarnation in boot
	return c
}

// expectations says which checks must hold for a configuration. Dynamo's
// defaults (sloppy quorum, asynchronous read repair) allow stale reads, so
// linearizability is promised only by the strict profile, with durable writes
// and a fixed membership.
// crashes says whether any node may lose its memory (a crash or a reboot).
func expectations(cfg Config, crashes bool) checks.Expect {
	dvv := cfg.Causality.String() == "dvv"
	durable := !cfg.Buffered || !crashes
	return checks.Expect{
		Linearizable: dvv && cfg.Strict && !cfg.Buffered,
		NoLostWrites: dvv && durable,
		Converged:    cfg.Scrub || !cfg.NoAntiEntropy,
	}
}

func (s *Sim) probe(name string) { s.probes[name]++ }

// Run executes the whole run: load with faults, quiet, scrub, final states.
func (s *Sim) Run() (*Result, error) {
	wallStart := time.Now()
	for _, n := range s.nodes[1:] {
		if n.present {
			s.boot(n)
		}
	}
	s.scheduleFaults()
	for i := 0; i < s.cfg.Workload.Robots; i++ {
		c := s.newClient()
		c.robot = true
		s.q.push(event{at: int64(s.cfg.StartDelay), kind: evClientRun, client: c.idx})
	}
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
			err = fmt.Errorf("seed %d: panic at virtual time %s: %v\n%s", s.cfg.Seed, time.Duration(s.now), r, panicSite(debug.Stack()))
		}
	}()
	for s.phase != phaseDone && s.q.len() > 0 {
		// The quiet phase's convergence checks run between events: they
		// change nothing unless replicas agree, so a run that never
		// converges early dispatches exactly the events it would without them.
		if s.quiet.polling && s.quiet.next <= s.q.h[0].at {
			s.now = max(s.now, s.quiet.next)
			s.pollConvergence(s.q.h[0].at)
			continue
		}
		s.dispatchNext()
	}
	if s.phase != phaseDone {
		return fmt.Errorf("seed %d: event queue ran dry at %s before the run ended", s.cfg.Seed, time.Duration(s.now))
	}
	return nil
}

// dispatchNext takes the earliest event off the queue and carries it out.
func (s *Sim) dispatchNext() {
	ev := s.q.pop()
	if ev.at < s.now {
		panic(fmt.Sprintf("virtual time went back from %d to %d", s.now, ev.at))
	}
	s.now = ev.at
	s.stats.Events++
	s.trace.event(&ev)
	s.dispatch(&ev)
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
		if ev.gen == s.phaseGen {
			s.advancePhase()
		}
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
		if c.busy && !c.admin { // an operator's command does not hold the load open
			return
		}
	}
	s.phase = phaseQuiet
	s.loadOps = len(s.history.Ops)
	s.healAll()
	s.quiet = quietState{
		healAt:     s.now,
		next:       s.now,
		polling:    true,
		convergeAt: -1,
		annotation: s.annotate("quiet", "every fault healed; waiting for the replicas to converge"),
	}
	s.q.push(event{at: s.now + int64(s.cfg.Quiet), kind: evPhase, gen: s.phaseGen})
}

// quietState follows the quiet phase: from the heal, replicas are compared
// every convergePoll until they agree or the Quiet bound passes.
type quietState struct {
	healAt     int64
	next       int64 // the next check
	polling    bool
	convergeAt int64 // when the replicas first agreed; -1 if they have not
	annotation int
}

// pollConvergence checks the replicas once. When they agree, the quiet phase
// ends at once, and the bound's pending phase event goes stale. When they do
// not, nothing can change before the next event, at nextEvent, so the next
// check is the first one after it.
func (s *Sim) pollConvergence(nextEvent int64) {
	if !s.replicasAgree() {
		for s.quiet.next <= nextEvent {
			s.quiet.next += convergePoll
		}
		return
	}
	s.quiet.convergeAt = s.now
	s.phaseGen++
	s.advancePhase()
}

// replicasAgree reports whether the system has converged: every node is up
// and holds no hint (a write acknowledged by a fallback alone lives in its
// hint store until handed off), and every key's top N replicas hold the same
// sibling set. It only reads the nodes.
func (s *Sim) replicasAgree() bool {
	epoch, known := uint64(0), false
	for _, n := range s.nodes[1:] {
		if !n.present {
			continue
		}
		if !n.up {
			return false
		}
		// No hint left, no range still to hand over, one ring everywhere.
		st := n.node.Status()
		if st.Hints > 0 || st.Transfers > 0 || (known && st.Epoch != epoch) {
			return false
		}
		epoch, known = st.Epoch, true
	}
	r := s.currentRing()
	for _, key := range s.keys.names {
		pref := topN(r.PreferenceForKey(key, s.prefBuf), s.cfg.N)
		first := s.nodes[pref[0]]
		if !first.up {
			return false
		}
		want := first.node.Versions(key)
		for _, id := range pref[1:] {
			n := s.nodes[id]
			if !n.up || !causality.SameSet(want, n.node.Versions(key)) {
				return false
			}
		}
	}
	return true
}

func (s *Sim) advancePhase() {
	switch s.phase {
	case phaseQuiet:
		s.endQuiet()
		if !s.cfg.Scrub {
			s.phase = phaseDone
			return
		}
		s.phase = phaseScrub
		s.startScrub()
	case phaseScrub:
		s.phase = phaseDone
	}
}

// endQuiet stops the convergence checks and closes the quiet annotation.
func (s *Sim) endQuiet() {
	q := &s.quiet
	q.polling = false
	a := &s.history.Annotations[q.annotation]
	a.End = s.now
	if q.convergeAt >= 0 {
		a.Description = fmt.Sprintf("every fault healed; replicas converged after %s", time.Duration(q.convergeAt-q.healAt))
	} else {
		a.Description = fmt.Sprintf("every fault healed; replicas had not converged after %s", time.Duration(s.now-q.healAt))
	}
}

// convergeTime is the virtual time from the heal to convergence, or -1.
func (s *Sim) convergeTime() time.Duration {
	if s.quiet.convergeAt < 0 {
		return -1
	}
	return time.Duration(s.quiet.convergeAt - s.quiet.healAt)
}

// startScrub reads every key of the key space with R=N from its first replica,
// so that read repair brings every replica up to the merge. It is this issue's
// stand-in for anti-entropy, and its reads are checked like any other.
func (s *Sim) startScrub() {
	for _, key := range s.keys.names {
		c := s.newClient()
		c.scrub = true
		s.scrubbing++
		pref := s.currentRing().PreferenceForKey(key, s.prefBuf)
		op := checks.Op{Kind: checks.Get, Key: key}
		s.issueTo(c, op, pref[0], s.cfg.N)
	}
	s.maybeEndScrub()
}

func (s *Sim) maybeEndScrub() {
	if s.phase == phaseScrub && s.scrubbing == 0 {
		// Give read repair time to land: a repair window, then a generous
		// network allowance.
		s.q.push(event{at: s.now + int64(s.nodeCfg.ReadRepairWindow) + int64(time.Second), kind: evPhase, gen: s.phaseGen})
		s.scrubbing = -1
	}
}

// captureFinal records what every node holds for every key.
func (s *Sim) captureFinal() {
	r := s.currentRing()
	for _, key := range s.keys.names {
		pref := topN(r.PreferenceForKey(key, s.prefBuf), s.cfg.N)
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

// panicSite keeps the frames of a panic's stack that belong to this project,
// the part worth reading when a seed fails.
func panicSite(stack []byte) string {
	var out []string
	lines := strings.Split(string(stack), "\n")
	for i := 0; i+1 < len(lines) && len(out) < 16; i++ {
		if strings.Contains(lines[i], "dynamo-replay/dynamo/") && !strings.Contains(lines[i], "panicSite") {
			out = append(out, "  "+strings.TrimSpace(lines[i])+" "+strings.TrimSpace(lines[i+1]))
		}
	}
	return strings.Join(out, "\n")
}

// topN is the first n of a preference list, or all of it when the ring has
// fewer nodes.
func topN(pref []core.NodeID, n int) []core.NodeID { return pref[:min(n, len(pref))] }

// Run builds a simulation of cfg and runs it: New then Run, for callers that
// need nothing in between.
func Run(cfg Config) (*Result, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return s.Run()
}
