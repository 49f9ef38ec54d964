package core

// getOp is the state machine of one get (section 5): ask the targets, answer
// with the merge of the first R replies, keep listening for a short window,
// then repair the replicas that answered with stale sibling sets. In the
// strict profile the merge is first written back to W replicas, and only then
// answered, so that what a read returned is durable at a write quorum.
type getOp struct {
	id       uint64
	origin   origin
	key      string
	start    Time
	need     int
	pl       placement
	replies  []getReply
	merged   []Version
	answered bool

	writingBack bool
	wbAcked     []NodeID
}

type getReply struct {
	from     NodeID
	versions []Version
}

// startGet starts a get at this node.
func (n *Node) startGet(o origin, req Op, pl placement) {
	op := &getOp{
		id:      n.newOp(),
		origin:  o,
		key:     req.Key,
		start:   n.now.Mono,
		need:    n.quorum(req.R, n.cfg.R),
		pl:      pl,
		replies: make([]getReply, 0, len(pl.nodes)),
	}
	n.gets[op.id] = op
	n.timers.push(n.now.Mono+n.cfg.RequestTimeout, timerRequest, op.id)
	for _, r := range pl.nodes {
		if r != n.id {
			n.sendExpectingReply(r, GetReq{Op: op.id, Key: req.Key})
		}
	}
	if pl.contains(n.id) {
		// The local read is the fastest reply there can be.
		n.addGetReply(op, n.id, n.localVersions(req.Key))
	}
}

func (n *Node) handleGetReq(from NodeID, m GetReq) {
	versions := n.localVersions(m.Key)
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
	if !op.pl.contains(from) {
		n.stats.BadMessages++
		return
	}
	for _, r := range op.replies {
		if r.from == from {
			return // a duplicated message
		}
	}
	op.replies = append(op.replies, getReply{from: from, versions: versions})
	if !op.writingBack {
		op.merged = n.mech.Merge(op.merged, versions)
	}
	if !op.answered && !op.writingBack && len(op.replies) >= op.need {
		if n.cfg.Strict {
			n.startWriteBack(op)
			return
		}
		n.answerGet(op)
	}
	if op.answered && len(op.replies) == len(op.pl.nodes) {
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
	n.observeLatency(op.start)
	n.reply(op.origin, res)
	if op.writingBack || len(op.replies) == len(op.pl.nodes) {
		n.finishGet(op)
		return
	}
	n.timers.push(n.now.Mono+n.cfg.ReadRepairWindow, timerReadRepair, op.id)
}

// startWriteBack writes the merge to every target and waits for W durable
// acknowledgements before answering (the strict profile).
func (n *Node) startWriteBack(op *getOp) {
	op.writingBack = true
	n.probe("strict_write_back")
	for i, r := range op.pl.nodes {
		if r == n.id {
			continue
		}
		n.sendExpectingReply(r, op.pl.putReq(i, op.id, op.key, op.merged))
	}
	if op.pl.contains(n.id) {
		local := n.store.get(op.key)
		n.setLocal(op.key, n.mech.Merge(local, op.merged))
		w := n.logKey(op.id, op.key)
		w.p.Notify = true
		n.emit(&w.p)
	}
}

func (n *Node) ackWriteBack(op *getOp, from NodeID) {
	if op.answered || indexOf(op.wbAcked, from) >= 0 {
		return
	}
	op.wbAcked = append(op.wbAcked, from)
	if len(op.wbAcked) >= n.cfg.W {
		n.answerGet(op)
	}
}

// finishGet ends a get: every replica that answered with less than the merge
// gets the merge (read repair, section 5). Replicas that never answered are left
// to later reads and anti-entropy. After a strict write-back there is nothing
// left to repair.
func (n *Node) finishGet(op *getOp) {
	delete(n.gets, op.id)
	if op.writingBack {
		return
	}
	for _, r := range op.replies {
		if n.sameSet(r.versions, op.merged) {
			continue
		}
		n.stats.ReadRepairs++
		n.probe("read_repair")
		repair := op.merged
		if n.cfg.Bugs.StaleRepair {
			repair = r.versions
		}
		owner, hinted := op.pl.hintFor(r.from)
		if r.from == n.id {
			n.applyRepairLocally(op.key, repair, owner, hinted)
			continue
		}
		n.send(r.from, PutReq{Key: op.key, Versions: repair, Hinted: hinted, Hint: owner})
	}
}

func (n *Node) timeoutGet(op *getOp) {
	if op.answered {
		return // the repair window's own deadline finishes it
	}
	delete(n.gets, op.id)
	n.stats.Timeouts++
	n.probe("get_timeout")
	n.reply(op.origin, Result{Err: ErrTimeout, Coordinator: n.id})
}

func (n *Node) applyRepairLocally(key string, versions []Version, owner NodeID, hinted bool) {
	if hinted {
		n.storeHint(key, owner, versions, nil)
		return
	}
	local := n.store.get(key)
	merged := n.mech.Merge(local, versions)
	if n.sameSet(local, merged) {
		return
	}
	n.setLocal(key, merged)
	n.persistOrBuffer(key, false, nil)
}
