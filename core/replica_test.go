package core

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReplicaMergesAtOnceAndAcksOnlyWhenDurable(t *testing.T) {
	c := newReadyCluster(t)
	key := keyWithTop(t, c.ring, 1, 2, 3)
	a := version(1, 1, nil, nil, "a")
	b := version(3, 1, nil, nil, "b") // concurrent with a

	// Node 2 holds b already.
	c.step(2, &Recv{From: 3, Msg: PutReq{Key: key, Versions: []Version{b}}})
	c.completeWrite(2)

	effs := c.step(2, &Recv{From: 1, Msg: PutReq{Op: 7, Key: key, Versions: []Version{a}}})
	require.Equal(t, []string{
		`persist tok=3 ` + key + `=["a"@1.1:1 "b"@3.1:1] then(send 1 PutAck{op=7})`, // the whole set
	}, renderEffects(effs))
	p := effs[0].(*Persist)
	require.False(t, p.Notify, "a replica's write needs no notification: the ack rides on Then")
	require.Equal(t, []Effect{&Send{To: 1, Msg: PutAck{Op: 7}}}, p.Then)

	// Memory is updated before the write is durable: a read sees the merge.
	require.Equal(t, []string{
		`send 4 GetResp{op=11 ` + key + ` ["a"@1.1:1 "b"@3.1:1]}`,
	}, renderEffects(c.step(2, &Recv{From: 4, Msg: GetReq{Op: 11, Key: key}})))

	require.Empty(t, c.findAck(), "no ack before the write is durable")
	require.Equal(t, []string{"send 1 PutAck{op=7}"}, renderEffects(c.completeWrite(2)))
}

// findAck lists the PutAcks in flight.
func (c *cluster) findAck() []envelope {
	var out []envelope
	for _, m := range c.inflight {
		if _, ok := m.msg.(PutAck); ok {
			out = append(out, m)
		}
	}
	return out
}

func TestReplicaReadRepairHasNoAck(t *testing.T) {
	c := newReadyCluster(t)
	key := keyWithTop(t, c.ring, 1, 2, 3)
	a := version(1, 1, nil, nil, "a")
	effs := c.step(2, &Recv{From: 1, Msg: PutReq{Op: 0, Key: key, Versions: []Version{a}}})
	require.Equal(t, []string{`persist tok=2 ` + key + `=["a"@1.1:1]`}, renderEffects(effs))
	require.Nil(t, effs[0].(*Persist).Then)
	require.Equal(t, `["a"@1.1:1]`, renderVersions(c.nodes[2].Versions(key)))
	require.Empty(t, c.completeWrite(2))
	require.Empty(t, c.inflight)
}

func TestReplicaFailedWriteNeverAcks(t *testing.T) {
	c := newReadyCluster(t)
	key := keyWithTop(t, c.ring, 1, 2, 3)
	c.step(2, &Recv{From: 1, Msg: PutReq{Op: 7, Key: key, Versions: []Version{version(1, 1, nil, nil, "a")}}})
	require.Empty(t, c.failWrite(2))
	require.Empty(t, c.inflight)
}

func TestReplicaKeepsNewerSet(t *testing.T) {
	// A stale PutReq (an older version the replica has since superseded)
	// changes nothing in memory, and is still logged and acknowledged:
	// merging is idempotent.
	c := newReadyCluster(t)
	key := keyWithTop(t, c.ring, 1, 2, 3)
	a := version(1, 1, nil, nil, "a")
	a2 := version(1, 1, []Version{a}, dvv.Context([]Version{a}), "a2")
	c.step(2, &Recv{From: 1, Msg: PutReq{Key: key, Versions: []Version{a2}}})
	c.completeWrite(2)

	effs := c.step(2, &Recv{From: 3, Msg: PutReq{Op: 4, Key: key, Versions: []Version{a}}})
	require.Equal(t, []string{`persist tok=3 ` + key + `=["a2"@1.1:2<1.1:1>] then(send 3 PutAck{op=4})`}, renderEffects(effs))
	require.Equal(t, `["a2"@1.1:2<1.1:1>]`, renderVersions(c.nodes[2].Versions(key)))
}
