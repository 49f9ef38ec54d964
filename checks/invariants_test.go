package checks

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// healthy is a history every invariant accepts: siblings, a merge, a delete,
// an unknown write that took effect and one that did not, a rejected write.
func healthy() *History {
	return history([]Op{
		put(0, "k", "v1", 0, 10),
		put(1, "k", "v2", 5, 15),
		get(2, "k", 20, 30, "v1", "v2"),
		put(2, "k", "v3", 40, 50, "v1", "v2"),
		with(put(0, "k", "v4", 45, 55, "v3"), Unknown),
		get(1, "k", 60, 70, "v4"),
		del(1, "j", "t1", 0, 10),
		with(put(0, "j", "w1", 20, 30), Rejected),
		with(put(0, "j", "w2", 40, 50), Unknown),
		get(1, "j", 60, 70, "t1"),
	}, final("j", "t1"), final("k", "v4"))
}

func TestHealthyHistoryPassesEverything(t *testing.T) {
	h := healthy()
	require.NoError(t, h.Validate())
	for _, f := range []Findings{NoInventedValues(h), NoLostWrites(h), Converged(h), StaleReads(h)} {
		require.True(t, f.Passed(), "%s: %v", f.Check, f.Violations)
		require.Empty(t, f.Violations)
	}
}

func TestInventedValueNeverWritten(t *testing.T) {
	h := healthy()
	h.Ops = append(h.Ops, get(3, "k", 80, 90, "v4", "ghost"))
	f := NoInventedValues(h)
	require.Equal(t, 1, f.Count)
	require.Equal(t, "k", f.Violations[0].Key)
	require.Equal(t, NameNoInventedValues, f.Violations[0].Check)
	require.Contains(t, f.Violations[0].Message, "ghost, never written")
}

func TestInventedValueFromTheFuture(t *testing.T) {
	h := history([]Op{
		get(0, "k", 0, 10, "v1"),
		put(1, "k", "v1", 11, 20), // called after the get returned
	}, final("k", "v1"))
	f := NoInventedValues(h)
	require.Equal(t, 1, f.Count)
	require.Contains(t, f.Violations[0].Message, "written only later, at 11")

	// Called exactly when the get returned: closed intervals overlap, fine.
	h.Ops[1].Call = 10
	require.True(t, NoInventedValues(h).Passed())
}

func TestInventedValueFromAnotherKeyOrARejectedWrite(t *testing.T) {
	h := history([]Op{
		put(0, "a", "v1", 0, 10),
		with(put(0, "b", "v2", 0, 10), Rejected),
		get(1, "b", 20, 30, "v1", "v2"),
	}, final("a", "v1"), final("b", "v2"))
	f := NoInventedValues(h)
	// The get returns two bad values; three replicas of b hold v2.
	require.Equal(t, 5, f.Count)
	require.Contains(t, f.Violations[0].Message, "written to key a")
	require.Contains(t, f.Violations[1].Message, "rejected put")
	require.Contains(t, f.Violations[2].Message, "node 1 holds v2 at the end")
}

func TestInventedValueInFinalState(t *testing.T) {
	h := healthy()
	h.Final[1].Replicas[2].Values = []string{"v4", "zombie"}
	f := NoInventedValues(h)
	require.Equal(t, 1, f.Count)
	require.Contains(t, f.Violations[0].Message, "node 3 holds zombie")
}

func TestLostAcknowledgedWrite(t *testing.T) {
	h := history([]Op{
		put(0, "k", "v1", 0, 10),
		put(1, "k", "v2", 20, 30), // blind: does not cover v1
	}, final("k", "v2"))
	f := NoLostWrites(h)
	require.Equal(t, 1, f.Count)
	require.Equal(t, "k", f.Violations[0].Key)
	require.Contains(t, f.Violations[0].Message, "acknowledged put v1 (op #0")
	require.Contains(t, f.Violations[0].Message, "{v2}")
}

func TestCoveredTransitivelyIsNotLost(t *testing.T) {
	// v1 <- v2 (acked) <- v3 (unknown outcome, took effect) <- t4 (delete, acked).
	h := history([]Op{
		put(0, "k", "v1", 0, 10),
		put(0, "k", "v2", 20, 30, "v1"),
		with(put(0, "k", "v3", 40, 50, "v2"), Unknown),
		del(1, "k", "t4", 60, 70, "v3"),
	}, final("k", "t4"))
	require.True(t, NoLostWrites(h).Passed())

	// Only one replica has to hold the survivor: the live set is the union.
	h.Final[0].Replicas[0].Values = []string{}
	h.Final[0].Replicas[1].Values = []string{}
	require.True(t, NoLostWrites(h).Passed())

	// A rejected write covers nothing.
	h.Ops[2].Outcome = Rejected
	f := NoLostWrites(h)
	require.Equal(t, 2, f.Count, "v1 and v2 are no longer accounted for")
}

func TestUnknownWriteMissingFromFinalIsNotLost(t *testing.T) {
	h := history([]Op{
		put(0, "k", "v1", 0, 10),
		with(put(1, "k", "v2", 20, 30, "v1"), Unknown),
	}, final("k", "v1"))
	require.True(t, NoLostWrites(h).Passed())
}

func TestKeyAbsentFromFinalLosesEverything(t *testing.T) {
	h := history([]Op{
		put(0, "k", "v1", 0, 10),
		del(0, "k", "t2", 20, 30, "v1"),
		put(0, "gone", "x1", 0, 10),
		put(0, "gone", "x2", 20, 30, "x1"),
	}, final("k", "t2"))
	f := NoLostWrites(h)
	require.Equal(t, 2, f.Count)
	for _, v := range f.Violations {
		require.Equal(t, "gone", v.Key)
		require.Contains(t, v.Message, "absent from the final state")
	}
}

func TestDivergedReplicas(t *testing.T) {
	h := healthy()
	h.Final[1].Replicas[1].Values = []string{"v3"} // node 2 missed the last write
	f := Converged(h)
	require.Equal(t, 1, f.Count)
	require.Equal(t, "k", f.Violations[0].Key)
	require.Equal(t, "key k: 3 owners hold 2 different sibling sets: {v4} on n1, n3; {v3} on n2", f.Violations[0].Message)
}

func TestMissingOwner(t *testing.T) {
	h := healthy()
	ks := &h.Final[1]
	ks.Replicas = ks.Replicas[:2] // owner 3 holds nothing...
	ks.Replicas = append(ks.Replicas, replica(9, "v4"))
	f := Converged(h)
	require.Equal(t, 1, f.Count)
	require.Contains(t, f.Violations[0].Message, "{} on n3 (no replica)")

	// ...which is fine when nothing is left to hold.
	h = history(nil, KeyState{Key: "k", Owners: []int{1, 2}, Replicas: []ReplicaState{replica(1)}})
	require.True(t, Converged(h).Passed())
	// Non-owners (hint holders) do not count; sibling order does not matter.
	h = history(nil, KeyState{Key: "k", Owners: []int{1, 2}, Replicas: []ReplicaState{replica(1, "a", "b"), replica(2, "b", "a"), replica(5, "c")}})
	require.True(t, Converged(h).Passed())
}

func TestStaleReadCounted(t *testing.T) {
	h := history([]Op{
		put(0, "k", "v1", 0, 10),
		put(0, "k", "v2", 20, 30, "v1"),
		get(1, "k", 40, 50, "v1"),       // stale: misses acked v2, nothing replaced it
		get(1, "k", 60, 70, "v2"),       // fresh
		get(2, "k", 25, 35, "v1"),       // concurrent with the put: not stale
		put(2, "k", "v3", 80, 90, "v2"), // covers v2
		get(1, "k", 85, 95, "v3"),       // v2 may be gone: v3 called before it returned
		get(1, "k", 100, 110),           // misses v3 (acked) -> stale
	}, final("k", "v3"))
	reads := FindStaleReads(h)
	require.Equal(t, []StaleRead{{Get: 2, Key: "k", Missing: []string{"v2"}}, {Get: 7, Key: "k", Missing: []string{"v3"}}}, reads)
	f := StaleReads(h)
	require.Equal(t, 2, f.Count)
	require.Contains(t, f.Violations[0].Message, "get op #2")
	require.Contains(t, f.Violations[0].Message, "missing acknowledged v2")
}

func TestStaleReadRespectsTransitiveCovers(t *testing.T) {
	h := history([]Op{
		put(0, "k", "v1", 0, 10),
		with(put(0, "k", "v2", 20, 30, "v1"), Unknown),
		put(0, "k", "v3", 40, 50, "v2"),
		get(1, "k", 60, 70, "v3"), // v1 covered through v2
		get(2, "k", 45, 72, "v2"), // v1 covered by v2; v3 not yet acked
	}, final("k", "v3"))
	require.Empty(t, FindStaleReads(h))

	// The covering write is called exactly as the get returns (closed
	// intervals): only the get's own values vouch for v1.
	h = history([]Op{
		put(0, "k", "v1", 0, 10),
		get(1, "k", 20, 30, "v2"),
		put(2, "k", "v2", 30, 40, "v1"),
	}, final("k", "v2"))
	require.Empty(t, FindStaleReads(h))
	h.Ops[1].Values = nil
	require.Len(t, FindStaleReads(h), 1)
}

func TestFindingsAreBounded(t *testing.T) {
	var ops []Op
	for i := range 50 {
		ops = append(ops, get(0, "k", int64(i*10), int64(i*10+5), fmt.Sprintf("ghost%d", i)))
	}
	f := NoInventedValues(history(ops))
	require.Equal(t, 50, f.Count)
	require.Len(t, f.Violations, MaxMessages)
	require.Len(t, f.Messages(), MaxMessages)
	require.Contains(t, f.Violations[0].Message, "ghost0")
}

func TestCheckersSurviveCoverCycles(t *testing.T) {
	// Impossible from a sane system, but a checker must not loop on it.
	h := history([]Op{
		put(0, "k", "a", 0, 10, "b"),
		put(0, "k", "b", 20, 30, "a"),
		get(1, "k", 40, 50),
	})
	require.Equal(t, 2, NoLostWrites(h).Count)
	require.NotPanics(t, func() { FindStaleReads(h) })
}
