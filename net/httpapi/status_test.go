package httpapi

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/dynamo-replay/dynamo/core"
	dnet "github.com/dynamo-replay/dynamo/net"
	"github.com/stretchr/testify/require"
)

// statusBody mirrors the documented /status JSON independently of the
// server's own types; unknown fields fail the decode, so it is complete.
type statusBody struct {
	Cluster string `json:"cluster"`
	Node    struct {
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
	} `json:"node"`
	N       int `json:"n"`
	R       int `json:"r"`
	W       int `json:"w"`
	Members []struct {
		ID           core.NodeID `json:"id"`
		Status       string      `json:"status"`
		Version      uint64      `json:"version"`
		Addr         string      `json:"addr"`
		HTTPAddr     string      `json:"http_addr"`
		Tokens       int         `json:"tokens"`
		Share        float64     `json:"share"`
		ReplicaShare float64     `json:"replica_share"`
	} `json:"members"`
	RingError string            `json:"ring_error"`
	Stats     map[string]uint64 `json:"stats"`
	Disk      map[string]any    `json:"disk"`
	Net       map[string]uint64 `json:"net"`
}

func TestStatus(t *testing.T) {
	s, f := newTestServer(t, Options{})
	m := testMembership(t)
	f.info.Membership = m
	f.info.Node = core.Status{ID: 2, Incarnation: 9, Ready: true, Keys: 42, Hints: 3, Transfers: 1, PendingGets: 4, PendingPuts: 5, Buffered: 6, Epoch: m.Epoch()}
	f.info.Node.Stats.Gets = 11
	f.info.Disk.Fsyncs = 12
	f.info.Net.FramesSent = 13

	w := serve(s, "GET", "/status", nil)

	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "application/json", w.Header().Get("Content-Type"))
	require.Contains(t, w.Body.String(), "\n  \"node\": {", "the JSON is indented for people")
	var st statusBody
	require.NoError(t, jsonDecodeStrict(w.Body, &st))
	require.Equal(t, "test", st.Cluster)
	require.Equal(t, core.NodeID(2), st.Node.ID)
	require.Equal(t, uint32(9), st.Node.Incarnation)
	require.True(t, st.Node.Ready)
	require.Equal(t, []int{42, 3, 1, 4, 5, 6}, []int{st.Node.Keys, st.Node.HintsPending, st.Node.Transfers, st.Node.PendingGets, st.Node.PendingPuts, st.Node.Buffered})
	require.Equal(t, m.Epoch(), st.Node.Epoch)
	require.Equal(t, []int{3, 2, 2}, []int{st.N, st.R, st.W})
	require.Empty(t, st.RingError)
	require.Equal(t, uint64(11), st.Stats["Gets"])
	require.Equal(t, float64(12), st.Disk["Fsyncs"])
	require.Equal(t, uint64(13), st.Net["FramesSent"])

	require.Len(t, st.Members, 4)
	var share, replica float64
	tokens := 0
	for i, mem := range st.Members {
		id := core.NodeID(i + 1)
		require.Equal(t, id, mem.ID)
		entry, _ := m.Member(id)
		require.Equal(t, entry.Version, mem.Version)
		require.Equal(t, entry.Addr, mem.Addr)
		require.Equal(t, entry.HTTPAddr, mem.HTTPAddr)
		require.Equal(t, fmt.Sprintf("10.0.0.%d:8000", id), mem.HTTPAddr)
		share += mem.Share
		replica += mem.ReplicaShare
		tokens += mem.Tokens
		if id == 4 {
			require.Equal(t, "leaving", mem.Status)
			require.Zero(t, mem.Tokens, "a leaving node gave its partitions away")
			require.Zero(t, mem.Share)
			continue
		}
		require.Equal(t, "joined", mem.Status)
		require.Greater(t, mem.Share, 0.2, "three nodes split 64 partitions")
		require.Less(t, mem.Share, 0.45)
		require.InDelta(t, 1.0, mem.ReplicaShare, 1e-9, "with N=3 and three owners, each replicates everything")
	}
	require.Equal(t, 64, tokens, "every partition has one owner")
	require.InDelta(t, 1.0, share, 1e-9)
	require.InDelta(t, 3.0, replica, 1e-9)
}

func TestStatusWithoutMembership(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	w := serve(s, "GET", "/status", nil)
	require.Equal(t, http.StatusOK, w.Code)
	var st statusBody
	require.NoError(t, jsonDecodeStrict(w.Body, &st))
	require.NotNil(t, st.Members, "members is [] rather than null")
	require.Empty(t, st.Members)
	require.Equal(t, "no membership table yet", st.RingError)
	require.Equal(t, core.NodeID(7), st.Node.ID)
}

func TestStatusWithBrokenRing(t *testing.T) {
	s, f := newTestServer(t, Options{})
	m := testMembership(t)
	// Strategy 3 with a partition nobody owns does not form a ring, which
	// happens between gossip rounds.
	broken := *m
	broken.Tokens = broken.Tokens[1:]
	f.info.Membership = &broken
	w := serve(s, "GET", "/status", nil)
	require.Equal(t, http.StatusOK, w.Code)
	var st statusBody
	require.NoError(t, jsonDecodeStrict(w.Body, &st))
	require.NotEmpty(t, st.RingError)
	require.Len(t, st.Members, 4, "members are listed even without shares")
	require.Equal(t, "10.0.0.1:7000", st.Members[0].Addr)
}

func TestStatusRefusesParameters(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	requireError(t, serve(s, "GET", "/status?verbose=1", nil), http.StatusBadRequest, `unknown query parameter "verbose" (GET /status takes no query parameters)`)
}

func TestRing(t *testing.T) {
	s, f := newTestServer(t, Options{})
	m := testMembership(t)
	f.info.Membership = m

	w := serve(s, "GET", "/ring", nil)

	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "application/octet-stream", w.Header().Get("Content-Type"))
	got, err := dnet.DecodeMembership(w.Body.Bytes())
	require.NoError(t, err)
	require.Equal(t, m, got)
	require.Equal(t, m.Epoch(), got.Epoch())
}

func TestRingWithoutMembership(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	requireError(t, serve(s, "GET", "/ring", nil), http.StatusServiceUnavailable, "no membership table yet")
}
