package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/dynamo-replay/dynamo/net/client"
)

type phaseKind int

const (
	phasePut phaseKind = iota
	phaseGet
)

// phaseResult is what one phase measured.
type phaseResult struct {
	ops, failed int
	elapsed     time.Duration
	latencies   []time.Duration // of successful operations, sorted
	written     []string        // keys written (put phase)
	firstErr    error
}

func (r phaseResult) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, int(p*float64(len(r.latencies))))]
}

func (r phaseResult) line(what string) string {
	s := fmt.Sprintf("%s: %8.0f/s  p50 %-8v p99 %-8v p99.9 %-8v (%d ok, %d failed)",
		what, float64(r.ops)/r.elapsed.Seconds(), r.percentile(0.50).Round(10*time.Microsecond),
		r.percentile(0.99).Round(10*time.Microsecond), r.percentile(0.999).Round(10*time.Microsecond), r.ops, r.failed)
	if r.firstErr != nil {
		s += fmt.Sprintf("; first error: %v", r.firstErr)
	}
	return s
}

// runPhase runs f.clients closed-loop clients for f.duration: blind puts of
// unique keys (no siblings pile up), or gets of keys the put phase wrote.
func runPhase(ctx context.Context, addrs []string, f benchFlags, kind phaseKind, keys []string) (phaseResult, error) {
	mode := client.ServerDriven
	if f.clientDriven {
		mode = client.ClientDriven
	}
	cl, err := client.New(client.Options{Addrs: addrs, Mode: mode})
	if err != nil {
		return phaseResult{}, err
	}
	defer cl.Close()
	value := make([]byte, f.valueSize)
	for i := range value {
		value[i] = 'a' + byte(i%26)
	}
	type perClient struct {
		lat     []time.Duration
		keys    []string
		failed  int
		lastErr error
	}
	results := make([]perClient, f.clients)
	deadline := time.Now().Add(f.duration)
	start := time.Now()
	var wg sync.WaitGroup
	for c := range f.clients {
		wg.Go(func() {
			me := &results[c]
			rng := rand.New(rand.NewPCG(uint64(c), 7))
			for seq := 0; time.Now().Before(deadline); seq++ {
				var key string
				if kind == phasePut {
					key = fmt.Sprintf("bench-%d-%d", c, seq)
				} else {
					key = keys[rng.IntN(len(keys))]
				}
				t0 := time.Now()
				var err error
				if kind == phasePut {
					err = cl.Put(ctx, key, value, nil)
				} else {
					var res client.GetResult
					res, err = cl.Get(ctx, key)
					if err == nil && !res.Found {
						err = fmt.Errorf("key %s written in the put phase was not found", key)
					}
				}
				if err != nil {
					me.failed++
					me.lastErr = err
					continue
				}
				me.lat = append(me.lat, time.Since(t0))
				if kind == phasePut {
					me.keys = append(me.keys, key)
				}
			}
		})
	}
	wg.Wait()
	out := phaseResult{elapsed: time.Since(start)}
	for _, r := range results {
		out.latencies = append(out.latencies, r.lat...)
		out.written = append(out.written, r.keys...)
		out.failed += r.failed
		if out.firstErr == nil {
			out.firstErr = r.lastErr
		}
	}
	out.ops = len(out.latencies)
	slices.Sort(out.latencies)
	if out.ops == 0 {
		return out, fmt.Errorf("no operation succeeded: %v", out.firstErr)
	}
	return out, nil
}
