package experiments

import (
	"runtime"
	"sync"
)

// runParallel runs jobs 0..n-1 on up to GOMAXPROCS goroutines, each job one
// single-threaded simulator run, and reports progress from the calling
// goroutine only. Results are indexed by job, so they do not depend on
// scheduling; the error is the lowest-numbered job's.
func runParallel[T any](n int, job func(i int) (T, error), progress func(done, total int)) ([]T, error) {
	out := make([]T, n)
	errs := make([]error, n)
	next := make(chan int)
	done := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(n, runtime.GOMAXPROCS(0))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], errs[i] = job(i)
				done <- i
			}
		}()
	}
	go func() {
		for i := range n {
			next <- i
		}
		close(next)
	}()
	if progress != nil {
		progress(0, n)
	}
	for k := range n {
		<-done
		if progress != nil {
			progress(k+1, n)
		}
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// runEach is runParallel for jobs that write their results into slots of
// their own.
func runEach(n int, progress func(done, total int), job func(i int) error) error {
	_, err := runParallel(n, func(i int) (struct{}, error) { return struct{}{}, job(i) }, progress)
	return err
}
