package experiments

import (
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

var skewQuick struct {
	once sync.Once
	r    *Result
	err  error
}

func skewQuickResult(t *testing.T) *Result {
	t.Helper()
	skewQuick.once.Do(func() { skewQuick.r, skewQuick.err = runSkew(Quick, 1, nil) })
	require.NoError(t, skewQuick.err)
	return skewQuick.r
}

// skewLost returns, for one mode, the lost fraction by skew in milliseconds
// as the CSV prints it.
func skewLost(t *testing.T, r *Result, mode string) map[string]float64 {
	t.Helper()
	out := make(map[string]float64)
	for _, row := range r.Rows {
		if row[0] == mode {
			acked, err := strconv.Atoi(row[2])
			require.NoError(t, err)
			require.Positive(t, acked, "row %v", row)
			out[row[1]] = pbsParse(row[4])
		}
	}
	require.Len(t, out, len(skewValues))
	return out
}

func TestSkewDVVLosesNothing(t *testing.T) {
	r := skewQuickResult(t)
	for skew, lost := range skewLost(t, r, "dvv") {
		require.Zero(t, lost, "dvv at skew %sms", skew)
	}
}

func TestSkewLWWLosesMoreWithSkew(t *testing.T) {
	r := skewQuickResult(t)
	lww := skewLost(t, r, "lww")
	require.Greater(t, lww["1000"], lww["0"], "lww at 1s skew against 0")
	require.Greater(t, lww["1000"], 0.3, "lww at 1s skew loses a large share")
	require.Greater(t, lww["0"], 0.0, "lww drops concurrent read-modify-writes even with synchronised clocks")
}

func TestSkewVCBetween(t *testing.T) {
	r := skewQuickResult(t)
	vc, dvv, lww := skewLost(t, r, "vc"), skewLost(t, r, "dvv"), skewLost(t, r, "lww")
	for skew := range vc {
		require.GreaterOrEqual(t, vc[skew], dvv[skew], "vc against dvv at %sms", skew)
	}
	require.Less(t, vc["1000"], lww["1000"], "vc against lww at 1s")
	for _, c := range r.Compare {
		if c.Claim[:5] != "Jepse" {
			require.True(t, c.Holds, "claim %q: ours %g", c.Claim, c.Ours)
		}
	}
}
