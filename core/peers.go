package core

// peerState is this node's local opinion of one peer (section 4.8.3): a peer is
// down for this node alone when a request to it has gone unanswered for
// FailureTimeout, whatever other nodes think, and any message from it proves it
// up again. No timer is needed to notice a failure: the opinion is derived from
// the age of the oldest unanswered request when someone asks.
type peerState struct {
	waitingSince Time // when the oldest unanswered request was sent; 0: none
	wasDown      bool // last verdict, to count transitions
	lastPing     Time
}

func (n *Node) peer(id NodeID) *peerState {
	if int(id) >= len(n.peers) {
		grown := make([]peerState, int(id)+1)
		copy(grown, n.peers)
		n.peers = grown
	}
	return &n.peers[id]
}

// expectReply notes a request to id that should be answered.
func (n *Node) expectReply(id NodeID) {
	if id == n.id {
		return
	}
	if p := n.peer(id); p.waitingSince == 0 {
		p.waitingSince = n.now.Mono
	}
}

// heardFrom notes any message from id: it is alive.
func (n *Node) heardFrom(id NodeID) {
	p := n.peer(id)
	p.waitingSince = 0
	if p.wasDown {
		p.wasDown = false
		n.stats.PeersRecovered++
		n.probe("peer_recovered")
	}
}

// healthy reports whether this node believes id is up.
func (n *Node) healthy(id NodeID) bool {
	if id == n.id {
		return true
	}
	p := n.peer(id)
	down := p.waitingSince != 0 && n.now.Mono-p.waitingSince > n.cfg.FailureTimeout
	if down && !p.wasDown {
		p.wasDown = true
		n.stats.PeersDown++
		n.probe("peer_down")
	}
	return !down
}

// pingDownPeers retries every peer believed down, at most once per
// RetryInterval each, so that recovery is noticed without client traffic
// ("A periodically retries B", section 4.8.3).
func (n *Node) pingDownPeers() {
	for _, m := range n.members.Members {
		id := m.ID
		if id == n.id || m.Status == StatusLeft || n.healthy(id) {
			continue
		}
		p := n.peer(id)
		if n.now.Mono-p.lastPing < n.cfg.RetryInterval && p.lastPing != 0 {
			continue
		}
		p.lastPing = n.now.Mono
		n.send(id, Ping{})
	}
}
