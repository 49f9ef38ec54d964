package core

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// beginPut runs a blind put of value at node 1 for a key whose top N is
// [1 2 3] and checks the coordinator's effects: the whole merged set to the
// other two replicas, one local write with Notify, and the request deadline.
func beginPut(t *testing.T, c *cluster, req ReqID, w int) string {
	t.Helper()
	key := keyWithTop(t, c.ring, 1, 2, 3)
	effs := c.client(1, req, Op{Kind: OpPut, Key: key, Value: []byte("v"), W: w})
	require.Equal(t, []string{
		`send 2 PutReq{op=2 ` + key + ` ["v"@1.1:1]}`,
		`send 3 PutReq{op=2 ` + key + ` ["v"@1.1:1]}`,
		`persist tok=2 ` + key + `=["v"@1.1:1] notify`,
		"wake 500ms",
	}, renderEffects(effs))
	return key
}

func TestPutSendsMergedSetToOtherReplicas(t *testing.T) {
	c := newReadyCluster(t)
	key := keyWithTop(t, c.ring, 1, 2, 3)
	// Node 1 already holds a version by node 2 that the client never saw.
	old := version(2, 1, nil, nil, "old")
	c.step(1, &Recv{From: 2, Msg: PutReq{Key: key, Versions: []Version{old}}})
	c.completeWrite(1)

	effs := c.client(1, 5, Op{Kind: OpPut, Key: key, Value: []byte("new")})
	require.Equal(t, []string{
		`send 2 PutReq{op=3 ` + key + ` ["new"@1.1:1 "old"@2.1:1]}`,
		`send 3 PutReq{op=3 ` + key + ` ["new"@1.1:1 "old"@2.1:1]}`,
		// The log gets only the new version: replaying merges it into what
		// the log already holds.
		`persist tok=3 ` + key + `=["new"@1.1:1 "old"@2.1:1] notify`,
		"wake 500ms",
	}, renderEffects(effs))
	req := effs[0].(*Send).Msg.(PutReq)
	require.Equal(t, c.nodes[1].Versions(key), req.Versions, "the PutReq carries the coordinator's whole sibling set")
	require.False(t, req.Durable)
}

func TestPutAnswersAfterLocalWriteAndWAcks(t *testing.T) {
	tests := []struct {
		name  string
		w     int
		steps func(c *cluster, key string) // the steps after which no reply may exist yet
		last  func(c *cluster) []Effect
	}{
		{
			name:  "w=2 local write then ack",
			w:     2,
			steps: func(c *cluster, _ string) { require.Empty(t, c.completeWrite(1)) },
			last: func(c *cluster) []Effect {
				c.deliver(1, 2, nil)
				require.Equal(t, []string{"send 1 PutAck{op=2}"}, renderEffects(c.completeWrite(2)))
				return c.deliver(2, 1, PutAck{})
			},
		},
		{
			name: "w=2 ack then local write",
			w:    2,
			steps: func(c *cluster, _ string) {
				c.deliver(1, 3, nil)
				c.completeWrite(3)
				require.Empty(t, c.deliver(3, 1, PutAck{}))
			},
			last: func(c *cluster) []Effect { return c.completeWrite(1) },
		},
		{
			name: "w=2 duplicated ack counts once",
			w:    2,
			steps: func(c *cluster, key string) {
				c.duplicate(1, 2, nil) // the network duplicates the PutReq too
				c.deliver(1, 2, nil)
				c.completeWrite(2)
				require.Empty(t, c.duplicate(2, 1, PutAck{}))
				require.Empty(t, c.deliver(2, 1, PutAck{}))
				// The second copy of the PutReq acks again: still one replica.
				require.Equal(t, []string{"send 1 PutAck{op=2}"}, renderEffects(c.completeWrite(2)))
				require.Empty(t, c.deliver(2, 1, PutAck{}))
			},
			last: func(c *cluster) []Effect { return c.completeWrite(1) },
		},
		{
			name:  "w=1 answers on the local write",
			w:     1,
			steps: func(c *cluster, _ string) {},
			last:  func(c *cluster) []Effect { return c.completeWrite(1) },
		},
		{
			name: "w=3 needs every replica",
			w:    3,
			steps: func(c *cluster, _ string) {
				c.completeWrite(1)
				c.deliver(1, 2, nil)
				c.completeWrite(2)
				require.Empty(t, c.deliver(2, 1, PutAck{}))
				c.deliver(1, 3, nil)
			},
			last: func(c *cluster) []Effect {
				c.completeWrite(3)
				return c.deliver(3, 1, PutAck{})
			},
		},
		{
			name: "failed local write: two remote acks still make w=2",
			w:    2,
			steps: func(c *cluster, _ string) {
				require.Empty(t, c.failWrite(1))
				c.deliver(1, 2, nil)
				c.completeWrite(2)
				require.Empty(t, c.deliver(2, 1, PutAck{}))
				c.deliver(1, 3, nil)
			},
			last: func(c *cluster) []Effect {
				c.completeWrite(3)
				return c.deliver(3, 1, PutAck{})
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newReadyCluster(t)
			key := beginPut(t, c, 9, tt.w)
			tt.steps(c, key)
			require.Empty(t, c.replies, "replied too early")
			require.Equal(t, 1, c.nodes[1].Status().PendingPuts)
			require.Equal(t, []string{"reply 9 ok coord=1"}, renderEffects(tt.last(c)))
			require.Zero(t, c.nodes[1].Status().PendingPuts)
			require.Equal(t, uint64(1), c.nodes[1].Status().Stats.Puts)
			// Whatever arrives afterwards changes nothing.
			c.settle()
			require.Len(t, c.replies, 1)
		})
	}
}

func TestPutTimesOut(t *testing.T) {
	c := newReadyCluster(t)
	beginPut(t, c, 9, 0)
	c.completeWrite(1)
	c.dropAll()

	// A spurious wakeup before the deadline only asks for the deadline again.
	require.Equal(t, []string{"wake 500ms"}, renderEffects(c.step(1, &Wakeup{})))
	require.Empty(t, c.advance(1, 500*Millisecond-1), "no wakeup is due before 500ms")
	effs := c.advance(1, 1)
	require.Equal(t, []string{"reply 9 err=timeout: too few replicas answered coord=1", quietWake(t)}, renderEffects(effs))
	require.ErrorIs(t, effs[0].(*Reply).Result.Err, ErrTimeout)
	st := c.nodes[1].Status()
	require.Zero(t, st.PendingPuts)
	require.Equal(t, uint64(1), st.Stats.Timeouts)

	// A late ack finds nothing to answer.
	require.Empty(t, c.step(1, &Recv{From: 2, Msg: PutAck{Op: op1(2)}}))
	require.Len(t, c.replies, 1)
}

func TestPutAckFromNonReplicaIgnored(t *testing.T) {
	c := newReadyCluster(t)
	beginPut(t, c, 9, 0)
	c.completeWrite(1)
	require.Empty(t, c.step(1, &Recv{From: 4, Msg: PutAck{Op: op1(2)}}))
	require.Empty(t, c.replies)
	require.Equal(t, uint64(1), c.nodes[1].Status().Stats.BadMessages)
}
