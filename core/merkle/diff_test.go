package merkle

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDiffChildren(t *testing.T) {
	x, y := digestOf(1), digestOf(2)
	require.Nil(t, DiffChildren([]Hash{x, y}, []Hash{x, y}))
	require.Equal(t, []int{1}, DiffChildren([]Hash{x, y, {}}, []Hash{x, x, {}}))
	require.Equal(t, []int{0, 2}, DiffChildren([]Hash{{}, y, x}, []Hash{x, y, {}}))
	// A short peer list reads as zeros past its end.
	require.Equal(t, []int{2}, DiffChildren([]Hash{x, y, x, {}}, []Hash{x, y}))
	require.Equal(t, []int{0}, DiffChildren(nil, []Hash{x, {}}))
	require.Nil(t, DiffChildren(nil, nil))
}

func TestDiffBucket(t *testing.T) {
	d1, d2 := digestOf(1), digestOf(2)
	mine := []KeyDigest{{"a", d1}, {"b", d1}, {"c", d1}, {"e", d2}}
	theirs := []KeyDigest{{"b", d1}, {"c", d2}, {"d", d1}, {"f", d1}}
	m, th, df := DiffBucket(mine, theirs)
	require.Equal(t, []string{"a", "e"}, m)
	require.Equal(t, []string{"d", "f"}, th)
	require.Equal(t, []string{"c"}, df)

	m, th, df = DiffBucket(nil, theirs)
	require.Nil(t, m)
	require.Equal(t, []string{"b", "c", "d", "f"}, th)
	require.Nil(t, df)

	m, th, df = DiffBucket(mine, mine)
	require.Nil(t, m)
	require.Nil(t, th)
	require.Nil(t, df)
}

// A malformed peer listing (unsorted, duplicated keys) is normalised
// rather than producing nonsense, and the caller's slice is left alone.
func TestDiffBucketNormalisesPeerInput(t *testing.T) {
	d1, d2 := digestOf(1), digestOf(2)
	mine := []KeyDigest{{"a", d1}, {"b", d1}}
	theirs := []KeyDigest{{"c", d1}, {"b", d2}, {"a", d1}, {"b", d1}, {"c", d2}}
	orig := append([]KeyDigest(nil), theirs...)
	m, th, df := DiffBucket(mine, theirs)
	require.Nil(t, m)
	require.Equal(t, []string{"c"}, th)
	require.Equal(t, []string{"b"}, df, "the first of duplicated entries wins")
	require.Equal(t, orig, theirs)
}
