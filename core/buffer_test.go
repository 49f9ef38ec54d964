package core

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func buffered(c *Config) { c.BufferedWrites = true }

func TestBufferedBootSchedulesFlush(t *testing.T) {
	c := newCluster(t, buffered)
	require.Equal(t, []string{"persist tok=1 incarnation=1 notify", "wake 100ms"}, renderEffects(c.step(1, &Boot{})))
}

// TestBufferedPutHasExactlyOneDurableReplica runs a buffered put with
// coordinator seeds until each of the three replicas has been the durable one:
// exactly that one writes to disk before acknowledging, the others
// acknowledge from memory.
func TestBufferedPutHasExactlyOneDurableReplica(t *testing.T) {
	seen := map[NodeID]bool{}
	for seed := uint64(0); len(seen) < 3; seed++ {
		require.Less(t, seed, uint64(200), "the coordinator never chose some replica: %v", seen)
		c := newReadyCluster(t, buffered, func(cfg *Config) {
			if cfg.ID == 1 {
				cfg.Rand = rand.New(rand.NewPCG(seed, 4))
			}
		})
		key := keyWithTop(t, c.ring, 1, 2, 3)
		effs := c.client(1, 9, Op{Kind: OpPut, Key: key, Value: []byte("v")})
		durable := NodeID(1)
		for _, e := range effs {
			if s, ok := e.(*Send); ok && s.Msg.(PutReq).Durable {
				require.Equal(t, NodeID(1), durable, "two durable replicas")
				durable = s.To
			}
		}
		if seen[durable] {
			continue
		}
		seen[durable] = true
		t.Run(fmt.Sprintf("durable=%d", durable), func(t *testing.T) {
			flag := func(id NodeID) string {
				if id == durable {
					return " durable"
				}
				return ""
			}
			want := []string{
				`send 2 PutReq{op=2 ` + key + ` ["v"@1.1:1]` + flag(2) + `}`,
				`send 3 PutReq{op=2 ` + key + ` ["v"@1.1:1]` + flag(3) + `}`,
			}
			if durable == 1 {
				want = append(want, `persist tok=2 `+key+`=["v"@1.1:1] notify`)
			}
			// No new wakeup: the flush at 100ms comes before the 500ms deadline.
			require.Equal(t, want, renderEffects(effs))

			persisted := 0 // replicas that wrote the key durably before acknowledging
			if durable == 1 {
				persisted++
				require.Zero(t, c.nodes[1].Status().Buffered)
			} else {
				require.Equal(t, 1, c.nodes[1].Status().Buffered, "the coordinator buffers its own write")
			}
			for _, r := range []NodeID{2, 3} {
				effs := c.deliver(1, r, PutReq{})
				if r == durable {
					persisted++
					require.Equal(t, []string{
						`persist tok=2 ` + key + `=["v"@1.1:1] then(send 1 PutAck{op=2})`,
					}, renderEffects(effs))
					require.Zero(t, c.nodes[r].Status().Buffered)
				} else {
					require.Equal(t, []string{"send 1 PutAck{op=2}"}, renderEffects(effs), "a buffered replica acks from memory")
					require.Equal(t, 1, c.nodes[r].Status().Buffered)
				}
			}
			require.Equal(t, 1, persisted)

			c.settle()
			require.Equal(t, "reply 9 ok coord=1", c.replyString(9))
		})
	}
}

func TestBufferFlushesEveryInterval(t *testing.T) {
	c := newReadyCluster(t, buffered)
	k1 := keyWithTop(t, c.ring, 1, 2, 3)
	k2 := keyWithTop(t, c.ring, 2, 3, 1)
	k3 := keyWithTop(t, c.ring, 3, 1, 2)
	a, b := version(1, 1, nil, nil, "a"), version(2, 1, nil, nil, "b")

	for i, m := range []PutReq{
		{Op: 5, Key: k2, Versions: []Version{a}},
		{Op: 6, Key: k1, Versions: []Version{a}},
		{Op: 0, Key: k3, Versions: []Version{b}}, // read repair: buffered, no ack
		{Op: 7, Key: k2, Versions: []Version{b}}, // k2 again: buffered once
	} {
		effs := c.step(3, &Recv{From: 1, Msg: m})
		if m.Op == 0 {
			require.Empty(t, effs, "step %d", i)
		} else {
			require.Equal(t, []string{fmt.Sprintf("send 1 PutAck{op=%d}", m.Op)}, renderEffects(effs), "step %d", i)
		}
	}
	require.Equal(t, 3, c.nodes[3].Status().Buffered)
	require.Empty(t, c.writes)

	require.Empty(t, c.advance(3, 100*Millisecond-1))
	effs := c.advance(3, 1)
	require.Equal(t, []string{
		// Every buffered key, in the order first buffered, with its whole set.
		`persist tok=2 ` + k2 + `=["a"@1.1:1 "b"@2.1:1] ` + k1 + `=["a"@1.1:1] ` + k3 + `=["b"@2.1:1]`,
		"wake 200ms",
	}, renderEffects(effs))
	require.False(t, effs[0].(*Persist).Notify)
	st := c.nodes[3].Status()
	require.Zero(t, st.Buffered)
	require.Equal(t, uint64(1), st.Stats.Flushes)

	// An empty buffer writes nothing; the writer keeps its period.
	require.Equal(t, []string{"wake 300ms"}, renderEffects(c.advance(3, 100*Millisecond)))
	require.Equal(t, uint64(1), c.nodes[3].Status().Stats.Flushes)
}

func TestBufferFlushesWhenFull(t *testing.T) {
	c := newReadyCluster(t, buffered, func(cfg *Config) { cfg.BufferObjects = 2 })
	k1 := keyWithTop(t, c.ring, 1, 2, 3)
	k2 := keyWithTop(t, c.ring, 2, 3, 1)
	a := version(1, 1, nil, nil, "a")

	require.Equal(t, []string{"send 1 PutAck{op=5}"},
		renderEffects(c.step(3, &Recv{From: 1, Msg: PutReq{Op: 5, Key: k1, Versions: []Version{a}}})))
	require.Equal(t, []string{"send 1 PutAck{op=6}"},
		renderEffects(c.step(3, &Recv{From: 1, Msg: PutReq{Op: 6, Key: k1, Versions: []Version{a}}})),
		"the same key twice is one buffered object")
	require.Equal(t, []string{
		"send 1 PutAck{op=7}",
		`persist tok=2 ` + k1 + `=["a"@1.1:1] ` + k2 + `=["a"@1.1:1]`,
	}, renderEffects(c.step(3, &Recv{From: 1, Msg: PutReq{Op: 7, Key: k2, Versions: []Version{a}}})))
	require.Zero(t, c.nodes[3].Status().Buffered)

	// The periodic writer still runs on time, with nothing to write.
	require.Equal(t, []string{"wake 200ms"}, renderEffects(c.advance(3, 100*Millisecond)))
}
