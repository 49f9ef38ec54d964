package core

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPutOutsideTopNIsForwarded(t *testing.T) {
	fastest := func(id NodeID) []byte { return EncodeContext(Context{Fastest: id, HasFastest: true}) }
	tests := []struct {
		name   string
		ctx    []byte
		target NodeID
	}{
		{"blind put goes to the first of the top N", nil, 1},
		{"context without a fastest node", EncodeContext(Context{}), 1},
		{"fastest node in the top N", fastest(3), 3},
		{"fastest node is the first anyway", fastest(1), 1},
		{"fastest node outside the top N is ignored", fastest(5), 1},
		{"fastest node is the forwarder itself", fastest(4), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newReadyCluster(t)
			key := keyWithTop(t, c.ring, 1, 2, 3)
			op := Op{Kind: OpPut, Key: key, Value: []byte("v"), Context: tt.ctx}
			effs := c.client(4, 7, op)
			require.Equal(t, []string{
				render(&Send{To: tt.target, Msg: Forward{Op: op1(2), Req: op}}),
				"wake 1000ms", // twice the target's own deadline
			}, renderEffects(effs))
			require.Equal(t, op, effs[0].(*Send).Msg.(Forward).Req, "the request travels unchanged")
			require.Empty(t, c.nodes[4].Versions(key), "the forwarder creates no version")
			require.Equal(t, uint64(1), c.nodes[4].Status().Stats.Forwarded)

			c.settle()
			require.Equal(t, fmt.Sprintf("reply 7 ok coord=%d", tt.target), c.replyString(7))
			for _, id := range []NodeID{1, 2, 3} {
				require.Equal(t, fmt.Sprintf(`["v"@%d.1:1]`, tt.target), renderVersions(c.nodes[id].Versions(key)),
					"the target coordinated the write")
			}
		})
	}
}

func TestForwardReplyBecomesClientReply(t *testing.T) {
	c := newReadyCluster(t)
	key := keyWithTop(t, c.ring, 1, 2, 3)
	c.client(4, 7, Op{Kind: OpDelete, Key: key})

	effs := c.deliver(4, 1, Forward{})
	require.Equal(t, []string{
		`send 2 PutReq{op=2 ` + key + ` [⊥@1.1:1]}`,
		`send 3 PutReq{op=2 ` + key + ` [⊥@1.1:1]}`,
		`persist tok=2 ` + key + `=[⊥@1.1:1] notify`,
		"wake 500ms",
	}, renderEffects(effs), "the target coordinates the forwarded request as its own")
	c.completeWrite(1)
	c.deliver(1, 2, PutReq{})
	c.completeWrite(2)
	require.Equal(t, []string{"send 4 ForwardReply{op=2 ok coord=1}"}, renderEffects(c.deliver(2, 1, PutAck{})))
	require.Empty(t, c.replies, "the target does not answer a client of its own")

	effs = c.deliver(1, 4, ForwardReply{})
	require.Equal(t, []string{"reply 7 ok coord=1"}, renderEffects(effs))
	require.Zero(t, effs[0].(*Reply).Result.Err)
	// The forwarder's deadline is dead now: its wakeup does nothing.
	c.settle()
	require.Equal(t, []string{quietWake(t)}, renderEffects(c.advance(4, 2*Second)))
	require.Len(t, c.replies, 1)
}

func TestForwardTimesOut(t *testing.T) {
	c := newReadyCluster(t)
	key := keyWithTop(t, c.ring, 1, 2, 3)
	c.client(4, 7, Op{Kind: OpPut, Key: key, Value: []byte("v")})
	c.drop(4, 1, Forward{})

	require.Empty(t, c.advance(4, 1000*Millisecond-1))
	effs := c.advance(4, 1)
	require.Equal(t, []string{"reply 7 err=timeout: too few replicas answered", quietWake(t)}, renderEffects(effs))
	require.ErrorIs(t, effs[0].(*Reply).Result.Err, ErrTimeout)
	require.Equal(t, uint64(1), c.nodes[4].Status().Stats.Timeouts)

	// A reply that comes after the timeout is dropped.
	require.Empty(t, c.step(4, &Recv{From: 1, Msg: ForwardReply{Op: op1(2), Result: Result{Coordinator: 1}}}))
	require.Len(t, c.replies, 1)
}

func TestForwardTargetTimeoutIsRelayed(t *testing.T) {
	c := newReadyCluster(t)
	key := keyWithTop(t, c.ring, 1, 2, 3)
	c.client(4, 7, Op{Kind: OpPut, Key: key, Value: []byte("v")})
	c.deliver(4, 1, Forward{})
	c.dropAll()

	effs := c.advance(1, 500*Millisecond)
	require.Equal(t, []string{"send 4 ForwardReply{op=2 err=timeout: too few replicas answered coord=1}", quietWake(t)}, renderEffects(effs))
	c.advance(4, 500*Millisecond)
	effs = c.deliver(1, 4, ForwardReply{})
	require.Equal(t, []string{"reply 7 err=timeout: too few replicas answered coord=1"}, renderEffects(effs),
		"the client learns the target's outcome, not a timeout of its own")
}

func TestForwardToNonOwnerIsRefused(t *testing.T) {
	c := newReadyCluster(t)
	key := keyWithTop(t, c.ring, 1, 2, 3)
	fwd := Forward{Op: 9, Req: Op{Kind: OpPut, Key: key, Value: []byte("v")}}
	effs := c.step(5, &Recv{From: 4, Msg: fwd})
	require.Equal(t, []string{
		"send 4 ForwardReply{op=9 err=bad request: forwarded put reached a node outside the key's top N}",
	}, renderEffects(effs), "a second hop is refused, so forwarding cannot loop")
	res := effs[0].(*Send).Msg.(ForwardReply).Result
	require.ErrorIs(t, res.Err, ErrBadRequest)
	require.Empty(t, c.nodes[5].Versions(key))
	require.Equal(t, uint64(1), c.nodes[5].Status().Stats.BadRequests)
}

func TestForwardToBootingOwnerIsUnavailable(t *testing.T) {
	c := newReadyCluster(t)
	key := keyWithTop(t, c.ring, 1, 2, 3)
	c.nodes[1] = New(testConfig(1, c.ring), Recovered{Records: []Record{{Kind: RecordIncarnation, Incarnation: 1}}})
	c.step(1, &Boot{}) // incarnation 2 not yet durable
	c.client(4, 7, Op{Kind: OpPut, Key: key, Value: []byte("v")})
	require.Equal(t, []string{"send 4 ForwardReply{op=2 err=node unavailable}"}, renderEffects(c.deliver(4, 1, Forward{})))
	require.Equal(t, []string{"reply 7 err=node unavailable"}, renderEffects(c.deliver(1, 4, ForwardReply{})))
}

func TestDuplicatedForwardIsCoordinatedOnce(t *testing.T) {
	c := newReadyCluster(t)
	key := keyWithTop(t, c.ring, 1, 2, 3)
	c.client(4, 7, Op{Kind: OpPut, Key: key, Value: []byte("v")})
	require.Len(t, c.duplicate(4, 1, Forward{}), 4)
	require.Empty(t, c.deliver(4, 1, Forward{}), "the copy is dropped")
	c.settle()
	require.Equal(t, `["v"@1.1:1]`, renderVersions(c.nodes[1].Versions(key)), "one client write, one version")
	require.NoError(t, c.replyTo(7).Result.Err)
}

func TestGetIsNeverForwarded(t *testing.T) {
	c := newReadyCluster(t)
	key := keyWithTop(t, c.ring, 1, 2, 3)
	effs := c.client(5, 7, Op{Kind: OpGet, Key: key})
	for _, e := range effs {
		if s, ok := e.(*Send); ok {
			require.IsType(t, GetReq{}, s.Msg)
		}
	}
	require.Zero(t, c.nodes[5].Status().Stats.Forwarded)
}
