package core

// getOp is the state machine of one get (section 5): ask the top N replicas,
// answer with the merge of the first R replies, keep listening for a short
// window, then repair the replicas that answered with stale sibling sets.
type getOp struct {
	id       uint64
	origin   origin
	key      string
	need     int
	replicas []NodeID
	replies  []getReply
	merged   []Version
	answered bool
}

type getReply struct {
	from     NodeID
	versions []Version
}

// startGet starts a get; pref is the key's top N.
func (n *Node) startGet(o origin, req Op, pref []NodeID) {
	op := &getOp{
		id:       n.newOp(),
		origin:   o,
		key:      req.Key,
		need:     n.quorum(req.R, n.cfg.R),
		replicas: append([]NodeID(nil), pref...),
		replies:  make([]getReply, 0, n.cfg.N),
	}
	n.gets[op.id] = op
	n.timers.push(n.now.Mono+n.cfg.RequestTimeout, timerRequest, op.id)
	for _, r := range op.replicas {
		if r != n.id {
			n.send(r, GetReq{Op: op.id, Key: req.Key})
		}
	}
	if indexOf(op.replicas, n.id) >= 0 {
		// The local read is the fastest reply there can be.
		n.addGetReply(op, n.id, n.store.get(req.Key))
	}
}

func (n *Node) handleGetReq(from NodeID, m GetReq) {
	versions := n.store.get(m.Key)
	if n.cfg.Bugs.CorruptValue && len(versions) > 0 {
		bad := append([]Version(nil), versions...)
		bad[0].Value = append(append([]byte(nil), bad[0].Value...), '!')
		versions = bad
	}
	n.send(from, GetResp{Op: m.Op, Key: m.Key, Versions: versions})
}

func (n *Node) handleGetResp(from NodeID, m GetResp) {
	op, ok := n.gets[m.Op]
	if !ok || op.key != m.Key {
		return // late, after the repair window, or not ours
	}
	n.addGetReply(op, from, m.Versions)
}

func (n *Node) addGetReply(op *getOp, from NodeID, versions []Version) {
	if indexOf(op.replicas, from) < 0 {
		n.stats.BadMessages++
		return
	}
	for _, r := range op.replies {
		if r.from == from {
			return // a duplicated message
		}
	}
	op.replies = append(op.replies, getReply{from: from, versions: versions})
	op.merged = n.mech.Merge(op.merged, versions)
	if !op.answered && len(op.replies) >= op.need {
		n.answerGet(op)
	}
	if op.answered && len(op.replies) == len(op.replicas) {
		n.finishGet(op)
	}
}

func (n *Node) answerGet(op *getOp) {
	op.answered = true
	siblings := op.merged
	if n.cfg.Bugs.DropSibling && len(siblings) > 1 {
		siblings = siblings[:1]
	}
	res := Result{
		Siblings:    make([]Sibling, len(siblings)),
		Coordinator: n.id,
		Context: EncodeContext(Context{
			Clock:      n.mech.Context(op.merged),
			Fastest:    op.replies[0].from,
			HasFastest: true,
		}),
	}
	for i, v := range siblings {
		res.Siblings[i] = Sibling{Value: v.Value, Deleted: v.Deleted}
	}
	n.stats.Gets++
	n.stats.SiblingsServed += uint64(len(siblings))
	n.reply(op.origin, res)
	if len(op.replies) < len(op.replicas) {
		n.timers.push(n.now.Mono+n.cfg.ReadRepairWindow, timerReadRepair, op.id)
	}
}

// finishGet ends a get: every replica that answered with less than the merge
// gets the merge (read repair, section 5). Replicas that never answered are left
// to later reads and anti-entropy.
func (n *Node) finishGet(op *getOp) {
	delete(n.gets, op.id)
	for _, r := range op.replies {
		if n.sameSet(r.versions, op.merged) {
			continue
		}
		n.stats.ReadRepairs++
		n.probe("read_repair")
		if r.from == n.id {
			n.applyRepairLocally(op.key, op.merged)
			continue
		}
		n.send(r.from, PutReq{Key: op.key, Versions: op.merged})
	}
}

func (n *Node) timeoutGet(op *getOp) {
	if op.answered {
		return // the repair window's own deadline finishes it
	}
	delete(n.gets, op.id)
	n.stats.Timeouts++
	n.probe("get_timeout")
	n.reply(op.origin, Result{Err: ErrTimeout})
}

func (n *Node) applyRepairLocally(key string, versions []Version) {
	local := n.store.get(key)
	merged := n.mech.Merge(local, versions)
	if n.sameSet(local, merged) {
		return
	}
	n.store.set(key, merged)
	n.persistOrBuffer(key, versions, false, nil)
}
