package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/disk"
	dnet "github.com/dynamo-replay/dynamo/net"
)

// statusJSON is the body of GET /status.
type statusJSON struct {
	Cluster string       `json:"cluster"`
	Node    nodeJSON     `json:"node"`
	N       int          `json:"n"`
	R       int          `json:"r"`
	W       int          `json:"w"`
	Members []memberJSON `json:"members"`
	// RingError says why shares are missing: no membership yet, or a
	// table that does not form a ring (gossip mends it).
	RingError string `json:"ring_error,omitempty"`
	// The counters keep their Go field names, so that a field added to
	// these structs shows here without a change to this package.
	Stats core.Stats    `json:"stats"`
	Disk  disk.WALStats `json:"disk"`
	Net   dnet.Stats    `json:"net"`
}

// nodeJSON is the answering node's own state.
type nodeJSON struct {
	ID           core.NodeID `json:"id"`
	Incarnation  uint32      `json:"incarnation"`
	Ready        bool        `json:"ready"`
	Keys         int         `json:"keys"`
	HintsPending int         `json:"hints_pending"`
	Transfers    int         `json:"transfers"`
	PendingGets  int         `json:"pending_gets"`
	PendingPuts  int         `json:"pending_puts"`
	Buffered     int         `json:"buffered"`
	Epoch        uint64      `json:"epoch"`
}

// memberJSON is one entry of the membership table with its share of the
// ring.
type memberJSON struct {
	ID       core.NodeID `json:"id"`
	Status   string      `json:"status"`
	Version  uint64      `json:"version"`
	Addr     string      `json:"addr"`
	HTTPAddr string      `json:"http_addr"`
	Tokens   int         `json:"tokens"`
	// Share is the fraction of the key space whose preference list starts
	// at this member (its coordinator load); ReplicaShare the fraction for
	// which it is among the first N (its storage load). They sum over the
	// members to 1 and to N (or the number of owners, if fewer).
	Share        float64 `json:"share"`
	ReplicaShare float64 `json:"replica_share"`
}

func (s *Server) serveStatus(w http.ResponseWriter, r *http.Request) {
	if _, err := parseQuery(r, "GET /status"); err != nil {
		writeError(w, err)
		return
	}
	b, err := json.MarshalIndent(statusOf(s.b.Info()), "", "  ")
	if err != nil {
		s.opts.Logf("httpapi: /status: %v", err)
		writeError(w, errorf(http.StatusInternalServerError, "encoding status: %v", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(b, '\n')) // an error means the client hung up
}

func statusOf(info Info) statusJSON {
	st := info.Node
	out := statusJSON{
		Cluster: info.Cluster,
		Node: nodeJSON{
			ID: st.ID, Incarnation: st.Incarnation, Ready: st.Ready, Keys: st.Keys,
			HintsPending: st.Hints, Transfers: st.Transfers, PendingGets: st.PendingGets,
			PendingPuts: st.PendingPuts, Buffered: st.Buffered, Epoch: st.Epoch,
		},
		N: info.N, R: info.R, W: info.W,
		Members: []memberJSON{}, // [] rather than null before a table is known
		Stats:   st.Stats,
		Disk:    info.Disk,
		Net:     info.Net,
	}
	m := info.Membership
	if m == nil {
		out.RingError = "no membership table yet"
		return out
	}
	share, replica, err := shares(m, info.N)
	if err != nil {
		out.RingError = err.Error()
	}
	tokens := make(map[core.NodeID]int)
	for _, t := range m.Tokens {
		if !t.Removed {
			tokens[t.Owner]++
		}
	}
	for _, mem := range m.Members {
		out.Members = append(out.Members, memberJSON{
			ID: mem.ID, Status: mem.Status.String(), Version: mem.Version,
			Addr: mem.Addr, HTTPAddr: mem.HTTPAddr, Tokens: tokens[mem.ID],
			Share: share[mem.ID], ReplicaShare: replica[mem.ID],
		})
	}
	return out
}

// shares computes each owner's fraction of the key space from the ring the
// table builds, exactly as the nodes route.
func shares(m *core.Membership, n int) (first, replica map[core.NodeID]float64, err error) {
	rg, err := m.Ring()
	if err != nil {
		return nil, nil, err
	}
	nodes := rg.Nodes()
	own1, ownN := rg.Ownership(1), rg.Ownership(max(n, 1))
	first, replica = make(map[core.NodeID]float64), make(map[core.NodeID]float64)
	for i, id := range nodes {
		first[id], replica[id] = own1[i], ownN[i]
	}
	return first, replica, nil
}
