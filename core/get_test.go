package core

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// plant gives node id versions of key as a read repair would, and makes them
// durable, without any message left in flight. It uses one token of the node.
func (c *cluster) plant(id NodeID, key string, vs ...Version) {
	c.tb.Helper()
	c.step(id, &Recv{From: id, Msg: PutReq{Key: key, Versions: vs}})
	c.completeWrite(id)
}

// getFixture is a key whose top N is [1 2 3] where node 1 holds a, node 2
// holds a and b (concurrent), and node 3 holds nothing.
func getFixture(t *testing.T, opts ...func(*Config)) (c *cluster, key string, a, b Version) {
	c = newReadyCluster(t, opts...)
	key = keyWithTop(t, c.ring, 1, 2, 3)
	a = version(4, 1, nil, nil, "a")
	b = version(5, 1, nil, nil, "b")
	c.plant(1, key, a)
	c.plant(2, key, a, b)
	return c, key, a, b
}

func TestGetAnswersAfterRRepliesWithEverySibling(t *testing.T) {
	c, key, a, b := getFixture(t)

	effs := c.client(1, 5, Op{Kind: OpGet, Key: key})
	require.Equal(t, []string{
		`send 2 GetReq{op=3 ` + key + `}`,
		`send 3 GetReq{op=3 ` + key + `}`,
		"wake 500ms",
	}, renderEffects(effs), "the local read is the first of R=2 replies")

	require.Equal(t, []string{`send 1 GetResp{op=3 ` + key + ` ["a"@4.1:1 "b"@5.1:1]}`},
		renderEffects(c.deliver(1, 2, GetReq{})))
	effs = c.deliver(2, 1, GetResp{})
	require.Equal(t, []string{
		`reply 5 ok coord=1 ["a" "b"] ctx={fastest=1 <4.1:1,5.1:1>}`,
		"wake 50ms", // the read repair window
	}, renderEffects(effs))
	res := effs[0].(*Reply).Result
	require.NoError(t, res.Err)
	require.True(t, res.Found())
	require.Equal(t, []Sibling{{Value: []byte("a")}, {Value: []byte("b")}}, res.Siblings)
	ctx, err := DecodeContext(res.Context)
	require.NoError(t, err)
	require.True(t, ctx.HasFastest)
	require.Equal(t, NodeID(1), ctx.Fastest, "the local read answered first")
	require.Equal(t, dvv.Context([]Version{a, b}), ctx.Clock)

	// Node 3's late, stale answer is the last one: the coordinator repairs
	// at once every replica that answered with less than the merge, itself
	// included.
	c.deliver(1, 3, GetReq{})
	effs = c.deliver(3, 1, GetResp{})
	require.Equal(t, []string{
		`persist tok=4 ` + key + `=["a"@4.1:1 "b"@5.1:1]`,
		`send 3 PutReq{op=0 ` + key + ` ["a"@4.1:1 "b"@5.1:1]}`,
	}, renderEffects(effs))
	require.Equal(t, `["a"@4.1:1 "b"@5.1:1]`, renderVersions(c.nodes[1].Versions(key)))
	require.Zero(t, c.nodes[1].Status().PendingGets)
	require.Equal(t, uint64(2), c.nodes[1].Status().Stats.ReadRepairs)

	// The repair carries no ack request and leaves node 3 with the merge.
	require.Equal(t, []string{`persist tok=2 ` + key + `=["a"@4.1:1 "b"@5.1:1]`},
		renderEffects(c.deliver(1, 3, PutReq{})))
	require.Equal(t, `["a"@4.1:1 "b"@5.1:1]`, renderVersions(c.nodes[3].Versions(key)))
}

func TestGetReadRepairAfterWindow(t *testing.T) {
	c, key, _, _ := getFixture(t)
	c.plant(1, key, c.nodes[2].Versions(key)...) // node 1 is up to date now

	effs := c.client(1, 5, Op{Kind: OpGet, Key: key, R: 1})
	require.Equal(t, []string{
		`send 2 GetReq{op=4 ` + key + `}`,
		`send 3 GetReq{op=4 ` + key + `}`,
		`reply 5 ok coord=1 ["a" "b"] ctx={fastest=1 <4.1:1,5.1:1>}`,
		"wake 50ms",
	}, renderEffects(effs), "R=1 answers from the local read")

	c.deliver(1, 3, GetReq{})
	require.Empty(t, c.deliver(3, 1, GetResp{}), "a stale reply inside the window waits for it to close")
	c.drop(1, 2, GetReq{}) // node 2 never answers

	require.Empty(t, c.advance(1, 50*Millisecond-1))
	effs = c.advance(1, 1)
	require.Equal(t, []string{
		`send 3 PutReq{op=0 ` + key + ` ["a"@4.1:1 "b"@5.1:1]}`,
		quietWake(t), // not the request's own deadline: the get is finished
	}, renderEffects(effs))
	require.Zero(t, c.nodes[1].Status().PendingGets)

	// After the window, replies are ignored; the stale deadline does nothing.
	require.Empty(t, c.step(1, &Recv{From: 2, Msg: GetResp{Op: op1(4), Key: key}}))
	require.Empty(t, c.advance(1, 450*Millisecond))
	require.Len(t, c.replies, 1)
}

func TestGetCoordinatorOutsideTopN(t *testing.T) {
	c, key, _, _ := getFixture(t)
	effs := c.client(4, 5, Op{Kind: OpGet, Key: key})
	require.Equal(t, []string{
		`send 1 GetReq{op=2 ` + key + `}`,
		`send 2 GetReq{op=2 ` + key + `}`,
		`send 3 GetReq{op=2 ` + key + `}`,
		"wake 500ms",
	}, renderEffects(effs), "any node coordinates a get; a non-replica asks all N")

	c.deliver(4, 2, GetReq{})
	require.Empty(t, c.deliver(2, 4, GetResp{}))
	// A reply from a node outside the top N is not a replica's answer.
	require.Empty(t, c.step(4, &Recv{From: 5, Msg: GetResp{Op: op1(2), Key: key, Versions: []Version{version(5, 9, nil, nil, "x")}}}))
	require.Equal(t, uint64(1), c.nodes[4].Status().Stats.BadMessages)
	// Nor is an answer for another key.
	require.Empty(t, c.step(4, &Recv{From: 3, Msg: GetResp{Op: op1(2), Key: "other"}}))
	// A duplicate of node 2's answer does not make a quorum.
	require.Empty(t, c.step(4, &Recv{From: 2, Msg: GetResp{Op: op1(2), Key: key, Versions: c.nodes[2].Versions(key)}}))
	require.Empty(t, c.replies)

	c.deliver(4, 1, GetReq{})
	effs = c.deliver(1, 4, GetResp{})
	require.Equal(t, []string{
		`reply 5 ok coord=4 ["a" "b"] ctx={fastest=2 <4.1:1,5.1:1>}`,
		"wake 50ms",
	}, renderEffects(effs), "the fastest replica is the first that answered")
	require.Empty(t, c.nodes[4].Versions(key), "a non-replica coordinator stores nothing")
}

func TestGetMissingKey(t *testing.T) {
	c := newReadyCluster(t)
	key := keyWithTop(t, c.ring, 1, 2, 3)
	res := c.do(1, 5, Op{Kind: OpGet, Key: key})
	require.NoError(t, res.Err)
	require.False(t, res.Found())
	require.Empty(t, res.Siblings)
	ctx, err := DecodeContext(res.Context)
	require.NoError(t, err)
	require.Equal(t, Context{Fastest: 1, HasFastest: true}, ctx)
}

func TestGetTimesOut(t *testing.T) {
	tests := []struct {
		name  string
		coord NodeID
		r     int
	}{
		{"replica coordinator r=2", 1, 0},
		{"replica coordinator r=3", 1, 3},
		{"non-replica coordinator r=1", 4, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newReadyCluster(t)
			key := keyWithTop(t, c.ring, 1, 2, 3)
			c.client(tt.coord, 5, Op{Kind: OpGet, Key: key, R: tt.r})
			c.dropAll()
			require.Empty(t, c.advance(tt.coord, 500*Millisecond-1))
			effs := c.advance(tt.coord, 1)
			require.Equal(t, []string{fmt.Sprintf("reply 5 err=timeout: too few replicas answered coord=%d", tt.coord), quietWake(t)}, renderEffects(effs))
			require.ErrorIs(t, effs[0].(*Reply).Result.Err, ErrTimeout)
			st := c.nodes[tt.coord].Status()
			require.Zero(t, st.PendingGets)
			require.Equal(t, uint64(1), st.Stats.Timeouts)
			require.Zero(t, st.Stats.Gets)
		})
	}
}
