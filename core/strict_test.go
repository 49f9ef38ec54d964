package core

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func strict(c *Config) { c.Sloppy, c.Strict = false, true }

// TestStrictGetWritesBackBeforeAnswering: in the strict profile a get answers
// only once the merge it read is durable at W replicas.
func TestStrictGetWritesBackBeforeAnswering(t *testing.T) {
	c, key, _, _ := getFixture(t, strict)
	c.client(1, 5, Op{Kind: OpGet, Key: key})
	c.deliver(1, 2, GetReq{})
	effs := c.deliver(2, 1, GetResp{})
	require.Equal(t, []string{
		`send 2 PutReq{op=3 ` + key + ` ["a"@4.1:1 "b"@5.1:1]}`,
		`send 3 PutReq{op=3 ` + key + ` ["a"@4.1:1 "b"@5.1:1]}`,
		`persist tok=3 ` + key + `=["a"@4.1:1 "b"@5.1:1] notify`,
	}, renderEffects(effs), "R replies start the write-back, not the answer")
	require.Empty(t, c.replies)
	require.Equal(t, `["a"@4.1:1 "b"@5.1:1]`, renderVersions(c.nodes[1].Versions(key)))

	// Two remote acks make W=2 whatever happens to the local write.
	for _, r := range []NodeID{2, 3} {
		c.deliver(1, r, PutReq{})
		c.completeWrite(r)
	}
	require.Empty(t, c.deliver(2, 1, PutAck{}))
	effs = c.deliver(3, 1, PutAck{})
	require.Equal(t, `reply 5 ok coord=1 ["a" "b"] ctx={fastest=1 <4.1:1,5.1:1>}`, render(effs[0]))
}

// TestStrictWriteBackCountsLocalWrite: the coordinator's own durable copy is
// one of the W. Its write-back Persist uses the get's op id as token with
// Notify, but handlePersisted only looks the token up among puts, so the local
// write never counts: W=2 needs both remote replicas, and with W=3 a get
// coordinated by a replica can never answer.
func TestStrictWriteBackCountsLocalWrite(t *testing.T) {
	t.Run("w=2: local write and one ack", func(t *testing.T) {
		c, key, _, _ := getFixture(t, strict)
		c.client(1, 5, Op{Kind: OpGet, Key: key})
		c.deliver(1, 2, GetReq{})
		c.deliver(2, 1, GetResp{})
		require.Empty(t, c.completeWrite(1))
		c.deliver(1, 2, PutReq{})
		c.completeWrite(2)
		effs := c.deliver(2, 1, PutAck{})
		require.Len(t, effs, 1, "local + node 2 are W=2")
		require.Equal(t, `reply 5 ok coord=1 ["a" "b"] ctx={fastest=1 <4.1:1,5.1:1>}`, render(effs[0]))
	})
	t.Run("r=1 w=3: every replica acks", func(t *testing.T) {
		c, key, _, _ := getFixture(t, strict, func(cfg *Config) { cfg.R, cfg.W = 1, 3 })
		c.client(1, 5, Op{Kind: OpGet, Key: key})
		c.settle()
		require.Equal(t, `reply 5 ok coord=1 ["a"] ctx={fastest=1 <4.1:1>}`, c.replyString(5))
	})
}
