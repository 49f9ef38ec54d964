package checks

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"
)

// newOldInversion: a get sees v2, and a later get, called after the first
// returned, sees only v1 although v2 covered v1.
func newOldInversion() *History {
	return history([]Op{
		put(0, "k", "v1", 0, 10),
		put(0, "k", "v2", 20, 30, "v1"),
		get(1, "k", 40, 50, "v2"),
		get(2, "k", 60, 70, "v1"),
	}, final("k", "v2"))
}

func TestLinearizableSimpleHistory(t *testing.T) {
	h := history([]Op{
		put(0, "k", "v1", 0, 10),
		put(1, "k", "v2", 5, 15), // concurrent blind write: siblings
		get(2, "k", 20, 30, "v1", "v2"),
		put(2, "k", "v3", 40, 50, "v1", "v2"),
		get(0, "k", 60, 70, "v3"),
		del(1, "k", "t4", 80, 90, "v3"),
		get(2, "k", 100, 110, "t4"),
		get(0, "other", 0, 5),
	}, final("k", "t4"))
	res := CheckLinearizable(h, time.Minute)
	require.Equal(t, porcupine.Ok, res.Outcome)
	require.True(t, res.Ok())
	require.Equal(t, 8, res.Ops)
	require.Equal(t, 2, res.Keys)
	require.Empty(t, res.IllegalKeys)
	require.Zero(t, res.NonLinearizable)
}

func TestNewOldInversionIsIllegal(t *testing.T) {
	res := CheckLinearizable(newOldInversion(), time.Minute)
	require.Equal(t, porcupine.Illegal, res.Outcome)
	require.False(t, res.Ok())
	require.Equal(t, []string{"k"}, res.IllegalKeys)
	require.Equal(t, 1, res.NonLinearizable)
	require.Len(t, res.Messages, 1)
	require.Contains(t, res.Messages[0], "get(k) → {v1}")
	require.Contains(t, res.Messages[0], "op #3")
}

func TestSameTimelineWithConcurrentOpsIsOk(t *testing.T) {
	// The second get starts before the first returns, and the covering put is
	// still in flight: get{v1}, put v2, get{v2} is a valid order.
	h := history([]Op{
		put(0, "k", "v1", 0, 10),
		put(0, "k", "v2", 20, 60, "v1"),
		get(1, "k", 40, 50, "v2"),
		get(2, "k", 45, 70, "v1"),
	}, final("k", "v2"))
	require.Equal(t, porcupine.Ok, CheckLinearizable(h, time.Minute).Outcome)
}

func TestOnlyTheBrokenKeyIsIllegal(t *testing.T) {
	h := newOldInversion()
	h.Ops = append(h.Ops, put(3, "a", "x1", 0, 5), get(3, "a", 10, 20, "x1"), put(3, "z", "y1", 0, 5))
	res := CheckLinearizable(h, time.Minute)
	require.Equal(t, porcupine.Illegal, res.Outcome)
	require.Equal(t, []string{"k"}, res.IllegalKeys)
	require.Equal(t, 3, res.Keys)
}

func TestUnknownPutShowingUpMuchLaterIsOk(t *testing.T) {
	ops := []Op{
		put(0, "k", "v1", 0, 5),
		with(put(0, "k", "v2", 10, 20, "v1"), Unknown),
		get(1, "k", 30, 40, "v1"),
		get(1, "k", 1000, 1010, "v2"),
	}
	res := CheckLinearizable(history(ops, final("k", "v2")), time.Minute)
	require.Equal(t, porcupine.Ok, res.Outcome)

	// Had the client been told the put succeeded at 20, the get at 30 is stale.
	ops[1].Outcome = Ok
	require.Equal(t, porcupine.Illegal, CheckLinearizable(history(ops, final("k", "v2")), time.Minute).Outcome)
}

func TestUnknownPutThatNeverTakesEffectIsOk(t *testing.T) {
	h := history([]Op{
		put(0, "k", "v1", 0, 5),
		with(put(0, "k", "v2", 10, 20, "v1"), Unknown),
		get(1, "k", 30, 40, "v1"),
		get(1, "k", 50, 60, "v1"),
	}, final("k", "v1"))
	res := CheckLinearizable(h, time.Minute)
	require.Equal(t, porcupine.Ok, res.Outcome)
}

// pathological builds a key where porcupine must try every subset of many
// concurrent unknown writes before concluding: far beyond any short timeout.
func pathological(n int) *History {
	var ops []Op
	for i := range n {
		ops = append(ops, with(put(i, "k", fmt.Sprintf("v%d", i), int64(i), int64(i)+1), Unknown))
	}
	ops = append(ops, get(n, "k", 1000, 1010, "nobody-wrote-this"))
	return history(ops)
}

func TestTimeoutIsItsOwnOutcome(t *testing.T) {
	res := CheckLinearizable(pathological(40), 50*time.Millisecond)
	require.Equal(t, porcupine.Unknown, res.Outcome)
	require.False(t, res.Ok(), "a timeout is not a pass")
}

func TestVisualizationShowsAnnotations(t *testing.T) {
	h := newOldInversion()
	h.Annotations = []Annotation{
		{Tag: "nemesis", Start: 15, End: 55, Description: "partition {n1,n2} | {n3}"},
		{Start: 58, End: 58, Description: "crash n2"}, // untagged: still on a tagged row
	}
	res := CheckLinearizable(h, time.Minute)
	var buf bytes.Buffer
	require.NoError(t, WriteVisualization(h, res, &buf))
	html := buf.String()
	require.Contains(t, html, "<html")
	require.Contains(t, html, "partition {n1,n2} | {n3}")
	require.Contains(t, html, "crash n2")
	require.Contains(t, html, `"Tag":"nemesis"`)
	require.Contains(t, html, "get(k) → {v1}")

	path := filepath.Join(t.TempDir(), "history.html")
	require.NoError(t, WriteVisualizationFile(h, res, path))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, html, string(data))

	require.ErrorContains(t, WriteVisualization(h, LinearizabilityResult{}, &buf), "not checked")

	// Unknown writes (Return = Never) render too.
	buf.Reset()
	require.NoError(t, WriteVisualization(healthy(), CheckLinearizable(healthy(), time.Minute), &buf))
	require.Contains(t, buf.String(), "put(k, v4 ⊇{v3})")
	require.Contains(t, buf.String(), "outcome unknown")
}
