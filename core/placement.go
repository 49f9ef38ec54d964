package core

// placement is where one request goes: the first N healthy nodes of the key's
// preference list (section 4.6). A fallback beyond the top N stands in for a
// top-N node believed down, and carries a hint naming it, so that it can hand
// the replica back when that node recovers.
type placement struct {
	nodes []NodeID
	hints []NodeID // hints[i] is the owner nodes[i] stands in for, or noHint
}

// noHint marks a target that is one of the key's own top N.
const noHint = ^NodeID(0)

func (p *placement) hintFor(id NodeID) (NodeID, bool) {
	for i, x := range p.nodes {
		if x == id {
			return p.hints[i], p.hints[i] != noHint
		}
	}
	return 0, false
}

func (p *placement) contains(id NodeID) bool { return indexOf(p.nodes, id) >= 0 }

// place computes a request's placement. In the strict profile there is no
// sloppy quorum: the top N, healthy or not.
func (n *Node) place(pref []NodeID) placement {
	N := min(n.cfg.N, len(pref)) // a ring smaller than N (mid-change) places on all
	p := placement{nodes: make([]NodeID, 0, N), hints: make([]NodeID, 0, N)}
	if !n.cfg.Sloppy {
		p.nodes = append(p.nodes, pref[:N]...)
		for range p.nodes {
			p.hints = append(p.hints, noHint)
		}
		return p
	}
	var skipped []NodeID // top-N nodes believed down, waiting for a stand-in
	for i, id := range pref {
		if len(p.nodes) == N {
			break
		}
		switch {
		case i < N && n.healthy(id):
			p.nodes = append(p.nodes, id)
			p.hints = append(p.hints, noHint)
		case i < N:
			skipped = append(skipped, id)
		case n.healthy(id) && len(skipped) > 0:
			p.nodes = append(p.nodes, id)
			p.hints = append(p.hints, skipped[0])
			skipped = skipped[1:]
			n.probe("sloppy_fallback")
		}
	}
	return p
}

// putReq builds the PutReq for target i of the placement.
func (p *placement) putReq(i int, op uint64, key string, versions []Version) PutReq {
	m := PutReq{Op: op, Key: key, Versions: versions}
	if p.hints[i] != noHint {
		m.Hinted, m.Hint = true, p.hints[i]
	}
	return m
}

// firstOwner is the first target that is one of the key's own top N, or
// noHint when every target is a fallback.
func (p *placement) firstOwner() NodeID {
	for i, h := range p.hints {
		if h == noHint {
			return p.nodes[i]
		}
	}
	return noHint
}
