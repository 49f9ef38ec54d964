package ring

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestPartitionBoundariesSmallQ(t *testing.T) {
	require.Equal(t, Token{}, partitionEnd(0, 1), "Q=1: the only partition ends at 2^128 = 0")
	require.Equal(t, Token{Hi: 1 << 63}, partitionEnd(0, 2))
	require.Equal(t, Token{}, partitionEnd(1, 2))
	require.Equal(t, Token{Hi: 0x5555555555555555, Lo: 0x5555555555555555}, partitionEnd(0, 3))
	require.Equal(t, Token{Hi: 0xaaaaaaaaaaaaaaaa, Lo: 0xaaaaaaaaaaaaaaaa}, partitionEnd(1, 3))

	require.Equal(t, uint64(1), partitionOf(Token{}, 2), "position 0 is in the last partition")
	require.Equal(t, uint64(0), partitionOf(Token{Lo: 1}, 2))
	require.Equal(t, uint64(0), partitionOf(Token{Hi: 1 << 63}, 2), "a partition contains its end")
	require.Equal(t, uint64(1), partitionOf(Token{Hi: 1 << 63, Lo: 1}, 2))
	require.Equal(t, uint64(1), partitionOf(Token{Hi: ^uint64(0), Lo: ^uint64(0)}, 2))
	require.Equal(t, uint64(0), partitionOf(Token{Hi: 42}, 1))
	require.Equal(t, uint64(0), partitionOf(Token{}, 1))
}

func TestPartitionArithmeticMatchesBig(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		q := rapid.OneOf(
			rapid.Uint64Range(1, 1024),
			rapid.Uint64Range(1, maxQ),
			rapid.Uint64Range(1, ^uint64(0)),
		).Draw(t, "q")
		i := rapid.Uint64Range(0, q-1).Draw(t, "i")

		end := partitionEnd(i, q)
		require.Equal(t, bigToToken(bigBoundary(i+1, q)), end)
		require.Equal(t, bigToToken(bigBoundary(i, q)), partitionStart(i, q))

		require.Equal(t, i, partitionOf(end, q), "end belongs to its partition")
		require.Equal(t, (i+1)%q, partitionOf(addToken(end, 1), q), "end+1 belongs to the next")
		require.Equal(t, i, partitionOf(addToken(partitionStart(i, q), 1), q), "start+1 belongs to the partition")

		tok := Token{Hi: rapid.Uint64().Draw(t, "hi"), Lo: rapid.Uint64().Draw(t, "lo")}
		require.Equal(t, bigPartitionOf(tok, q), partitionOf(tok, q), "token %v", tok)
	})
}
