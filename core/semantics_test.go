package core

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dynamo-replay/dynamo/core/causality"
)

func withCausality(m causality.Mode) func(*Config) {
	return func(c *Config) { c.Causality = m }
}

func values(res Result) []string {
	out := make([]string, len(res.Siblings))
	for i, s := range res.Siblings {
		if s.Deleted {
			out[i] = "⊥"
		} else {
			out[i] = string(s.Value)
		}
	}
	return out
}

// TestMultiValueSemantics runs the multi-value register through whole nodes:
// concurrent blind writes through two coordinators become siblings, a write
// with the context of a read that saw both replaces them, and a delete leaves
// a tombstone that reads as not found.
func TestMultiValueSemantics(t *testing.T) {
	for _, mode := range []causality.Mode{causality.DVV, causality.VC} {
		t.Run(mode.String(), func(t *testing.T) {
			c := newReadyCluster(t, withCausality(mode))
			key := keyWithTop(t, c.ring, 1, 2, 3)

			require.NoError(t, c.do(1, 1, Op{Kind: OpPut, Key: key, Value: []byte("a")}).Err)
			require.NoError(t, c.do(2, 2, Op{Kind: OpPut, Key: key, Value: []byte("b")}).Err)
			got := c.do(3, 3, Op{Kind: OpGet, Key: key})
			require.NoError(t, got.Err)
			require.Equal(t, []string{"a", "b"}, values(got), "blind writes are concurrent")
			require.True(t, got.Found())

			require.NoError(t, c.do(3, 4, Op{Kind: OpPut, Key: key, Value: []byte("c"), Context: got.Context}).Err)
			got = c.do(5, 5, Op{Kind: OpGet, Key: key})
			require.Equal(t, []string{"c"}, values(got), "a write with the read's context supersedes what it read")
			for _, id := range []NodeID{1, 2, 3} {
				require.Len(t, c.nodes[id].Versions(key), 1, "node %d", id)
			}

			require.NoError(t, c.do(2, 6, Op{Kind: OpDelete, Key: key, Context: got.Context}).Err)
			got = c.do(1, 7, Op{Kind: OpGet, Key: key})
			require.NoError(t, got.Err)
			require.Equal(t, []string{"⊥"}, values(got), "the tombstone stays a sibling")
			require.False(t, got.Found())

			// A blind write after the delete is concurrent with the tombstone.
			require.NoError(t, c.do(1, 8, Op{Kind: OpPut, Key: key, Value: []byte("d")}).Err)
			got = c.do(1, 9, Op{Kind: OpGet, Key: key})
			require.ElementsMatch(t, []string{"⊥", "d"}, values(got))
			require.True(t, got.Found())
		})
	}
}

func TestLastWriteWinsKeepsOneSibling(t *testing.T) {
	c := newReadyCluster(t, withCausality(causality.LWW))
	key := keyWithTop(t, c.ring, 1, 2, 3)
	require.NoError(t, c.do(1, 1, Op{Kind: OpPut, Key: key, Value: []byte("a")}).Err)
	c.advanceAll(Millisecond) // a later wall clock wins
	require.NoError(t, c.do(2, 2, Op{Kind: OpPut, Key: key, Value: []byte("b")}).Err)
	got := c.do(3, 3, Op{Kind: OpGet, Key: key})
	require.Equal(t, []string{"b"}, values(got))
}
