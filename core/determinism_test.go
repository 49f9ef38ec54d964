package core

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// chaos drives a cluster with steps drawn from seed: client requests (with the
// contexts of earlier reads), and a network and disk that deliver, drop,
// duplicate and reorder, complete or fail writes, while clocks move. It
// returns the transcript of everything every node was given and did, after
// checking that every request was answered exactly once.
func chaos(t tester, seed uint64, steps int, opts ...func(*Config)) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 99))
	c := newReadyCluster(t, opts...)
	keys := []string{keyWithTop(t, c.ring, 1, 2, 3), keyWithTop(t, c.ring, 3, 4, 5), "plain"}
	ctxs := map[string][]byte{}
	seen := 0
	var asked []ReqID
	for i := range steps {
		// Remember the contexts of answered reads, for later writes.
		for ; seen < len(c.replies); seen++ {
			if r := c.replies[seen]; r.Result.Context != nil {
				ctxs[keys[int(r.ID)%len(keys)]] = r.Result.Context
			}
		}
		node := testNodes[rng.IntN(len(testNodes))]
		switch x := rng.IntN(100); {
		case x < 15:
			k := rng.IntN(len(keys))
			req := ReqID(i*len(keys) + k) // the key is recoverable from the id
			op := Op{Key: keys[k], Kind: OpKind(1 + rng.IntN(3)), R: rng.IntN(4), W: rng.IntN(4)}
			if op.Kind == OpPut {
				op.Value = fmt.Appendf(nil, "v%d", i)
			}
			if op.Kind != OpGet && rng.IntN(2) == 0 {
				op.Context = ctxs[op.Key]
			}
			c.client(node, req, op)
			asked = append(asked, req)
		case x < 60 && len(c.inflight) > 0:
			j := rng.IntN(len(c.inflight))
			m := c.inflight[j]
			if rng.IntN(10) > 0 {
				c.inflight = append(c.inflight[:j], c.inflight[j+1:]...)
			}
			c.step(m.to, &Recv{From: m.from, Msg: m.msg})
		case x < 65 && len(c.inflight) > 0:
			j := rng.IntN(len(c.inflight))
			m := c.inflight[j]
			c.inflight = append(c.inflight[:j], c.inflight[j+1:]...)
			fmt.Fprintf(&c.trace, "drop %d -> %d %s\n", m.from, m.to, renderMsg(m.msg))
		case x < 85 && len(c.writes) > 0:
			w := c.writes[rng.IntN(len(c.writes))].node
			if rng.IntN(20) == 0 {
				c.failWrite(w)
			} else {
				c.completeWrite(w)
			}
		default:
			c.advance(node, Time(rng.IntN(200))*Millisecond)
		}
	}
	// Let every deadline pass, twice: a target's timeout sends a
	// ForwardReply that the forwarder must still hear.
	for range 2 {
		c.settle()
		c.advanceAll(2 * Second)
	}
	c.settle()
	// Every request was answered exactly once.
	answered := map[ReqID]int{}
	for _, r := range c.replies {
		answered[r.ID]++
	}
	for _, req := range asked {
		if answered[req] != 1 {
			t.Fatalf("seed %d: request %d answered %d times\n%s", seed, req, answered[req], c.trace.String())
		}
	}
	for _, id := range testNodes {
		fmt.Fprintf(&c.trace, "final %d %+v\n", id, c.nodes[id].Status())
		c.nodes[id].Ascend(func(key string, vs []Version) bool {
			fmt.Fprintf(&c.trace, "  %s=%s\n", key, renderVersions(vs))
			return true
		})
	}
	return c.trace.String()
}

func TestDeterminism(t *testing.T) {
	configs := map[string]func(*Config){
		"quiet":    func(*Config) {},
		"busy":     busy,
		"buffered": func(c *Config) { busy(c); buffered(c) },
	}
	for name, opt := range configs {
		t.Run(name, func(t *testing.T) {
			a := chaos(t, 1, 2000, opt)
			b := chaos(t, 1, 2000, opt)
			require.Equal(t, a, b, "the same inputs gave different effects")
			require.NotEqual(t, a, chaos(t, 2, 2000, opt), "the transcript does not depend on the seed: the driver is broken")
			require.Contains(t, a, "reply ")
			require.Contains(t, a, "PutReq")
			require.Contains(t, a, "Forward{")
		})
	}
}

func TestDeterminismProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		steps := rapid.IntRange(1, 400).Draw(t, "steps")
		require.Equal(t, chaos(t, seed, steps, busy), chaos(t, seed, steps, busy))
	})
}

// busy restores the default periods of the background tasks, which test
// clusters otherwise keep quiet.
func busy(c *Config) {
	d := DefaultConfig(c.ID, c.Ring, c.Rand)
	defaults := backgroundPeriods(&d)
	for i, f := range backgroundPeriods(c) {
		f.Set(defaults[i])
	}
}
