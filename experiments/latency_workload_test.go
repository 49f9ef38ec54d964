package experiments

import (
	"reflect"
	"testing"
	"time"
)

// TestLatencyRunsReplay checks that a latency run is a function of its seed:
// two runs of one seed give the same hourly latencies, another seed differs.
func TestLatencyRunsReplay(t *testing.T) {
	s := fig4Setup()
	s.Nodes, s.Peak, s.Hour, s.Keys = 6, 300, 200*time.Millisecond, 1000
	run := func(seed uint64) *latHourly {
		h, err := latRunHourly(s.config(seed, 6), s.Hour, 6)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	a, b, c := run(3), run(3), run(4)
	if !reflect.DeepEqual(a.Hours, b.Hours) {
		t.Error("two runs of seed 3 differ")
	}
	if reflect.DeepEqual(a.Hours, c.Hours) {
		t.Error("seeds 3 and 4 gave the same run")
	}
}

func TestLatencyParallelKeepsOrder(t *testing.T) {
	var seen []int
	out, err := runParallel(7, func(i int) (int, error) { return i * i, nil }, func(done, total int) {
		if total != 7 {
			t.Errorf("total %d", total)
		}
		seen = append(seen, done)
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range out {
		if x != i*i {
			t.Fatalf("out[%d] = %d", i, x)
		}
	}
	if len(seen) != 8 || seen[7] != 7 {
		t.Errorf("progress %v", seen)
	}
}

func TestLatencyPearson(t *testing.T) {
	if r := latPearson([]float64{1, 2, 3, 4}, []float64{2, 4, 6, 8}); r < 0.999 {
		t.Errorf("perfect correlation gave %g", r)
	}
	if r := latPearson([]float64{1, 2, 3, 4}, []float64{8, 6, 4, 2}); r > -0.999 {
		t.Errorf("perfect anticorrelation gave %g", r)
	}
}
