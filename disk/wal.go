package disk

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dynamo-replay/dynamo/core"
)

// A WAL is a node's log on a real disk: a directory of segment files
// (000001.log, 000002.log, ...) holding records in the format of AppendRecord,
// and at most one live snapshot (000007.snap: the node's whole state as of the
// end of segment 7, which makes segments 1 to 7 garbage).
//
// Appends go through group commit: a single writer goroutine takes everything
// queued (up to MaxBatchBytes, after waiting at most MaxBatchDelay for more),
// writes it with one write and one fsync, and only then calls the done of each
// append in the batch, in the order of the Append calls. This is what the real
// driver needs for core.Persist: run Then only after done(nil), which comes
// after the records are durable and after every earlier Persist's records.
//
// Any write or fsync error is fatal: every pending and later append fails and
// the node must restart and recover from what the disk really holds (see
// WAL.fail for why no retry is safe).
//
// A driver carries out a *core.Persist p with
//
//	wal.Append(p.Records, func(err error) { loop <- persistDone{p, err} })
//
// and, back on the node's event loop, runs p.Then and delivers
// Persisted{p.Token} (if p.Notify) when err is nil, or drops p.Then and
// delivers PersistFailed (if p.Notify) when it is not. Because dones come in
// Append order, the Then effects run in Persist order.
//
// Append, Compact, Stats and Close may be called from any goroutine.
type WAL struct {
	dir  string
	opts WALOptions
	dirf *os.File // kept open to fsync the directory after creating and renaming files
	lock io.Closer

	mu         sync.Mutex
	queue      []byte    // encoded records waiting for the writer
	reqs       []request // their Append and Compact calls, in order
	firstAt    time.Time // when the oldest waiting request arrived
	spare      []byte    // the writer's last batch buffer, reused as the next queue
	spareReqs  []request
	err        error // sticky: set once a write or fsync failed
	closing    bool
	compacting bool
	prevBatch  int           // requests in the writer's last batch
	kick       chan struct{} // wakes the writer; capacity 1

	// Owned by the writer goroutine.
	seg     SegmentFile
	segSeq  uint64
	segSize int64

	wg        sync.WaitGroup // the writer and a running compaction
	closeOnce sync.Once
	closeErr  error

	stats walCounters
}

// WALOptions configures a WAL. Every zero field takes its default.
type WALOptions struct {
	// SegmentBytes: once the current segment holds this many bytes, the next
	// batch goes to a new segment. Default 64 MiB. A batch is never split,
	// so a segment may exceed the bound by one batch. Recovery reads one
	// segment at a time whole, and compaction frees whole segments, so the
	// bound caps both the memory recovery needs per file and the garbage
	// left behind a snapshot.
	SegmentBytes int64
	// MaxBatchBytes bounds one group-commit write. Default 4 MiB. An append
	// larger than the bound is written alone. Bounding the batch bounds the
	// time one fsync takes, which every append of the batch waits for.
	MaxBatchBytes int
	// MaxBatchDelay is the longest the writer waits, counted from the oldest
	// queued append, for more appends to join a batch. Default 2ms; negative
	// means never wait. The writer stops waiting as soon as the batch holds
	// as many appends as the previous one did (the concurrency the log has
	// been seeing), or MaxBatchBytes, so a lone appender pays no delay. Fewer
	// fsyncs is what lets a disk that does a few thousand fsyncs per second
	// carry tens of thousands of appends per second.
	MaxBatchDelay time.Duration
	// MaxQueueBytes bounds the encoded records waiting for the writer.
	// Default 64 MiB. An append that finds the queue full fails at once with
	// ErrBacklog (through done, in order) instead of growing memory without
	// bound while the disk is slow; the core handles it as a failed write.
	MaxQueueBytes int
	// WrapFile, if set, wraps every segment file the WAL opens for appending;
	// name is the file's base name. Tests use it to observe writes and
	// fsyncs and to inject failures.
	WrapFile func(name string, f SegmentFile) SegmentFile

	// hook, in tests, is called at named points of compaction; an error
	// stops the compaction right there, leaving the files as a crash would.
	hook func(point string) error
}

// SegmentFile is what the WAL needs of a segment file open for appending.
type SegmentFile interface {
	io.Writer
	// Sync makes every byte written so far durable.
	Sync() error
	Close() error
}

// Default option values.
const (
	DefaultSegmentBytes  = 64 << 20
	DefaultMaxBatchBytes = 4 << 20
	DefaultMaxBatchDelay = 2 * time.Millisecond
	DefaultMaxQueueBytes = 64 << 20
)

func (o WALOptions) withDefaults() WALOptions {
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = DefaultSegmentBytes
	}
	if o.MaxBatchBytes <= 0 {
		o.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if o.MaxBatchDelay == 0 {
		o.MaxBatchDelay = DefaultMaxBatchDelay
	}
	if o.MaxQueueBytes <= 0 {
		o.MaxQueueBytes = DefaultMaxQueueBytes
	}
	return o
}

var (
	// ErrClosed is the error of an Append or Compact after Close.
	ErrClosed = errors.New("disk: log closed")
	// ErrBacklog is the error of an Append that found MaxQueueBytes of
	// records already waiting for the disk. The log is still usable.
	ErrBacklog = errors.New("disk: log write queue full")
	// ErrCompacting is the error of a Compact while another runs.
	ErrCompacting = errors.New("disk: a compaction is already running")
	// ErrLogFailed wraps the error of a failed write or fsync, which every
	// later Append and Compact also gets: the node must restart.
	ErrLogFailed = errors.New("disk: log write failed; the node must restart")
)

// request is one Append or Compact waiting for the writer.
type request struct {
	done    func(error)
	end     int // offset in the queue just past this request's records
	records int
	err     error       // fail without writing (backlog, log failed, compaction refused)
	seal    *compaction // a Compact: the batch ends with it
}

// Append queues records to be written in order after everything appended
// before, and calls done once: with nil after they are durable (written and
// fsynced), or with the error that stopped them. done runs on the writer
// goroutine, in the order of the Append calls, and never within Append; it
// must not block for long (hand the result to the node's event loop) or call
// Close. records are encoded before Append returns, so the caller may reuse
// them at once. done may be nil.
func (w *WAL) Append(records []core.Record, done func(error)) {
	w.mu.Lock()
	if w.closing {
		w.mu.Unlock()
		if done != nil {
			go done(ErrClosed)
		}
		return
	}
	r := request{done: done, records: len(records)}
	switch {
	case w.err != nil:
		r.err = w.err
	case len(w.queue) >= w.opts.MaxQueueBytes:
		r.err = ErrBacklog
		w.stats.backlogged.Add(1)
	default:
		for _, rec := range records {
			w.queue = AppendRecord(w.queue, rec)
		}
		w.stats.appends.Add(1)
	}
	wake := w.enqueueLocked(r)
	w.mu.Unlock()
	if wake {
		w.wake()
	}
}

// enqueueLocked queues r and says whether the writer needs waking: when r
// is the first request it will see, or when r ends the wait for a fuller
// batch. Otherwise the writer is busy writing and will look at the queue
// when done, or is waiting on a timer that will end its wait anyway.
func (w *WAL) enqueueLocked(r request) bool {
	if len(w.reqs) == 0 {
		w.firstAt = time.Now()
	}
	r.end = len(w.queue)
	w.reqs = append(w.reqs, r)
	return len(w.reqs) == 1 || len(w.reqs) >= w.prevBatch ||
		len(w.queue) >= w.opts.MaxBatchBytes || r.seal != nil || r.err != nil
}

func (w *WAL) wake() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// run is the writer goroutine.
func (w *WAL) run() {
	defer w.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		w.mu.Lock()
		if len(w.reqs) == 0 {
			closing := w.closing
			w.mu.Unlock()
			if closing {
				return
			}
			<-w.kick
			continue
		}
		if wait := w.batchWaitLocked(); wait > 0 {
			w.mu.Unlock()
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-w.kick:
				timer.Stop()
			}
			continue
		}
		batch, reqs := w.takeLocked()
		w.prevBatch = len(reqs)
		w.mu.Unlock()
		w.commit(batch, reqs)
		w.mu.Lock()
		if cap(batch) <= 2*w.opts.MaxBatchBytes {
			w.spare = batch[:0]
		}
		clear(reqs) // drop the callbacks and snapshots
		w.spareReqs = reqs[:0]
		w.mu.Unlock()
	}
}

// batchWaitLocked says how much longer the writer should let the next batch
// fill: zero once it is full, old enough, as large as the previous batch, or
// must go now (closing, failing, or ending in a Compact).
func (w *WAL) batchWaitLocked() time.Duration {
	if w.opts.MaxBatchDelay < 0 || w.closing || w.err != nil ||
		len(w.queue) >= w.opts.MaxBatchBytes || len(w.reqs) >= w.prevBatch {
		return 0
	}
	for i := range w.reqs {
		if w.reqs[i].seal != nil {
			return 0
		}
	}
	return time.Until(w.firstAt.Add(w.opts.MaxBatchDelay))
}

// takeLocked removes the next batch from the queue: at least one request,
// then more while the batch stays within MaxBatchBytes, ending early after
// a Compact.
func (w *WAL) takeLocked() ([]byte, []request) {
	n, end := 0, 0
	for n < len(w.reqs) {
		r := &w.reqs[n]
		if n > 0 && r.end > w.opts.MaxBatchBytes {
			break
		}
		n, end = n+1, r.end
		if r.seal != nil {
			break
		}
	}
	batch, reqs := w.queue[:end], w.reqs[:n]
	w.queue = append(w.spare[:0], w.queue[end:]...)
	w.reqs = append(w.spareReqs[:0], w.reqs[n:]...)
	w.spare, w.spareReqs = nil, nil
	for i := range w.reqs {
		w.reqs[i].end -= end
	}
	if len(w.reqs) > 0 {
		// They waited through this batch's write: the next goes at once.
		w.firstAt = time.Time{}
	}
	return batch, reqs
}

// commit writes and fsyncs one batch, then reports to each request in order.
func (w *WAL) commit(batch []byte, reqs []request) {
	w.mu.Lock()
	err := w.err
	w.mu.Unlock()
	if err == nil && len(batch) > 0 {
		if err = w.write(batch); err != nil {
			err = w.fail(err)
		}
	}
	for i := range reqs {
		r := &reqs[i]
		e := r.err
		if e == nil {
			e = err
		}
		if e == nil && r.seal != nil {
			// The seal: everything appended before the Compact call is
			// durable in segments up to the current one; what comes after
			// goes to a new segment, which the snapshot will not cover.
			if e = w.rotate(); e != nil {
				e = w.fail(e)
				err = e
			} else {
				r.seal.through = w.segSeq - 1
				w.wg.Add(1)
				go w.compact(r.seal)
				continue // the compaction calls done
			}
		}
		if r.seal != nil {
			w.endCompaction()
		}
		if e == nil {
			w.stats.records.Add(uint64(r.records))
		}
		if r.done != nil {
			r.done(e)
		}
	}
}

// write appends batch to the current segment, moving to a new segment first
// if the current one is full, and fsyncs it.
func (w *WAL) write(batch []byte) error {
	if w.segSize > 0 && w.segSize+int64(len(batch)) > w.opts.SegmentBytes {
		if err := w.rotate(); err != nil {
			return err
		}
	}
	n, err := w.seg.Write(batch)
	w.segSize += int64(n)
	w.stats.bytes.Add(uint64(n))
	w.stats.logBytes.Add(uint64(n))
	if err != nil {
		return fmt.Errorf("write %s: %w", segmentName(w.segSeq), err)
	}
	w.stats.batches.Add(1)
	w.stats.fsyncs.Add(1)
	if err := w.seg.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", segmentName(w.segSeq), err)
	}
	return nil
}

// fail makes err the log's permanent error and returns it.
//
// No write or fsync is retried after a failure. When fsync reports an error,
// the kernel may already have dropped the dirty pages or marked them clean
// (Linux does, and a second fsync then returns success for data that never
// reached the disk: PostgreSQL's "fsyncgate", 2018). The page cache no longer
// tells what is on disk, so the only sound way on is to stop, restart, and
// recover from the files as the disk really holds them. A failed write may
// also have left part of a batch in the file; recovery truncates it as a torn
// tail.
func (w *WAL) fail(err error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = fmt.Errorf("%w: %w", ErrLogFailed, err)
	}
	return w.err
}

// Close writes and fsyncs everything appended before it (calling each done),
// waits for a running compaction, and closes the files. It returns the
// error that failed the log, if one did. Later calls return nil.
func (w *WAL) Close() error {
	first := false
	w.closeOnce.Do(func() {
		first = true
		w.mu.Lock()
		w.closing = true
		w.mu.Unlock()
		w.wake()
		w.wg.Wait()
		w.mu.Lock()
		err := w.err
		w.mu.Unlock()
		if w.seg != nil {
			if cerr := w.seg.Close(); err == nil && cerr != nil {
				err = cerr
			}
		}
		w.dirf.Close()
		w.lock.Close()
		w.closeErr = err
	})
	if !first {
		return nil
	}
	return w.closeErr
}

// WALStats counts what a WAL did since it was opened.
type WALStats struct {
	// Appends counts Append calls queued for writing; Backlogged those
	// refused with ErrBacklog.
	Appends, Backlogged uint64
	// Records counts records made durable.
	Records uint64
	// Batches and Fsyncs count group-commit writes and the fsyncs of
	// segment files; Records/Fsyncs is the batching factor.
	Batches, Fsyncs uint64
	// DirSyncs counts fsyncs of the directory (new segment, snapshot).
	DirSyncs uint64
	// BytesWritten counts log bytes written to segments; SnapshotBytes the
	// bytes written to snapshots.
	BytesWritten, SnapshotBytes uint64
	// LogBytes is the size of the live segments: what recovery would read
	// besides the snapshot. A driver compacts when it grows well past the
	// size of the state.
	LogBytes uint64
	// Segments is the number of live segment files; Rotations counts new
	// segments started; Compactions counts snapshots completed.
	Segments            int
	Rotations           uint64
	Compactions         uint64
	LastSnapshotRecords int
	RecoveredRecords    int
	RecoveredTornBytes  int // truncated from the last segment at open
	QueuedBytes         int // waiting for the writer now
	Failed              bool
	_                   struct{}
}

type walCounters struct {
	appends, backlogged, records, batches, fsyncs, dirSyncs atomic.Uint64
	bytes, snapshotBytes, logBytes, rotations, compactions  atomic.Uint64
	segments, lastSnapshotRecords                           atomic.Int64
	recoveredRecords, recoveredTorn                         int
}

// Stats returns the counters, for /metrics.
func (w *WAL) Stats() WALStats {
	w.mu.Lock()
	queued, failed := len(w.queue), w.err != nil
	w.mu.Unlock()
	c := &w.stats
	return WALStats{
		Appends:             c.appends.Load(),
		Backlogged:          c.backlogged.Load(),
		Records:             c.records.Load(),
		Batches:             c.batches.Load(),
		Fsyncs:              c.fsyncs.Load(),
		DirSyncs:            c.dirSyncs.Load(),
		BytesWritten:        c.bytes.Load(),
		SnapshotBytes:       c.snapshotBytes.Load(),
		LogBytes:            c.logBytes.Load(),
		Segments:            int(c.segments.Load()),
		Rotations:           c.rotations.Load(),
		Compactions:         c.compactions.Load(),
		LastSnapshotRecords: int(c.lastSnapshotRecords.Load()),
		RecoveredRecords:    c.recoveredRecords,
		RecoveredTornBytes:  c.recoveredTorn,
		QueuedBytes:         queued,
		Failed:              failed,
	}
}

// Dir returns the log's directory.
func (w *WAL) Dir() string { return w.dir }
