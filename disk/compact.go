package disk

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/dynamo-replay/dynamo/core"
)

// Compaction replaces the log's past with a snapshot of the state it built, so
// that the log does not grow without bound.
//
// The protocol, for a Compact called while segment N is current:
//
//  1. Seal (writer goroutine, in order with appends): everything appended
//     before the Compact call is written and fsynced into segments up to N;
//     segment N+1 is created and the directory fsynced; later appends go to
//     N+1. The snapshot will stand for segments 1..N exactly.
//  2. Write (compaction goroutine, while appends go on): the snapshot's
//     records go to N.snap.tmp, which is fsynced and closed.
//  3. Publish: rename N.snap.tmp to N.snap, fsync the directory. The rename
//     is atomic: after a crash N.snap either does not exist or is complete,
//     because its data was durable before its name was.
//  4. Collect: delete segments 1..N and older snapshots.
//
// Recovery (OpenWAL) deletes *.tmp files, takes the newest N.snap if there is
// one, ignores (and deletes) every segment numbered N or less and every older
// snapshot, and replays N.snap then segments N+1, N+2, ... A crash:
//   - before step 3 leaves no N.snap: recovery replays the old segments, as
//     if no compaction had begun (a partial N.snap.tmp is deleted);
//   - after step 3's rename reached the disk, recovery uses N.snap and the
//     segments after N, whether or not step 4 ran, or ran in part;
//   - in between (rename done, directory not yet fsynced) is one of the two.
//
// No data is lost in any case because the snapshot is only used once it is
// whole, and old segments are only deleted after it is durable under its final
// name. This relies on the contract of Compact: the snapshot holds every
// record appended before the call.

// compaction is one Compact call on its way.
type compaction struct {
	records []core.Record
	done    func(error)
	through uint64 // set at the seal: the snapshot stands for segments 1..through
}

// Compact replaces the log with a snapshot: records must hold the node's whole
// state as of this call, and so subsume every record appended before it (one
// versions record per key, the hint store, the membership table, the
// incarnation). Records appended after the call are kept after the snapshot.
//
// Compact returns at once; done is called once, with nil after the snapshot
// is durable and the segments it replaces are deleted, or with the error that
// stopped it (the log is then still whole and usable unless the error wraps
// ErrLogFailed). The WAL reads records until done is called: the caller must
// not modify them meanwhile. One compaction runs at a time; a Compact during
// another fails with ErrCompacting. done may be nil.
func (w *WAL) Compact(records []core.Record, done func(error)) {
	w.mu.Lock()
	if w.closing {
		w.mu.Unlock()
		if done != nil {
			go done(ErrClosed)
		}
		return
	}
	r := request{done: done}
	switch {
	case w.err != nil:
		r.err = w.err
	case w.compacting:
		r.err = ErrCompacting
	default:
		w.compacting = true
		r.seal = &compaction{records: records, done: done}
	}
	w.enqueueLocked(r)
	w.mu.Unlock()
	w.wake()
}

// endCompaction lets the next Compact run.
func (w *WAL) endCompaction() {
	w.mu.Lock()
	w.compacting = false
	w.mu.Unlock()
}

// compact runs steps 2 to 4 of a sealed compaction.
func (w *WAL) compact(c *compaction) {
	defer w.wg.Done()
	err := w.writeSnapshot(c)
	w.endCompaction()
	if c.done != nil {
		c.done(err)
	}
}

func (w *WAL) writeSnapshot(c *compaction) error {
	tmp := filepath.Join(w.dir, snapshotName(c.through)+tmpSuffix)
	final := filepath.Join(w.dir, snapshotName(c.through))
	size, err := w.writeTemp(tmp, c.records)
	if err != nil {
		if err != errHookCrash {
			os.Remove(tmp)
		}
		return err
	}
	if err := w.step("snapshot-synced"); err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("disk: publish snapshot: %w", err)
	}
	if err := w.step("renamed"); err != nil {
		return err
	}
	// Until the directory is synced the rename may not survive a crash, so
	// nothing it replaces may go yet. If the sync fails, the snapshot stays:
	// it is complete, and recovery may use it or not with the same result.
	if err := w.syncDir(); err != nil {
		return fmt.Errorf("disk: sync %s after publishing %s: %w", w.dir, snapshotName(c.through), err)
	}
	if err := w.step("published"); err != nil {
		return err
	}
	w.stats.snapshotBytes.Add(uint64(size))
	w.stats.lastSnapshotRecords.Store(int64(len(c.records)))
	w.stats.compactions.Add(1)
	return w.collect(c.through, true)
}

// writeTemp writes records to a new file at path and fsyncs it.
func (w *WAL) writeTemp(path string, records []core.Record) (int64, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return 0, fmt.Errorf("disk: create snapshot: %w", err)
	}
	const chunk = 1 << 20
	buf := make([]byte, 0, chunk+4096)
	var size int64
	flush := func() error {
		n, err := f.Write(buf)
		size += int64(n)
		buf = buf[:0]
		return err
	}
	for _, r := range records {
		if buf = AppendRecord(buf, r); len(buf) >= chunk {
			if err := flush(); err != nil {
				f.Close()
				return size, fmt.Errorf("disk: write snapshot: %w", err)
			}
		}
	}
	if err := flush(); err != nil {
		f.Close()
		return size, fmt.Errorf("disk: write snapshot: %w", err)
	}
	if err := w.step("snapshot-written"); err != nil {
		f.Close()
		return size, err
	}
	if err := syncData(f); err != nil {
		f.Close()
		return size, fmt.Errorf("disk: fsync snapshot: %w", err)
	}
	if err := f.Close(); err != nil {
		return size, fmt.Errorf("disk: close snapshot: %w", err)
	}
	return size, nil
}

// collect deletes the segments numbered through or less and the snapshots
// older than through's. Deletions need no fsync: a file that comes back
// after a crash is garbage that recovery deletes again. hooks is false when
// recovery collects.
func (w *WAL) collect(through uint64, hooks bool) error {
	files, err := listLog(w.dir)
	if err != nil {
		return fmt.Errorf("disk: list %s: %w", w.dir, err)
	}
	for _, s := range files.segments {
		if s.seq > through {
			continue
		}
		if err := os.Remove(filepath.Join(w.dir, s.name)); err != nil {
			return fmt.Errorf("disk: delete %s: %w", s.name, err)
		}
		w.stats.segments.Add(-1)
		w.stats.logBytes.Add(^uint64(s.size - 1)) // minus s.size
		if hooks {
			if err := w.step("deleted-segment"); err != nil {
				return err
			}
		}
	}
	for _, s := range files.snapshots {
		if s.seq < through {
			if err := os.Remove(filepath.Join(w.dir, s.name)); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("disk: delete %s: %w", s.name, err)
			}
		}
	}
	return nil
}

// errHookCrash marks a compaction stopped by a test hook: it leaves its files
// exactly as they are, as a crash would.
var errHookCrash = fmt.Errorf("disk: simulated crash")

// step gives a test hook the chance to stop compaction at a named point.
func (w *WAL) step(point string) error {
	if w.opts.hook == nil {
		return nil
	}
	if err := w.opts.hook(point); err != nil {
		return errHookCrash
	}
	return nil
}
