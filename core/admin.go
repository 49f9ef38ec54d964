package core

// handleAdmin carries out an explicit membership change (section 4.8.1: an
// administrator issues joins and removals; outages never trigger them). The
// node writes the change to its persisted history and answers once durable;
// gossip spreads it.
func (n *Node) handleAdmin(o origin, op Op) {
	self, known := n.members.Member(n.id)
	switch {
	case op.Kind == OpJoin && known && self.Status == StatusJoined:
		n.reply(o, Result{Err: badRequestf("node %d is already a member", n.id)})
		return
	case op.Kind == OpJoin && len(n.members.Members) == 0:
		n.reply(o, Result{Err: ErrUnavailable}) // no seed has answered yet: nothing to join
		return
	case op.Kind == OpLeave && (!known || self.Status != StatusJoined):
		n.reply(o, Result{Err: badRequestf("node %d is not a joined member", n.id)})
		return
	}
	var next *Membership
	if op.Kind == OpJoin {
		next = n.members.WithJoin(n.id, n.cfg.Rand)
		if self, _ := next.Member(n.id); self.Addr != n.cfg.Addr || self.HTTPAddr != n.cfg.HTTPAddr {
			next = next.WithAddrs(n.id, n.cfg.Addr, n.cfg.HTTPAddr)
		}
		n.probe("join")
	} else {
		next = n.members.WithLeave(n.id)
		n.leaving = true
		n.probe("leave")
	}
	n.adoptMembership(next)
	// The table's Persist is the last effect; the answer waits for it.
	p := n.out[len(n.out)-1].(*Persist)
	ack := n.arenaFreeReply(o, Result{Coordinator: n.id})
	p.Then = append(p.Then, ack...)
}

// arenaFreeReply builds the effects that answer o, allocated to outlive the
// Step (they ride on a Persist).
func (n *Node) arenaFreeReply(o origin, res Result) []Effect {
	if o.remote {
		return []Effect{&Send{To: o.forwarder, Msg: ForwardReply{Op: o.fwdOp, Result: res}}}
	}
	return []Effect{&Reply{ID: o.client, Result: res}}
}

// maybeFinishLeaving marks a leaving node Left once every range it held has
// been handed over.
func (n *Node) maybeFinishLeaving() {
	if !n.leaving || len(n.outgoing) > 0 {
		return
	}
	n.leaving = false
	n.probe("left")
	n.adoptMembership(n.members.WithStatus(n.id, StatusLeft))
}
