package core

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// bugOpIDReuse explains the skipped tests below.
const bugOpIDReuse = "BUG: op ids restart at 1 in every incarnation (Node.nextOp starts at 0 in New), " +
	"and PutAck, ForwardReply and the Forward dedupe know a request only by (peer, op id), " +
	"so a message addressed to a node's previous life is taken for one of its new requests"

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

// TestStaleAckCountsForNewPut: node 1 crashes while a PutAck for its put
// op 2 is in flight; after the restart its first put is op 2 again, of
// another key, and the stale ack counts towards W although the replica never
// saw the new key. The client is told the write is on W=2 nodes when it is on
// one.
func TestStaleAckCountsForNewPut(t *testing.T) {
	t.Skip(bugOpIDReuse)
	c := newReadyCluster(t)
	k1 := keyWithTop(t, c.ring, 1, 2, 3)
	k2 := keyWithTop(t, c.ring, 1, 2, 4)
	c.client(1, 1, Op{Kind: OpPut, Key: k1, Value: []byte("old")})
	c.deliver(1, 2, PutReq{})
	c.completeWrite(2) // PutAck{op=2} from node 2 is now in flight to node 1
	c.restart(1)

	effs := c.client(1, 2, Op{Kind: OpPut, Key: k2, Value: []byte("new")})
	require.Equal(t, `send 2 PutReq{op=2 `+k2+` ["new"@1.2:1]}`, render(effs[0]), "the new put reuses op id 2")
	c.drop(1, 2, PutReq{})
	c.drop(1, 4, PutReq{})
	c.completeWrite(1)
	c.deliver(2, 1, PutAck{}) // addressed to the previous life
	require.Empty(t, c.nodes[2].Versions(k2))
	require.Empty(t, c.replies, "acknowledged with one durable copy, W=2")
}

// TestStaleForwardReplyAnswersNewRequest: node 4 forwards a put (op 2) and
// crashes before the ForwardReply arrives; after the restart its first
// forward is op 2 again, and the stale reply answers it, so the client hears
// "ok" for a write that no node ever received.
func TestStaleForwardReplyAnswersNewRequest(t *testing.T) {
	t.Skip(bugOpIDReuse)
	c := newReadyCluster(t)
	k1 := keyWithTop(t, c.ring, 1, 2, 3)
	k2 := keyWithTop(t, c.ring, 2, 3, 1)
	c.client(4, 1, Op{Kind: OpPut, Key: k1, Value: []byte("old")})
	c.deliver(4, 1, Forward{}) // node 1 coordinates it as its op 2
	c.completeWrite(1)
	c.deliver(1, 2, PutReq{})
	c.completeWrite(2)
	require.Equal(t, []string{"send 4 ForwardReply{op=2 ok coord=1}"}, renderEffects(c.deliver(2, 1, PutAck{})))
	c.restart(4) // before the ForwardReply arrives

	effs := c.client(4, 2, Op{Kind: OpPut, Key: k2, Value: []byte("new")})
	require.Equal(t, []string{render(&Send{To: 2, Msg: Forward{Op: 2, Req: Op{Kind: OpPut, Key: k2, Value: []byte("new")}}}), "wake 1000ms"},
		renderEffects(effs))
	c.drop(4, 2, Forward{})
	c.deliver(1, 4, ForwardReply{}) // addressed to the previous life
	for _, id := range []NodeID{1, 2, 3} {
		require.Empty(t, c.nodes[id].Versions(k2))
	}
	require.Empty(t, c.replies, "a write that reached no node was acknowledged")
}

// TestRestartedForwarderIsNotADuplicate: node 4 forwards a put (op 2) to
// node 1 and restarts; its next forward to node 1 is op 2 again and is
// dropped as a duplicate, so the client times out though every message was
// delivered.
func TestRestartedForwarderIsNotADuplicate(t *testing.T) {
	t.Skip(bugOpIDReuse)
	c := newReadyCluster(t)
	key := keyWithTop(t, c.ring, 1, 2, 3)
	require.NoError(t, c.do(4, 1, Op{Kind: OpPut, Key: key, Value: []byte("a")}).Err)
	c.restart(4)
	c.client(4, 2, Op{Kind: OpPut, Key: key, Value: []byte("b")})
	require.NotEmpty(t, c.deliver(4, 1, Forward{}), "a new request, not a duplicate")
	c.settle()
	require.Equal(t, "reply 2 ok coord=1", c.replyString(2))
}

// TestStaleGetRespCountsForNewGet: node 1 crashes while node 2's answer to
// its get (op 2) is in flight; a write then reaches W=2 replicas (2 and 3);
// after the restart node 1's first get is op 2 again, of the same key, and
// the stale answer makes its R=2 quorum, so the read misses an acknowledged
// write although R+W>N and every replica is up.
func TestStaleGetRespCountsForNewGet(t *testing.T) {
	t.Skip(bugOpIDReuse)
	c := newReadyCluster(t)
	key := keyWithTop(t, c.ring, 1, 2, 3)
	a := version(5, 1, nil, nil, "a")
	for _, id := range []NodeID{1, 2, 3} {
		c.plant(id, key, a)
	}
	c.client(1, 1, Op{Kind: OpGet, Key: key}) // op 2... wait: planting used a token
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

	effs := c.client(1, 3, Op{Kind: OpGet, Key: key})
	stale := c.inflight[c.findMsg(2, 1, GetResp{})].msg.(GetResp)
	require.Equal(t, render(&Send{To: 2, Msg: GetReq{Op: stale.Op, Key: key}}), render(effs[0]), "the new get reuses the op id")
	c.deliver(2, 1, GetResp{}) // addressed to the previous life
	for _, r := range c.replies {
		if r.ID == 3 {
			require.Equal(t, []string{"b"}, values(r.Result), "R=2 and W=2 of N=3 must intersect")
		}
	}
}
