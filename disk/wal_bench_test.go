package disk

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dynamo-replay/dynamo/core"
)

// benchDir is where benchmarks put their logs: $DYNAMO_BENCH_DIR if set (to
// measure a particular disk), else a temporary directory.
func benchDir(b *testing.B) string {
	if d := os.Getenv("DYNAMO_BENCH_DIR"); d != "" {
		dir, err := os.MkdirTemp(d, "walbench")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(dir) })
		return dir
	}
	return b.TempDir()
}

// BenchmarkWALAppend: 50 concurrent appenders, each appending one record of a
// 100-byte value and waiting for it to be durable before the next, as 50
// clients doing durable puts would. Reports appends per second, fsyncs per
// second, records per fsync and the latency of an append.
//
//	go test ./disk -run '^$' -bench WALAppend -benchtime 5s
func BenchmarkWALAppend(b *testing.B) {
	for _, delay := range []time.Duration{-1, 500 * time.Microsecond, 2 * time.Millisecond} {
		name := "delay=" + delay.String()
		if delay < 0 {
			name = "delay=none"
		}
		b.Run(name, func(b *testing.B) { benchAppend(b, 50, WALOptions{MaxBatchDelay: delay}) })
	}
	// The WAL's own cost: the same load with fsync made free.
	b.Run("nosync", func(b *testing.B) {
		benchAppend(b, 50, WALOptions{WrapFile: func(_ string, f SegmentFile) SegmentFile { return noSync{f} }})
	})
}

type noSync struct{ SegmentFile }

func (noSync) Sync() error { return nil }

func benchAppend(b *testing.B, appenders int, opts WALOptions) {
	w, _, err := OpenWAL(benchDir(b), opts)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	recs := make([][]core.Record, appenders)
	for a := range recs {
		recs[a] = []core.Record{versionRec(fmt.Sprintf("user:%08d", a), a)}
	}
	var next atomic.Int64
	lat := make([][]time.Duration, appenders)
	var wg sync.WaitGroup
	before := w.Stats()
	b.ResetTimer()
	start := time.Now()
	for a := range appenders {
		wg.Go(func() {
			ch := make(chan error, 1)
			done := func(err error) { ch <- err }
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				w.Append(recs[a], done)
				if err := <-ch; err != nil {
					b.Error(err)
					return
				}
				lat[a] = append(lat[a], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	b.StopTimer()
	st := w.Stats()
	fsyncs := float64(st.Fsyncs - before.Fsyncs)
	all := slices.Concat(lat...)
	slices.Sort(all)
	b.ReportMetric(float64(b.N)/elapsed, "appends/s")
	b.ReportMetric(fsyncs/elapsed, "fsyncs/s")
	b.ReportMetric(float64(st.Records-before.Records)/fsyncs, "records/fsync")
	b.ReportMetric(ms(all[len(all)/2]), "p50-ms")
	b.ReportMetric(ms(all[len(all)*99/100]), "p99-ms")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkWALRecover1M: a node holding one million keys of 100-byte values
// (a snapshot of them, then a segment of 100,000 appends) opens its log.
//
//	go test ./disk -run '^$' -bench WALRecover1M -benchtime 1x
func BenchmarkWALRecover1M(b *testing.B) {
	const keys, tail = 1_000_000, 100_000
	dir := benchDir(b)
	w, _, err := OpenWAL(dir, WALOptions{})
	if err != nil {
		b.Fatal(err)
	}
	snap := make([]core.Record, keys)
	for i := range snap {
		snap[i] = versionRec(fmt.Sprintf("user:%08d", i), i)
	}
	ch := make(chan error, 1)
	w.Compact(snap, func(err error) { ch <- err })
	if err := <-ch; err != nil {
		b.Fatal(err)
	}
	snap = nil
	batch := make([]core.Record, 0, 1000)
	for i := range tail {
		batch = append(batch, versionRec(fmt.Sprintf("user:%08d", i*7), keys+i))
		if len(batch) == cap(batch) {
			w.Append(batch, func(err error) { ch <- err })
			if err := <-ch; err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	st := w.Stats()
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		w, rec, err := OpenWAL(dir, WALOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if len(rec.Records) != keys+tail {
			b.Fatalf("recovered %d records", len(rec.Records))
		}
		w.Close()
	}
	b.ReportMetric(float64(st.SnapshotBytes+st.LogBytes)/(1<<20), "log-MiB")
}
