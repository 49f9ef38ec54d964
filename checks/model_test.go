package checks

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestModelStepIsPureAndSetLike(t *testing.T) {
	m := MVRModel()
	s0 := []string{"v1", "v3", "v5"}
	ok, s1 := m.Step(s0, OpInput{Kind: Put, Key: "k", Value: "v7", Covers: []string{"v3", "v5"}}, nil)
	require.True(t, ok)
	require.Equal(t, []string{"v1", "v7"}, s1)
	require.Equal(t, []string{"v1", "v3", "v5"}, s0, "Step must not mutate the state porcupine keeps")

	ok, _ = m.Step(s1, OpInput{Kind: Get, Key: "k"}, []string{"v1", "v7"})
	require.True(t, ok)
	ok, _ = m.Step(s1, OpInput{Kind: Get, Key: "k"}, []string{"v7"})
	require.False(t, ok, "a get must return the whole live set")

	// Covering a value that is not live is harmless; a delete is a put of a tombstone.
	ok, s2 := m.Step(s1, OpInput{Kind: Delete, Key: "k", Value: "t9", Covers: []string{"v0", "v1", "v7"}}, nil)
	require.True(t, ok)
	require.Equal(t, []string{"t9"}, s2)
}

func TestModelEqualAndHash(t *testing.T) {
	m := MVRModel()
	require.True(t, m.Equal([]string(nil), []string{}))
	require.False(t, m.Equal([]string{"a"}, []string{"b"}))
	// The state is a set: the hash must not depend on how it was built.
	_, viaAB := m.Step([]string{"a"}, OpInput{Kind: Put, Value: "b"}, nil)
	_, viaBA := m.Step([]string{"b"}, OpInput{Kind: Put, Value: "a"}, nil)
	require.Equal(t, m.Hash(viaAB), m.Hash(viaBA))
	require.NotEqual(t, m.Hash([]string{"a"}), m.Hash([]string{"b"}))
	require.Equal(t, uint64(0), m.Hash([]string(nil)))
}

func TestModelDescriptions(t *testing.T) {
	m := MVRModel()
	require.Equal(t, "put(k, v7 ⊇{v3,v5})", m.DescribeOperation(OpInput{Kind: Put, Key: "k", Value: "v7", Covers: []string{"v3", "v5"}}, nil))
	require.Equal(t, "put(k, v1)", m.DescribeOperation(OpInput{Kind: Put, Key: "k", Value: "v1"}, nil))
	require.Equal(t, "delete(k, t9 ⊇{v7})", m.DescribeOperation(OpInput{Kind: Delete, Key: "k", Value: "t9", Covers: []string{"v7"}}, nil))
	require.Equal(t, "get(k) → {v7}", m.DescribeOperation(OpInput{Kind: Get, Key: "k"}, []string{"v7"}))
	require.Equal(t, "get(k) → {}", m.DescribeOperation(OpInput{Kind: Get, Key: "k"}, []string{}))
	require.Equal(t, "{v1, v7}", m.DescribeState([]string{"v1", "v7"}))
	meta := m.DescribeOperationMetadata(OpMeta{Index: 4, Client: 2, Node: 1, Coordinator: 3, Outcome: Unknown})
	require.Contains(t, meta, "op #4")
	require.Contains(t, meta, "sent to node 1")
	require.Contains(t, meta, "coordinated by node 3")
	require.Contains(t, meta, "outcome unknown")
	require.Equal(t, "", m.DescribeOperationMetadata(nil))
}

func TestPartitionsInSortedKeyOrder(t *testing.T) {
	h := history([]Op{put(0, "zeta", "a", 0, 1), put(0, "alpha", "b", 2, 3), get(0, "mid", 4, 5), put(0, "alpha", "c", 6, 7)})
	parts := MVRModel().Partition(Operations(h))
	require.Len(t, parts, 3)
	var keys []string
	for _, p := range parts {
		keys = append(keys, p[0].Input.(OpInput).Key)
	}
	require.Equal(t, []string{"alpha", "mid", "zeta"}, keys)
	require.Len(t, parts[0], 2)
	require.Equal(t, "b", parts[0][0].Input.(OpInput).Value, "order within a key is kept")
}

func TestOperationsDropAndExtend(t *testing.T) {
	h := history([]Op{
		put(0, "k", "v1", 0, 10),
		with(put(1, "k", "v2", 5, 15), Rejected),
		with(get(2, "k", 6, 16), Unknown),
		with(put(3, "k", "v3", 7, 17), Unknown),
		get(4, "k", 20, 30, "v3", "v1"),
	})
	ops := Operations(h)
	require.Len(t, ops, 3, "rejected ops and failed gets are dropped")
	require.Equal(t, int64(10), ops[0].Return)
	require.Nil(t, ops[0].Output, "a write has no output")
	require.Equal(t, Never, ops[1].Return, "an unknown write may take effect at any later time")
	require.Equal(t, 3, ops[1].Metadata.(OpMeta).Index)
	require.Equal(t, []string{"v1", "v3"}, ops[2].Output, "get values are sorted")
}

func TestOperationsRemapClientsAfterUnknown(t *testing.T) {
	h := history([]Op{
		with(put(0, "k", "a", 0, 10), Unknown),
		get(1, "k", 5, 15),
		get(0, "k", 20, 30),
		with(get(0, "k", 32, 34), Unknown), // dropped: takes no lane
		with(put(0, "k", "b", 40, 50), Unknown),
		get(0, "k", 60, 70),
		get(1, "k", 80, 90),
	})
	var ids []int
	var clients []int
	for _, op := range Operations(h) {
		ids = append(ids, op.ClientId)
		clients = append(clients, op.Metadata.(OpMeta).Client)
	}
	require.Equal(t, []int{0, 1, 0, 0, 0, 1}, clients)
	// Client 0 moves to a fresh lane after each unknown write; client 1 keeps its own.
	require.Equal(t, []int{0, 1, 2, 2, 3, 1}, ids)
	require.Equal(t, ids, func() []int { // deterministic
		var again []int
		for _, op := range Operations(h) {
			again = append(again, op.ClientId)
		}
		return again
	}())
}
