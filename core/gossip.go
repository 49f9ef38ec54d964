package core

// Gossip carries a node's whole membership table (section 4.8.1: "the two
// nodes efficiently reconcile their persisted membership change histories").
// Tables are small (one entry per node and per token), so sending all of it
// beats a digest round trip at this scale.
type Gossip struct {
	Table *Membership
}

// GossipReply answers a Gossip with the merged table when the sender's was
// missing something.
type GossipReply struct {
	Table *Membership
}

func (Gossip) isMessage()      {}
func (GossipReply) isMessage() {}

// gossipRound picks a random member and sends it this node's table. Every
// SeedEvery rounds it also talks to a seed, so that nodes joined through
// different members cannot stay in logically separate rings (section 4.8.2).
func (n *Node) gossipRound() {
	n.gossipRounds++
	peers := n.gossipBuf[:0]
	for _, m := range n.members.Members {
		if m.ID != n.id && m.Status != StatusLeft {
			peers = append(peers, m.ID)
		}
	}
	n.gossipBuf = peers
	// Gossip is answered only when the peer has news, so silence says
	// nothing about the peer's health: these are plain sends.
	if len(peers) > 0 {
		n.send(peers[n.cfg.Rand.IntN(len(peers))], Gossip{Table: n.members})
	}
	if len(n.cfg.Seeds) > 0 && (len(peers) == 0 || n.gossipRounds%uint64(n.cfg.SeedEvery) == 0) {
		seed := n.cfg.Seeds[n.cfg.Rand.IntN(len(n.cfg.Seeds))]
		if seed != n.id {
			n.send(seed, Gossip{Table: n.members})
		}
	}
}

func (n *Node) handleGossip(from NodeID, m Gossip) {
	if m.Table == nil || m.Table.Params != n.members.Params {
		n.stats.BadMessages++
		return
	}
	merged, changed := n.members.Merge(m.Table, n.cfg.Bugs.StaleMembership)
	if changed {
		n.adoptMembership(merged)
	}
	// Reply only if the sender lacks something we have.
	if _, theyLack := m.Table.Merge(n.members, false); theyLack {
		n.send(from, GossipReply{Table: n.members})
	}
}

func (n *Node) handleGossipReply(m GossipReply) {
	if m.Table == nil || m.Table.Params != n.members.Params {
		n.stats.BadMessages++
		return
	}
	if merged, changed := n.members.Merge(m.Table, n.cfg.Bugs.StaleMembership); changed {
		n.adoptMembership(merged)
	}
}

// adoptMembership makes a new table current: persisted (section 4.8.1: the
// history lives in persistent store), the ring rebuilt, and key ranges this
// node no longer holds alone offered to their new owners.
func (n *Node) adoptMembership(m *Membership) {
	if self, ok := m.Member(n.id); ok && self.Status != StatusJoined && m.OwnsTokens(n.id) {
		n.probe("leaver_dealt_tokens")
		m = m.WithoutTokensOf(n.id)
	}
	n.members = m
	n.emit(&Persist{Token: n.newOp(), Records: []Record{{Kind: RecordMembership, Membership: m}}})
	n.stats.MembershipChanges++
	epoch := m.Epoch()
	if epoch == n.epoch {
		return
	}
	r, err := m.Ring()
	if err != nil {
		// Mid-change (a strategy-3 partition nobody owns yet): keep routing
		// with the old ring until gossip completes the table.
		n.probe("membership_incomplete")
		return
	}
	old := n.curRing
	n.curRing, n.epoch = r, epoch
	n.ae.rebuild = true // range indexes may mean other keys now
	n.prefBuf = make([]NodeID, 0, r.Size())
	n.probe("ring_changed")
	n.planTransfers(old)
}
