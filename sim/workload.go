package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"

	"github.com/dynamo-replay/dynamo/checks"
	"github.com/dynamo-replay/dynamo/core"
)

// client is one sequential client stream. It holds at most one request.
type client struct {
	idx   int32
	busy  bool
	cur   core.ReqID
	op    checks.Op // the history entry being built
	rmw   bool      // the current get is the first half of a read-modify-write
	scrub bool      // an end-of-run scrub reader: one get, then done
	robot bool      // only writes, blindly, to the robot keys
	// admin sends one membership command (adminOp to adminTo), retried until
	// the node takes it; its requests are not part of the history.
	admin   bool
	adminTo core.NodeID
	adminOp core.OpKind
	issued  uint64
	// deadline is when the current request is given up. At most one give-up
	// event per client waits in the queue (armed says so); when it fires early
	// for a request that has since been replaced, it re-arms for the new one.
	// That keeps the queue as small as the number of clients, not of requests.
	deadline int64
	armed    bool
}

// Request ids carry the client index in their low 16 bits, so a reply finds its
// client without a map.
const maxClients = 1 << 16

func reqID(seq uint64, c int32) core.ReqID { return core.ReqID(seq<<16 | uint64(c)) }
func clientOf(id core.ReqID) int32         { return int32(id & (maxClients - 1)) }

// keyChooser draws keys uniformly or from a Zipf distribution.
type keyChooser struct {
	names []string
	cdf   []float64 // nil for uniform
}

func newKeyChooser(n int, zipf float64) keyChooser {
	k := keyChooser{names: make([]string, n)}
	width := len(strconv.Itoa(n - 1))
	for i := range k.names {
		k.names[i] = fmt.Sprintf("k%0*d", width, i)
	}
	if zipf > 0 {
		k.cdf = make([]float64, n)
		sum := 0.0
		for i := range k.cdf {
			sum += 1 / math.Pow(float64(i+1), zipf)
			k.cdf[i] = sum
		}
		for i := range k.cdf {
			k.cdf[i] /= sum
		}
	}
	return k
}

func (k *keyChooser) pick(r *rand.Rand) string {
	if k.cdf == nil {
		return k.names[r.IntN(len(k.names))]
	}
	return k.names[sort.SearchFloat64s(k.cdf, r.Float64())]
}

// clientTimeout is how long a client waits before it records an unknown
// outcome: past the coordinator's deadline and a forward's, so a client hears
// the real answer whenever there is one.
func (s *Sim) clientTimeout() int64 {
	return 3*int64(s.nodeCfg.RequestTimeout) + int64(s.cfg.Net.Latency.Max)
}

// runClient starts the client's next operation, if the budget allows.
func (s *Sim) runClient(c *client) {
	if c.admin {
		s.runAdmin(c)
		return
	}
	if c.busy {
		return
	}
	if s.issued >= s.cfg.Workload.Ops || s.phase != phaseLoad {
		s.maybeEndLoad()
		return
	}
	s.issued++
	w := &s.cfg.Workload
	if c.robot {
		s.issueWrite(c, checks.Put, s.keys.names[s.workRng.IntN(w.RobotKeys)], nil, nil)
		return
	}
	key := s.keys.pick(s.workRng)
	x := s.workRng.Float64()
	switch {
	case x < w.GetFraction:
		s.issue(c, checks.Op{Kind: checks.Get, Key: key}, nil, 0)
	case x < w.GetFraction+w.RMWFraction:
		// The put that follows counts too; without room for it in the
		// budget, this is a plain get.
		if s.issued < s.cfg.Workload.Ops {
			s.issued++
			c.rmw = true
		}
		s.issue(c, checks.Op{Kind: checks.Get, Key: key}, nil, 0)
	case x < w.GetFraction+w.RMWFraction+w.DeleteFraction:
		s.issueWrite(c, checks.Delete, key, nil, nil)
	default:
		s.issueWrite(c, checks.Put, key, nil, nil)
	}
}

func (s *Sim) issueWrite(c *client, kind checks.Kind, key string, ctx []byte, covers []string) {
	s.values++
	prefix := "v"
	if kind == checks.Delete {
		prefix = "d"
	}
	value := prefix + strconv.FormatUint(s.values, 10)
	s.issue(c, checks.Op{Kind: kind, Key: key, Value: value, Covers: covers}, ctx, 0)
}

// issue sends one request from client c to the node its routing picks.
func (s *Sim) issue(c *client, hop checks.Op, ctx []byte, r int) {
	op := requestOp(hop, ctx, r)
	s.sendRequest(c, hop, op, s.route(op))
}

func requestOp(hop checks.Op, ctx []byte, r int) core.Op {
	op := core.Op{Key: hop.Key, Context: ctx, R: r}
	switch hop.Kind {
	case checks.Get:
		op.Kind = core.OpGet
	case checks.Put:
		op.Kind, op.Value = core.OpPut, []byte(hop.Value)
	case checks.Delete:
		op.Kind, op.Value = core.OpDelete, []byte(hop.Value)
	}
	return op
}

// issueTo sends a request to a chosen node, bypassing routing.
func (s *Sim) issueTo(c *client, hop checks.Op, to core.NodeID, r int) {
	s.sendRequest(c, hop, requestOp(hop, nil, r), to)
}

func (s *Sim) sendRequest(c *client, hop checks.Op, op core.Op, to core.NodeID) {
	c.issued++
	c.busy = true
	c.cur = reqID(c.issued, c.idx)
	hop.Client = int(c.idx)
	hop.Call = s.now
	hop.Node = int(to)
	c.op = hop
	s.q.push(event{at: s.now + s.clientDelay(), kind: evRequest, node: to, client: c.idx,
		gen: uint64(c.cur), payload: s.ops.put(op)})
	c.deadline = s.now + s.clientTimeout()
	if !c.armed {
		c.armed = true
		s.q.push(event{at: c.deadline, kind: evClientGiveUp, client: c.idx})
	}
}

// route picks the node a request goes to (section 6.4). Clients, like a load
// balancer with health checks, know which nodes are up.
func (s *Sim) route(op core.Op) core.NodeID {
	if s.cfg.Routing == ServerDriven {
		return s.randomUpNode()
	}
	pref := topN(s.currentRing().PreferenceForKey(op.Key, s.prefBuf), s.cfg.N)
	if op.Kind == core.OpGet {
		return s.firstUp(pref, s.workRng.IntN(len(pref)))
	}
	if ctx, err := core.DecodeContext(op.Context); err == nil && ctx.HasFastest && slices.Contains(pref, ctx.Fastest) && s.nodes[ctx.Fastest].up {
		return ctx.Fastest
	}
	return s.firstUp(pref, 0)
}

// firstUp returns the first up node of list starting at index start, wrapping;
// the node at start if none is up.
func (s *Sim) firstUp(list []core.NodeID, start int) core.NodeID {
	for i := range list {
		id := list[(start+i)%len(list)]
		if s.nodes[id].up {
			return id
		}
	}
	return list[start]
}

func (s *Sim) randomUpNode() core.NodeID {
	up := s.upBuf[:0]
	for _, n := range s.nodes[1:] {
		if n.up {
			up = append(up, n.id)
		}
	}
	s.upBuf = up
	if len(up) == 0 {
		return core.NodeID(1 + s.workRng.IntN(len(s.nodes)-1))
	}
	return up[s.workRng.IntN(len(up))]
}

func (s *Sim) deliverRequest(ev *event) {
	n := s.nodes[ev.node]
	op := s.ops.take(ev.payload)
	if !n.up {
		s.stats.Dropped++
		return // the client will time out
	}
	s.countLoad(ev.node, true)
	s.request = core.ClientRequest{ID: core.ReqID(ev.gen), Op: op}
	s.step(n, &s.request)
}

// deliverResponse completes the client's operation, unless it gave up already.
func (s *Sim) deliverResponse(ev *event) {
	c := s.clients[ev.client]
	result := s.results.take(ev.payload)
	if !c.busy || uint64(c.cur) != ev.gen {
		return
	}
	res := &result
	if c.admin {
		s.adminDone(c, res)
		return
	}
	op := c.op
	op.Return = s.now
	op.Coordinator = int(res.Coordinator)
	switch {
	case res.Err == nil:
		op.Outcome = checks.Ok
	case isRejection(res.Err):
		op.Outcome = checks.Rejected
	default:
		op.Outcome = checks.Unknown
	}
	if op.Kind == checks.Get && op.Outcome == checks.Ok {
		op.Values = make([]string, len(res.Siblings))
		for i, sib := range res.Siblings {
			op.Values[i] = string(sib.Value)
		}
		sort.Strings(op.Values)
	}
	if op.Kind != checks.Get && op.Outcome == checks.Unknown {
		op.Return = checks.Never
	}
	s.finish(c, op)
	if c.rmw && op.Outcome == checks.Ok {
		c.rmw = false
		s.issueWrite(c, checks.Put, op.Key, res.Context, op.Values)
		return
	}
	c.rmw = false
	s.next(c)
}

func isRejection(err error) bool {
	return errors.Is(err, core.ErrBadRequest) || errors.Is(err, core.ErrUnavailable)
}

// giveUp records an unknown outcome for a request that never answered.
func (s *Sim) giveUp(ev *event) {
	c := s.clients[ev.client]
	c.armed = false
	if !c.busy {
		return
	}
	if c.deadline > s.now {
		c.armed = true
		s.q.push(event{at: c.deadline, kind: evClientGiveUp, client: c.idx})
		return
	}
	if c.admin {
		s.adminDone(c, nil)
		return
	}
	op := c.op
	op.Outcome = checks.Unknown
	op.Return = s.now
	if op.Kind != checks.Get {
		op.Return = checks.Never
	}
	s.finish(c, op)
	c.rmw = false
	s.next(c)
}

func (s *Sim) finish(c *client, op checks.Op) {
	c.busy = false
	s.history.Ops = append(s.history.Ops, op)
}

// next schedules the client's next operation after its think time.
func (s *Sim) next(c *client) {
	if c.scrub {
		s.scrubbing--
		s.maybeEndScrub()
		return
	}
	if s.cfg.Workload.OpenLoopRate > 0 && !c.robot { // robots loop whatever the humans do
		s.maybeEndLoad()
		return
	}
	think := s.cfg.Workload.Think.Sample(s.workRng)
	if think == 0 {
		s.runClient(c) // no pause: no event needed to start the next operation
		return
	}
	s.q.push(event{at: s.now + think, kind: evClientRun, client: c.idx})
}

// arrive is one open-loop arrival: the first idle client takes it, or a new
// client stream if all are busy.
func (s *Sim) arrive() {
	if s.issued >= s.cfg.Workload.Ops || s.phase != phaseLoad {
		s.maybeEndLoad()
		return
	}
	// With a daily cycle, candidates arrive at the peak rate and each is kept
	// with probability rate(now)/peak: thinning, which gives a Poisson
	// process of the varying rate from the one seeded stream.
	if d := s.cfg.Workload.Diurnal; d.Period <= 0 || s.workRng.Float64() < diurnalFactor(d, s.now) {
		c := s.idleClient()
		s.runClient(c)
	}
	gap := s.workRng.ExpFloat64() / s.cfg.Workload.OpenLoopRate * 1e9
	s.q.push(event{at: s.now + int64(gap), kind: evClientRun, client: -1})
}

// diurnalFactor is the rate at virtual time t as a fraction of the peak: Low
// at the start of a period, 1 at its middle, a raised cosine between.
func diurnalFactor(d Diurnal, t int64) float64 {
	phase := float64(t%int64(d.Period)) / float64(d.Period)
	return d.Low + (1-d.Low)*(1-math.Cos(2*math.Pi*phase))/2
}

// idleClient returns an open-loop client with nothing in flight, or a new one.
func (s *Sim) idleClient() *client {
	for _, x := range s.clients {
		if !x.busy && !x.scrub && !x.admin && !x.robot {
			return x
		}
	}
	return s.newClient()
}

func (s *Sim) newClient() *client {
	if len(s.clients) >= maxClients {
		panic(fmt.Sprintf("sim: more than %d concurrent clients", maxClients))
	}
	c := &client{idx: int32(len(s.clients))}
	s.clients = append(s.clients, c)
	return c
}

// clientDelay is the one-way delay between a client and a node: the network's,
// plus the load balancer's for server-driven requests.
func (s *Sim) clientDelay() int64 {
	d := s.cfg.Net.Latency.Sample(s.netRng)
	if s.cfg.Routing == ServerDriven && s.cfg.Net.Balancer.Kind != "" {
		d += s.cfg.Net.Balancer.Sample(s.netRng)
	}
	return d
}
