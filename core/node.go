package core

import (
	"fmt"

	"github.com/dynamo-replay/dynamo/core/causality"
	"github.com/dynamo-replay/dynamo/core/ring"
)

// Node is one Dynamo storage node. It is not safe for concurrent use: its driver
// calls Step from one goroutine.
type Node struct {
	cfg  Config
	id   NodeID
	mech causality.Mechanism

	// incarnation counts boots; ready is set once this boot's incarnation record
	// is durable, and only then does the node create versions.
	incarnation uint32
	actor       causality.Actor
	actorEpoch  uint32 // last epoch handed to a fallback write
	ready       bool
	booted      bool

	store *store
	now   Clock
	out   []Effect
	arena effectArena

	nextOp uint64
	gets   map[uint64]*getOp
	puts   map[uint64]*putOp
	fwds   map[uint64]*fwdOp
	dedupe recentForwards

	members      *Membership
	curRing      *ring.Ring
	epoch        uint64
	gossipRounds uint64
	gossipBuf    []NodeID
	outgoing     []*outTransfer
	incoming     map[transferKey]*inTransfer // lookups only
	leaving      bool
	admit_       admission
	ae           antiEntropy

	peers          []peerState // indexed by NodeID
	hints          *hintStore
	handoffs       map[uint64]*handoffOp
	pendingHandoff map[hintKey]bool // lookups only

	timers  timers
	wakeAt  Time
	wakeSet bool
	buffer  writeBuffer
	prefBuf []NodeID
	stats   Stats
	bootTok uint64
}

// New builds a node from its configuration and what recovery found on disk. It
// panics on an invalid configuration: that is a programming error of the driver,
// which should have called Config.Validate.
func New(cfg Config, rec Recovered) *Node {
	if cfg.VCMaxEntries == 0 {
		cfg.VCMaxEntries = 10
	}
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	n := &Node{
		cfg:            cfg,
		id:             cfg.ID,
		mech:           causality.New(cfg.Causality, causality.Options{VCMaxEntries: cfg.VCMaxEntries}),
		store:          newStore(),
		gets:           make(map[uint64]*getOp),
		puts:           make(map[uint64]*putOp),
		fwds:           make(map[uint64]*fwdOp),
		hints:          newHintStore(),
		handoffs:       make(map[uint64]*handoffOp),
		pendingHandoff: make(map[hintKey]bool),
		incoming:       make(map[transferKey]*inTransfer),
	}
	n.buffer.init()
	// Duplicates arrive within the longest message delay; four request
	// timeouts is far past it.
	n.dedupe.init(4*cfg.RequestTimeout, 1<<16)
	n.admit_.init(cfg.BackgroundSlices)
	n.ae.init(cfg.Merkle)
	params := cfg.RingParams
	if cfg.Ring != nil {
		params = cfg.Ring.Params()
	}
	n.members = &Membership{Params: params}
	for _, r := range rec.Records {
		n.replay(r)
	}
	if len(n.members.Members) == 0 && cfg.Ring != nil {
		n.members = BootstrapMembership(cfg.Ring)
	}
	if r, err := n.members.Ring(); err == nil && len(n.members.Tokens) > 0 {
		n.curRing, n.epoch = r, n.members.Epoch()
		n.prefBuf = make([]NodeID, 0, r.Size())
	}
	return n
}

func (n *Node) replay(r Record) {
	switch r.Kind {
	case RecordVersions:
		n.store.set(r.Key, n.mech.Merge(n.store.get(r.Key), r.Versions))
	case RecordIncarnation:
		if r.Incarnation > n.incarnation {
			n.incarnation = r.Incarnation
		}
	case RecordMembership:
		n.members, _ = n.members.Merge(r.Membership, false)
	case RecordHint:
		n.mergeHint(r.Key, r.Owner, r.Versions)
	case RecordHintDelete:
		if x, ok := n.hints.get(r.Key, r.Owner); ok {
			n.hints.tree.Delete(x)
		}
	default:
		panic(fmt.Sprintf("node %d: recovered record of unknown kind %d", n.id, r.Kind))
	}
}

// ID returns the node's id.
func (n *Node) ID() NodeID { return n.id }

// Step delivers one input and returns the effects to carry out, in order.
func (n *Node) Step(in Input) []Effect {
	n.out = n.out[:0]
	n.arena.reset()
	if in.Now.Mono < n.now.Mono {
		panic(fmt.Sprintf("node %d: monotonic clock went back from %d to %d", n.id, n.now.Mono, in.Now.Mono))
	}
	n.now = in.Now
	if _, isBoot := in.Event.(*Boot); !n.booted && !isBoot {
		panic(fmt.Sprintf("node %d: %T delivered before Boot", n.id, in.Event))
	}
	switch ev := in.Event.(type) {
	case *Boot:
		n.handleBoot()
	case *Recv:
		n.handleMessage(ev.From, ev.Msg)
	case *ClientRequest:
		n.handleClientRequest(origin{client: ev.ID}, ev.Op)
	case *Wakeup:
		n.handleWakeup()
	case *Persisted:
		n.handlePersisted(ev.Token, true)
	case *PersistFailed:
		n.stats.PersistFailures++
		n.handlePersisted(ev.Token, false)
	default:
		panic(fmt.Sprintf("node %d: unknown event %T", n.id, in.Event))
	}
	n.maybeWake()
	return n.out
}

func (n *Node) emit(e Effect) { n.out = append(n.out, e) }

func (n *Node) send(to NodeID, m Message) { n.emit(n.arena.send(to, m)) }

func (n *Node) probe(name string) {
	if n.cfg.Probe != nil {
		n.cfg.Probe(name)
	}
}

func (n *Node) newOp() uint64 {
	n.nextOp++
	return n.nextOp
}

// handleBoot starts a new incarnation. The node creates no version until the
// incarnation record is durable, so that a crash during boot cannot hand out
// the same actor twice.
func (n *Node) handleBoot() {
	if n.booted {
		panic(fmt.Sprintf("node %d: booted twice", n.id))
	}
	n.booted = true
	n.incarnation++
	n.actor = actorOf(n.id, n.incarnation, 0)
	// Operation ids live in a space of their own per incarnation: a reply or
	// acknowledgement meant for this node's previous life must not match a
	// request of this one. 2^32 ids per incarnation is far beyond any run.
	n.nextOp = uint64(n.incarnation) << 32
	n.persistIncarnation()
	if n.cfg.BufferedWrites {
		n.timers.push(n.now.Mono+n.cfg.FlushInterval, timerFlush, 0)
	}
	if self, ok := n.members.Member(n.id); ok && (self.Addr != n.cfg.Addr || self.HTTPAddr != n.cfg.HTTPAddr) {
		n.adoptMembership(n.members.WithAddrs(n.id, n.cfg.Addr, n.cfg.HTTPAddr))
	}
	if self, ok := n.members.Member(n.id); ok && self.Status == StatusLeaving {
		// A crash lost the hand-over in progress: plan it again, from
		// everything this node holds.
		n.leaving = true
		n.planTransfers(nil)
	}
	n.timers.push(n.now.Mono+n.cfg.RetryInterval, timerRetry, 0)
	n.timers.push(n.now.Mono+n.cfg.HintInterval, timerHandoff, 0)
	// Stagger gossip over the first interval, so nodes booted together do
	// not gossip in lockstep.
	n.timers.push(n.now.Mono+1+Time(n.cfg.Rand.Int64N(int64(n.cfg.GossipInterval))), timerGossip, 0)
	n.timers.push(n.now.Mono+n.cfg.TransferInterval, timerTransfer, 0)
	n.timers.push(n.now.Mono+n.cfg.AdmissionInterval, timerAdmission, 0)
	n.timers.push(n.now.Mono+1+Time(n.cfg.Rand.Int64N(int64(n.cfg.AEInterval))), timerAntiEntropy, 0)
}

func (n *Node) persistIncarnation() {
	n.bootTok = n.newOp()
	n.emit(&Persist{
		Token:   n.bootTok,
		Records: []Record{{Kind: RecordIncarnation, Incarnation: n.incarnation}},
		Notify:  true,
	})
}

func (n *Node) handlePersisted(token uint64, ok bool) {
	if token == n.bootTok && !n.ready {
		if ok {
			n.ready = true
		} else {
			n.persistIncarnation()
		}
		return
	}
	// A coordinator's local write (a put's, or a strict get's write-back)
	// uses the operation's id as its token.
	if op, found := n.puts[token]; found {
		n.handleLocalWrite(op, ok)
	}
	if op, found := n.gets[token]; found && op.writingBack && ok {
		n.ackWriteBack(op, n.id)
	}
}

func (n *Node) handleMessage(from NodeID, m Message) {
	n.heardFrom(from)
	switch m := m.(type) {
	case Ping:
		n.send(from, Pong{})
	case Pong:
	case HandoffReq:
		n.handleHandoffReq(from, m)
	case HandoffAck:
		n.handleHandoffAck(m)
	case Gossip:
		n.handleGossip(from, m)
	case GossipReply:
		n.handleGossipReply(m)
	case TransferOffer:
		n.handleTransferOffer(from, m)
	case TransferReply:
		n.handleTransferReply(m)
	case TransferData:
		n.handleTransferData(from, m)
	case TransferAck:
		n.handleTransferAck(m)
	case AERoots:
		n.handleAERoots(from, m)
	case AENodes:
		n.handleAENodes(from, m)
	case AEBuckets:
		n.handleAEBuckets(from, m)
	case AEPull:
		n.handleAEPull(from, m)
	case GetReq:
		n.handleGetReq(from, m)
	case GetResp:
		n.handleGetResp(from, m)
	case PutReq:
		n.handlePutReq(from, m)
	case PutAck:
		n.handlePutAck(from, m)
	case Forward:
		if !n.dedupe.admit(forwardKey{from: from, op: m.Op}, n.now.Mono) {
			n.probe("forward_duplicate_dropped")
			return
		}
		n.handleClientRequest(origin{forwarder: from, fwdOp: m.Op, remote: true}, m.Req)
	case ForwardReply:
		n.handleForwardReply(m)
	default:
		n.stats.BadMessages++
	}
}

// handleWakeup runs every deadline that has passed.
func (n *Node) handleWakeup() {
	n.wakeSet = false
	for {
		t, ok := n.timers.peek()
		if !ok || t.at > n.now.Mono {
			return
		}
		n.timers.pop()
		switch t.kind {
		case timerRequest:
			n.onWakeRequest(t.op)
		case timerReadRepair:
			if op, found := n.gets[t.op]; found {
				n.finishGet(op)
			}
		default:
			run, every := n.periodic(t.kind)
			run()
			n.timers.push(n.now.Mono+every, t.kind, 0)
		}
	}
}

// periodic is what a periodic task does and how often it runs.
func (n *Node) periodic(kind timerKind) (func(), Time) {
	switch kind {
	case timerFlush:
		return n.flushBuffer, n.cfg.FlushInterval
	case timerRetry:
		return n.pingDownPeers, n.cfg.RetryInterval
	case timerHandoff:
		return n.deliverHints, n.cfg.HintInterval
	case timerGossip:
		return n.gossipRound, n.cfg.GossipInterval
	case timerTransfer:
		return n.runTransfers, n.cfg.TransferInterval
	case timerAdmission:
		return n.adjustAdmission, n.cfg.AdmissionInterval
	case timerAntiEntropy:
		return n.antiEntropyRound, n.cfg.AEInterval
	}
	panic(fmt.Sprintf("node %d: timer of unknown kind %d", n.id, kind))
}

// timerLive reports whether a deadline still has work to do when it fires.
func (n *Node) timerLive(t timer) bool {
	switch t.kind {
	case timerRequest:
		if op, ok := n.gets[t.op]; ok {
			return !op.answered
		}
		_, put := n.puts[t.op]
		_, fwd := n.fwds[t.op]
		_, handoff := n.handoffs[t.op]
		return put || fwd || handoff
	case timerReadRepair:
		_, ok := n.gets[t.op]
		return ok
	}
	return true
}

func (n *Node) onWakeRequest(id uint64) {
	if op, ok := n.gets[id]; ok {
		n.timeoutGet(op)
	}
	if op, ok := n.puts[id]; ok {
		n.timeoutPut(op)
	}
	if op, ok := n.handoffs[id]; ok {
		delete(n.handoffs, id)
		delete(n.pendingHandoff, hintKey{op.key, op.owner})
	}
	if op, ok := n.fwds[id]; ok {
		delete(n.fwds, id)
		n.stats.Timeouts++
		n.probe("forward_timeout")
		n.reply(op.origin, Result{Err: ErrTimeout})
	}
}

// maybeWake asks the driver for a wakeup at the earliest live deadline, unless
// the last request already covers it. Deadlines of finished operations are
// dropped from the front first, so that they cost no wakeup.
func (n *Node) maybeWake() {
	t, ok := n.timers.peek()
	for ok && !n.timerLive(t) {
		n.timers.pop()
		t, ok = n.timers.peek()
	}
	if !ok {
		return
	}
	if n.wakeSet && n.wakeAt <= t.at {
		return
	}
	n.wakeAt, n.wakeSet = t.at, true
	n.emit(n.arena.wake(t.at))
}

// preference returns the key's whole preference list in a buffer owned by the
// node, valid until the next call.
func (n *Node) preference(key string) []NodeID {
	n.prefBuf = n.ring().PreferenceForKey(key, n.prefBuf)
	return n.prefBuf
}

// ring is this node's current view of the ring.
func (n *Node) ring() *ring.Ring { return n.curRing }

// sendExpectingReply sends a request that the peer should answer, so that
// silence counts against it (section 4.8.3).
func (n *Node) sendExpectingReply(to NodeID, m Message) {
	n.expectReply(to)
	n.send(to, m)
}

func indexOf(ids []NodeID, id NodeID) int {
	for i, x := range ids {
		if x == id {
			return i
		}
	}
	return -1
}
