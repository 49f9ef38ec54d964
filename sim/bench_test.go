package sim

import (
	"testing"
)

// benchConfig is the benchmark scenario: 5 nodes, (3,2,2), closed-loop
// clients with no think time, checks left out (they are measured on their own).
func benchConfig(faults bool) Config {
	cfg := DefaultConfig(1)
	cfg.Workload.Ops = 20000
	cfg.Workload.Clients = 20
	cfg.Workload.Think = Dist{Kind: "const"}
	cfg.Quiet = 0
	if !faults {
		cfg.Net.Loss, cfg.Net.Duplicate, cfg.Net.Reorder = 0, 0, 0
	} else {
		cfg.Faults.Crashes = 2
		cfg.Faults.Partitions = 2
	}
	return cfg
}

func benchmarkSim(b *testing.B, faults bool) {
	b.ReportAllocs()
	var ops, events uint64
	for i := 0; i < b.N; i++ {
		cfg := benchConfig(faults)
		cfg.Seed = uint64(i + 1)
		s, err := New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		res, err := s.Run()
		if err != nil {
			b.Fatal(err)
		}
		ops += uint64(res.LoadOps)
		events += res.Stats.Events
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(ops)/sec, "ops/s")
	b.ReportMetric(float64(events)/sec, "events/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(ops), "ns/op-sim")
}

// BenchmarkSimNoFaults measures simulated client operations per wall-clock
// second on one core with a perfect network.
func BenchmarkSimNoFaults(b *testing.B) { benchmarkSim(b, false) }

// BenchmarkSimFaults is the same with message loss, duplication, reordering,
// two crashes and two partitions.
func BenchmarkSimFaults(b *testing.B) { benchmarkSim(b, true) }
