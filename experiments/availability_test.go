package experiments

import (
	"strconv"
	"sync"
	"testing"

	"github.com/dynamo-replay/dynamo/checks"
	"github.com/stretchr/testify/require"
)

var availQuick struct {
	once sync.Once
	r    *Result
	err  error
}

func availQuickResult(t *testing.T) *Result {
	t.Helper()
	availQuick.once.Do(func() { availQuick.r, availQuick.err = runAvailability(Quick, 1, nil) })
	require.NoError(t, availQuick.err)
	return availQuick.r
}

// availCol sums an integer column of one profile's rows with partitions.
func availCol(t *testing.T, r *Result, profile, column string) int {
	t.Helper()
	c := -1
	for i, name := range r.Columns {
		if name == column {
			c = i
		}
	}
	require.GreaterOrEqual(t, c, 0, column)
	sum := 0
	for _, row := range r.Rows {
		if row[0] != profile || row[1] == "0" {
			continue
		}
		x, err := strconv.Atoi(row[c])
		require.NoError(t, err, "%s %v", column, row)
		sum += x
	}
	return sum
}

func TestAvailabilitySloppyServesMoreWrites(t *testing.T) {
	r := availQuickResult(t)
	okWrites := func(profile string) float64 {
		var ok float64
		for _, row := range r.Rows {
			if row[0] == profile && row[1] != "0" {
				n, err := strconv.Atoi(row[7])
				require.NoError(t, err)
				ok += pbsParse(row[8]) * float64(n)
			}
		}
		return ok
	}
	require.Equal(t, "writes", r.Columns[7])
	require.GreaterOrEqual(t, okWrites("default"), okWrites("strict"))
	require.Positive(t, availCol(t, r, "strict", "partitions"), "partitions happened")
}

func TestAvailabilityStrictNeverStale(t *testing.T) {
	r := availQuickResult(t)
	require.Zero(t, availCol(t, r, "strict", "stale_reads"))
	require.Zero(t, availCol(t, r, "strict", "linearizable_fail"))
	require.Zero(t, availCol(t, r, "strict", "linearizable_unknown"))
	require.Positive(t, availCol(t, r, "default", "stale_reads"), "sloppy quorum serves stale reads under partitions")
	require.Positive(t, availCol(t, r, "default", "linearizable_fail"))
	require.Zero(t, availCol(t, r, "default", "lost_writes")+availCol(t, r, "strict", "lost_writes"))
}

// availPartitioned merges overlapping partition annotations and clips them to
// the load phase.
func TestAvailabilityPartitionedTime(t *testing.T) {
	h := &checks.History{Annotations: []checks.Annotation{
		{Tag: "partition", Start: 10, End: 30},
		{Tag: "isolate", Start: 20, End: 40},
		{Tag: "crash", Start: 50, End: 60},
		{Tag: "one_way", Start: 80, End: 200},
		{Tag: "quiet", Start: 100, End: 300},
	}}
	load, cut := availPartitioned(h, 5)
	require.EqualValues(t, 95, load)
	require.EqualValues(t, 30+20, cut)
}
