package sim

import (
	"sort"
	"time"

	"github.com/dynamo-replay/dynamo/checks"
)

// Latency summarises the latencies of acknowledged operations.
type Latency struct {
	Count int           `json:"count"`
	Mean  time.Duration `json:"mean"`
	P50   time.Duration `json:"p50"`
	P99   time.Duration `json:"p99"`
	P999  time.Duration `json:"p999"`
}

// Bucket is one bar of the versions-per-read histogram.
type Bucket struct {
	Versions int `json:"versions"`
	Reads    int `json:"reads"`
}

// Summary is what clients experienced.
type Summary struct {
	Ops             int      `json:"ops"`
	Gets            int      `json:"gets"`
	Writes          int      `json:"writes"`
	Ok              int      `json:"ok"`
	Unknown         int      `json:"unknown"`
	Rejected        int      `json:"rejected"`
	GetLatency      Latency  `json:"get_latency"`
	PutLatency      Latency  `json:"put_latency"`
	VersionsPerRead []Bucket `json:"versions_per_read"`
}

// Summarize computes a Summary over ops.
func Summarize(ops []checks.Op) Summary {
	var s Summary
	var gets, puts []int64
	perRead := map[int]int{}
	for _, op := range ops {
		s.Ops++
		if op.Kind == checks.Get {
			s.Gets++
		} else {
			s.Writes++
		}
		switch op.Outcome {
		case checks.Ok:
			s.Ok++
		case checks.Unknown:
			s.Unknown++
			continue
		case checks.Rejected:
			s.Rejected++
			continue
		}
		if op.Kind == checks.Get {
			gets = append(gets, op.Return-op.Call)
			perRead[len(op.Values)]++
		} else {
			puts = append(puts, op.Return-op.Call)
		}
	}
	s.GetLatency = latencyOf(gets)
	s.PutLatency = latencyOf(puts)
	for v, n := range perRead {
		s.VersionsPerRead = append(s.VersionsPerRead, Bucket{Versions: v, Reads: n})
	}
	sort.Slice(s.VersionsPerRead, func(i, j int) bool { return s.VersionsPerRead[i].Versions < s.VersionsPerRead[j].Versions })
	return s
}

func latencyOf(xs []int64) Latency {
	if len(xs) == 0 {
		return Latency{}
	}
	sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] })
	var sum int64
	for _, x := range xs {
		sum += x
	}
	return Latency{
		Count: len(xs),
		Mean:  time.Duration(sum / int64(len(xs))),
		P50:   time.Duration(Percentile(xs, 0.50)),
		P99:   time.Duration(Percentile(xs, 0.99)),
		P999:  time.Duration(Percentile(xs, 0.999)),
	}
}

// Percentile returns the q-quantile of sorted xs by the nearest-rank method.
func Percentile(sorted []int64, q float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(q*float64(len(sorted))+0.999999999) - 1
	if rank < 0 {
		rank = 0
	}
	if rank >= len(sorted) {
		rank = len(sorted) - 1
	}
	return sorted[rank]
}
