package sim

import "github.com/dynamo-replay/dynamo/core"

// LoadWindow counts the requests each node received in one window of
// Config.LoadWindow, indexed by node id (index 0 unused): Coordinated counts
// the client requests a node received, Replica the replica requests (reads,
// writes and hand-offs from coordinators). Section 6.2 says only "requests
// received by each node"; the two readings are both kept.
type LoadWindow struct {
	Start       int64 // virtual ns
	Coordinated []uint64
	Replica     []uint64
}

// countLoad counts one request received by node, in the window of now.
func (s *Sim) countLoad(node core.NodeID, coordinated bool) {
	if s.cfg.LoadWindow <= 0 {
		return
	}
	w := s.now / int64(s.cfg.LoadWindow)
	for int64(len(s.load)) <= w {
		s.load = append(s.load, LoadWindow{
			Start:       int64(len(s.load)) * int64(s.cfg.LoadWindow),
			Coordinated: make([]uint64, len(s.nodes)),
			Replica:     make([]uint64, len(s.nodes)),
		})
	}
	if coordinated {
		s.load[w].Coordinated[node]++
	} else {
		s.load[w].Replica[node]++
	}
}
