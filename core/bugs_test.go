package core

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The planted bugs of Config.Bugs must really break the node, or the checker
// tests that rely on them prove nothing. Each test shows the defect next to
// the correct behaviour.

func TestBugAckBeforePersist(t *testing.T) {
	bug := func(c *Config) { c.Bugs.AckBeforePersist = true }

	t.Run("replica", func(t *testing.T) {
		for _, planted := range []bool{false, true} {
			var opts []func(*Config)
			if planted {
				opts = append(opts, bug)
			}
			c := newReadyCluster(t, opts...)
			key := keyWithTop(t, c.ring, 1, 2, 3)
			effs := c.step(2, &Recv{From: 1, Msg: PutReq{Op: 7, Key: key, Versions: []Version{version(1, 1, nil, nil, "a")}}})
			if !planted {
				require.Equal(t, []string{`persist tok=2 ` + key + `=["a"@1.1:1] then(send 1 PutAck{op=7})`}, renderEffects(effs))
				continue
			}
			require.Equal(t, []string{
				"send 1 PutAck{op=7}",
				`persist tok=2 ` + key + `=["a"@1.1:1]`,
			}, renderEffects(effs), "the ack leaves before the write is durable")
			require.Empty(t, effs[1].(*Persist).Then)
			// Even if the write then fails, the ack is already out.
			c.failWrite(2)
			require.Len(t, c.findAck(), 1)
		}
	})

	t.Run("coordinator", func(t *testing.T) {
		c := newReadyCluster(t, bug)
		key := keyWithTop(t, c.ring, 1, 2, 3)
		effs := c.client(1, 9, Op{Kind: OpPut, Key: key, Value: []byte("v"), W: 1})
		require.Equal(t, []string{
			`send 2 PutReq{op=2 ` + key + ` ["v"@1.1:1]}`,
			`send 3 PutReq{op=2 ` + key + ` ["v"@1.1:1]}`,
			`persist tok=3 ` + key + `=["v"@1.1:1]`,
			"reply 9 ok coord=1",
		}, renderEffects(effs), "w=1 is answered before anything is durable")
		require.False(t, effs[2].(*Persist).Notify)
	})
}

func TestBugDropSibling(t *testing.T) {
	for _, planted := range []bool{false, true} {
		c, key, _, _ := getFixture(t, func(cfg *Config) { cfg.Bugs.DropSibling = planted })
		c.client(1, 5, Op{Kind: OpGet, Key: key})
		c.deliver(1, 2, GetReq{})
		effs := c.deliver(2, 1, GetResp{})
		want := `reply 5 ok coord=1 ["a" "b"] ctx={fastest=1 <4.1:1,5.1:1>}`
		if planted {
			// One sibling, but a context that covers both.
			want = `reply 5 ok coord=1 ["a"] ctx={fastest=1 <4.1:1,5.1:1>}`
		}
		require.Equal(t, want, render(effs[0]))
	}
}

func TestBugWrongMerge(t *testing.T) {
	for _, planted := range []bool{false, true} {
		c := newReadyCluster(t, func(cfg *Config) { cfg.Bugs.WrongMerge = planted })
		key := keyWithTop(t, c.ring, 1, 2, 3)
		a, b, d := version(4, 1, nil, nil, "a"), version(5, 1, nil, nil, "b"), version(1, 1, nil, nil, "d")
		c.plant(2, key, a, b)
		effs := c.step(2, &Recv{From: 1, Msg: PutReq{Op: 7, Key: key, Versions: []Version{d}}})
		want := `["d"@1.1:1 "a"@4.1:1 "b"@5.1:1]`
		if planted {
			want = `["d"@1.1:1]` // the concurrent siblings are lost
		}
		// The log holds the whole set the store holds, wrong or right.
		require.Equal(t, []string{`persist tok=3 ` + key + `=` + want + ` then(send 1 PutAck{op=7})`}, renderEffects(effs))
		require.Equal(t, want, renderVersions(c.nodes[2].Versions(key)))
	}
}

func TestNoBugsByDefault(t *testing.T) {
	require.Equal(t, Bugs{}, DefaultConfig(1, testRing(t), nil).Bugs)
}
