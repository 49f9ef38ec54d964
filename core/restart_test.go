package core

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// alignOps makes node id's next operation use op id next, if its counter is
// not past it, by spending ids on writes of an unrelated key: in a real run
// the counter gets there by itself.
func (c *cluster) alignOps(id NodeID, next uint64) {
	c.tb.Helper()
	for c.nodes[id].nextOp+1 < next {
		c.plant(id, "unrelated", version(id, 99, nil, nil, "x"))
	}
}

func TestRestartRecoversFromItsLog(t *testing.T) {
	c := newReadyCluster(t)
	key := keyWithTop(t, c.ring, 1, 2, 3)
	require.NoError(t, c.do(1, 1, Op{Kind: OpPut, Key: key, Value: []byte("a")}).Err)
	c.restart(1)
	require.Equal(t, uint32(2), c.nodes[1].Status().Incarnation)
	require.Equal(t, `["a"@1.1:1]`, renderVersions(c.nodes[1].Versions(key)))
	got := c.do(1, 2, Op{Kind: OpGet, Key: key})
	require.Equal(t, []string{"a"}, values(got))
	require.NoError(t, c.do(1, 3, Op{Kind: OpPut, Key: key, Value: []byte("b"), Context: got.Context}).Err)
	require.Equal(t, `["b"@1.2:1<1.1:1>]`, renderVersions(c.nodes[2].Versions(key)),
		"the new incarnation is a new actor")
}

func TestRestartLosesUnsyncedWrite(t *testing.T) {
	c := newReadyCluster(t)
	key := keyWithTop(t, c.ring, 1, 2, 3)
	c.client(1, 1, Op{Kind: OpPut, Key: key, Value: []byte("a")})
	c.dropAll()
	c.restart(1) // the local write never completed
	require.Empty(t, c.nodes[1].Versions(key))
	require.Empty(t, c.replies)
}

// TestStaleAckCountsForNewPut: node 1 crashes while a PutAck for one of its
// puts is in flight; after the restart a put of another key gets the same op
// id, and the stale ack counts towards W although the replica never saw the
// new key. The client is told the write is on W=2 nodes when it is on
// one.
func TestStaleAckCountsForNewPut(t *testing.T) {
	c := newReadyCluster(t)
	k1 := keyWithTop(t, c.ring, 1, 2, 3)
	k2 := keyWithTop(t, c.ring, 1, 2, 4)
	c.client(1, 1, Op{Kind: OpPut, Key: k1, Value: []byte("old")})
	c.deliver(1, 2, PutReq{})
	c.completeWrite(2) // node 2's PutAck is now in flight to node 1
	stale := c.inflight[c.findMsg(2, 1, PutAck{})].msg.(PutAck)
	c.restart(1)
	c.alignOps(1, stale.Op)

	c.client(1, 2, Op{Kind: OpPut, Key: k2, Value: []byte("new")}) // today: the op id of the stale ack
	c.drop(1, 2, PutReq{})
	c.drop(1, 4, PutReq{})
	c.completeWrite(1)
	c.deliver(2, 1, PutAck{}) // addressed to the previous life
	require.Empty(t, c.nodes[2].Versions(k2))
	require.Empty(t, c.replies, "acknowledged with one durable copy, W=2")
}

// TestStaleForwardReplyAnswersNewRequest: node 4 forwards a put and crashes
// before the ForwardReply arrives; after the restart a forward with the same
// op id gets the stale reply, so the client hears "ok" for a write that no
// node ever received.
func TestStaleForwardReplyAnswersNewRequest(t *testing.T) {
	c := newReadyCluster(t)
	k1 := keyWithTop(t, c.ring, 1, 2, 3)
	k2 := keyWithTop(t, c.ring, 2, 3, 1)
	c.client(4, 1, Op{Kind: OpPut, Key: k1, Value: []byte("old")})
	c.deliver(4, 1, Forward{}) // node 1 coordinates it as its op 2
	c.completeWrite(1)
	c.deliver(1, 2, PutReq{})
	c.completeWrite(2)
	effs := c.deliver(2, 1, PutAck{})
	require.Len(t, effs, 1)
	stale := effs[0].(*Send).Msg.(ForwardReply)
	require.NoError(t, stale.Result.Err)
	c.restart(4) // before the ForwardReply arrives
	c.alignOps(4, stale.Op)

	c.client(4, 2, Op{Kind: OpPut, Key: k2, Value: []byte("new")}) // today: the op id of the stale reply
	c.drop(4, 2, Forward{})
	c.deliver(1, 4, ForwardReply{}) // addressed to the previous life
	for _, id := range []NodeID{1, 2, 3} {
		require.Empty(t, c.nodes[id].Versions(k2))
	}
	require.Empty(t, c.replies, "a write that reached no node was acknowledged")
}

// TestRestartedForwarderIsNotADuplicate: node 4 forwards a put to node 1 and
// restarts; a later forward to node 1 with the same op id, within the dedupe
// window, is dropped as a duplicate, so the client times out though every
// message was delivered.
func TestRestartedForwarderIsNotADuplicate(t *testing.T) {
	c := newReadyCluster(t)
	key := keyWithTop(t, c.ring, 1, 2, 3)
	c.client(4, 1, Op{Kind: OpPut, Key: key, Value: []byte("a")})
	first := c.inflight[c.findMsg(4, 1, Forward{})].msg.(Forward)
	c.settle()
	require.NoError(t, c.replyTo(1).Result.Err)
	c.restart(4)
	c.alignOps(4, first.Op)
	c.client(4, 2, Op{Kind: OpPut, Key: key, Value: []byte("b")})
	require.NotEmpty(t, c.deliver(4, 1, Forward{}), "a new request, not a duplicate")
	c.settle()
	require.Equal(t, "reply 2 ok coord=1", c.replyString(2))
}

// TestStaleGetRespCountsForNewGet: node 1 crashes while node 2's answer to
// its get is in flight; a write then reaches W=2 replicas (2 and 3); after the
// restart a get of the same key gets the same op id, and the stale answer
// makes its R=2 quorum, so the read misses an acknowledged
// write although R+W>N and every replica is up.
func TestStaleGetRespCountsForNewGet(t *testing.T) {
	c := newReadyCluster(t)
	key := keyWithTop(t, c.ring, 1, 2, 3)
	a := version(5, 1, nil, nil, "a")
	for _, id := range []NodeID{1, 2, 3} {
		c.plant(id, key, a)
	}
	c.client(1, 1, Op{Kind: OpGet, Key: key})
	c.drop(1, 3, GetReq{})
	c.deliver(1, 2, GetReq{}) // GetResp{op} with [a] now in flight to node 1
	c.restart(1)

	// A write with the context of a is acknowledged by nodes 2 and 3.
	ctx := EncodeContext(Context{Clock: dvv.Context([]Version{a})})
	c.client(2, 2, Op{Kind: OpPut, Key: key, Value: []byte("b"), Context: ctx})
	c.drop(2, 1, PutReq{})
	c.completeWrite(2)
	c.deliver(2, 3, PutReq{})
	c.completeWrite(3)
	c.deliver(3, 2, PutAck{})
	require.Equal(t, "reply 2 ok coord=2", c.replyString(2))

	stale := c.inflight[c.findMsg(2, 1, GetResp{})].msg.(GetResp)
	c.alignOps(1, stale.Op)
	c.client(1, 3, Op{Kind: OpGet, Key: key}) // today: the op id of the stale answer
	c.deliver(2, 1, GetResp{})                // addressed to the previous life
	for _, r := range c.replies {
		if r.ID == 3 {
			require.Equal(t, []string{"b"}, values(r.Result), "R=2 and W=2 of N=3 must intersect")
		}
	}
}
