package disk

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/dynamo-replay/dynamo/core"
)

const (
	segmentSuffix  = ".log"
	snapshotSuffix = ".snap"
	tmpSuffix      = ".tmp"
	lockName       = "LOCK"
)

func segmentName(seq uint64) string  { return fmt.Sprintf("%06d%s", seq, segmentSuffix) }
func snapshotName(seq uint64) string { return fmt.Sprintf("%06d%s", seq, snapshotSuffix) }

type logFile struct {
	name string
	seq  uint64
	size int64
}

// logFiles is what a log directory holds, each list in increasing order.
type logFiles struct {
	segments, snapshots []logFile
	temps               []string
}

// listLog reads dir. Names it does not know (LOCK, an operator's notes) are
// left alone.
func listLog(dir string) (logFiles, error) {
	var out logFiles
	entries, err := os.ReadDir(dir)
	if err != nil {
		return out, err
	}
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() {
			continue
		}
		if strings.HasSuffix(name, tmpSuffix) {
			out.temps = append(out.temps, name)
			continue
		}
		var list *[]logFile
		var base string
		switch {
		case strings.HasSuffix(name, segmentSuffix):
			list, base = &out.segments, strings.TrimSuffix(name, segmentSuffix)
		case strings.HasSuffix(name, snapshotSuffix):
			list, base = &out.snapshots, strings.TrimSuffix(name, snapshotSuffix)
		default:
			continue
		}
		seq, err := strconv.ParseUint(base, 10, 64)
		if err != nil || seq == 0 {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return out, err
		}
		*list = append(*list, logFile{name: name, seq: seq, size: info.Size()})
	}
	byseq := func(a, b logFile) int { return compareSeq(a.seq, b.seq) }
	slices.SortFunc(out.segments, byseq)
	slices.SortFunc(out.snapshots, byseq)
	return out, nil
}

func compareSeq(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// OpenWAL opens the log in dir, creating both if need be, and recovers it:
// the newest snapshot, then every later segment in order, through Recover.
// A torn tail in the last segment (a crash during an append) is truncated
// from the file before appending resumes. Any other damage, a torn tail in
// an older segment or in a snapshot included, is an error wrapping a
// *CorruptionError that names the file and the offset; so is a missing
// segment. On error nothing on disk has been changed.
//
// The directory is locked against a second OpenWAL until Close.
func OpenWAL(dir string, opts WALOptions) (*WAL, core.Recovered, error) {
	opts = opts.withDefaults()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, core.Recovered{}, fmt.Errorf("disk: create log directory: %w", err)
	}
	lock, err := lockDir(filepath.Join(dir, lockName))
	if err != nil {
		return nil, core.Recovered{}, fmt.Errorf("disk: lock %s: %w", dir, err)
	}
	w := &WAL{dir: dir, opts: opts, lock: lock, kick: make(chan struct{}, 1)}
	rec, err := w.recover()
	if err != nil {
		lock.Close()
		if w.dirf != nil {
			w.dirf.Close()
		}
		return nil, core.Recovered{}, err
	}
	w.wg.Add(1)
	go w.run()
	return w, rec, nil
}

// recover reads the directory and leaves the WAL ready to append.
func (w *WAL) recover() (core.Recovered, error) {
	var rec core.Recovered
	dirf, err := os.Open(w.dir)
	if err != nil {
		return rec, fmt.Errorf("disk: open log directory: %w", err)
	}
	w.dirf = dirf
	files, err := listLog(w.dir)
	if err != nil {
		return rec, fmt.Errorf("disk: list %s: %w", w.dir, err)
	}

	// Which files hold the state: the newest snapshot and the segments after it.
	var snap *logFile
	if n := len(files.snapshots); n > 0 {
		snap = &files.snapshots[n-1]
	}
	live := files.segments
	next := uint64(1) // the segment the log must continue with
	if snap != nil {
		i, _ := slices.BinarySearchFunc(live, snap.seq+1, func(f logFile, seq uint64) int { return compareSeq(f.seq, seq) })
		live = live[i:]
		next = snap.seq + 1
	}
	for _, s := range live {
		if s.seq != next {
			return rec, w.missing(next, snap)
		}
		next++
	}
	if snap != nil && len(live) == 0 {
		// The seal creates segment snap+1, durably, before the snapshot
		// is written: its absence means a file was lost.
		return rec, w.missing(next, snap)
	}

	// Read them; on any error, touch nothing.
	if snap != nil {
		data, err := os.ReadFile(filepath.Join(w.dir, snap.name))
		if err != nil {
			return rec, fmt.Errorf("disk: read %s: %w", snap.name, err)
		}
		r, err := Recover(data)
		if err == nil && r.TornBytes > 0 {
			// A snapshot is fsynced before it gets its name: it cannot be torn.
			err = &CorruptionError{Offset: r.Valid, Reason: fmt.Sprintf("%d bytes of a damaged record end the snapshot", r.TornBytes)}
		}
		if err != nil {
			return rec, w.corrupt(snap.name, err)
		}
		rec.Records = r.Records
	}
	var torn int
	for i, s := range live {
		data, err := os.ReadFile(filepath.Join(w.dir, s.name))
		if err != nil {
			return rec, fmt.Errorf("disk: read %s: %w", s.name, err)
		}
		r, err := Recover(data)
		last := i == len(live)-1
		if err == nil && r.TornBytes > 0 && !last {
			// Appends move to a new segment only after the old one is
			// fsynced whole, so only the last can end in a torn write.
			err = &CorruptionError{Offset: r.Valid, Reason: fmt.Sprintf("%d bytes of a damaged record end a segment that is not the last", r.TornBytes)}
		}
		if err != nil {
			return rec, w.corrupt(s.name, err)
		}
		if rec.Records == nil {
			rec.Records = r.Records
		} else {
			rec.Records = append(rec.Records, r.Records...)
		}
		live[i].size = int64(r.Valid)
		if last {
			torn = r.TornBytes
		}
	}

	// What was read may have been left in the page cache by a process that
	// died before its fsync: make it durable before the node acts on it. The
	// last segment's data is synced below; the directory now, so that the
	// names read (a snapshot renamed, a segment created just before the
	// crash) are durable before anything they replace is deleted.
	if err := w.syncDir(); err != nil {
		return rec, fmt.Errorf("disk: sync %s: %w", w.dir, err)
	}

	// Clean up after crashes: unfinished snapshots, and what the newest
	// snapshot replaced.
	for _, name := range files.temps {
		if err := os.Remove(filepath.Join(w.dir, name)); err != nil {
			return rec, fmt.Errorf("disk: delete %s: %w", name, err)
		}
	}
	if snap != nil {
		if err := w.collect(snap.seq, false); err != nil {
			return rec, err
		}
	}

	// Open the last segment for appending, or start one.
	if len(live) == 0 {
		if err := w.create(next); err != nil {
			return rec, err
		}
		live = append(live, logFile{name: segmentName(next), seq: next})
	} else {
		last := live[len(live)-1]
		path := filepath.Join(w.dir, last.name)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return rec, fmt.Errorf("disk: open %s: %w", last.name, err)
		}
		if torn > 0 {
			if err := f.Truncate(last.size); err != nil {
				f.Close()
				return rec, fmt.Errorf("disk: truncate the torn tail of %s: %w", last.name, err)
			}
		}
		if err := syncData(f); err != nil {
			f.Close()
			return rec, fmt.Errorf("disk: fsync %s: %w", last.name, err)
		}
		w.setSegment(f, last.seq, last.size)
	}
	var logBytes int64
	for _, s := range live {
		logBytes += s.size
	}
	w.stats.segments.Store(int64(len(live)))
	w.stats.logBytes.Store(uint64(logBytes))
	w.stats.recoveredRecords = len(rec.Records)
	w.stats.recoveredTorn = torn
	return rec, nil
}

func (w *WAL) missing(seq uint64, snap *logFile) error {
	after := "the log starts with segment 1"
	if snap != nil {
		after = "it follows snapshot " + snap.name
	}
	return fmt.Errorf("disk: %s: segment %s is missing (%s)", w.dir, segmentName(seq), after)
}

// corrupt names the file in a *CorruptionError from Recover.
func (w *WAL) corrupt(name string, err error) error {
	var ce *CorruptionError
	if errors.As(err, &ce) {
		ce.File = filepath.Join(w.dir, name)
	}
	return fmt.Errorf("disk: recover log: %w", err)
}

// create starts segment seq, durably: the directory is fsynced so that the
// file survives a crash before anything written to it is acknowledged.
func (w *WAL) create(seq uint64) error {
	name := segmentName(seq)
	f, err := os.OpenFile(filepath.Join(w.dir, name), os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("disk: create %s: %w", name, err)
	}
	if err := w.syncDir(); err != nil {
		f.Close()
		return fmt.Errorf("disk: sync %s after creating %s: %w", w.dir, name, err)
	}
	w.setSegment(f, seq, 0)
	return nil
}

func (w *WAL) setSegment(f *os.File, seq uint64, size int64) {
	var sf SegmentFile = dataFile{f}
	if w.opts.WrapFile != nil {
		sf = w.opts.WrapFile(segmentName(seq), sf)
	}
	w.seg, w.segSeq, w.segSize = sf, seq, size
}

// rotate closes the current segment, already fsynced whole, and starts the
// next.
func (w *WAL) rotate() error {
	if err := w.seg.Close(); err != nil {
		return fmt.Errorf("close %s: %w", segmentName(w.segSeq), err)
	}
	w.seg = nil
	if err := w.create(w.segSeq + 1); err != nil {
		return err
	}
	w.stats.segments.Add(1)
	w.stats.rotations.Add(1)
	return nil
}

func (w *WAL) syncDir() error {
	w.stats.dirSyncs.Add(1)
	return w.dirf.Sync()
}

// dataFile is a segment on disk; its Sync is fdatasync where there is one
// (appends change the file size, which fdatasync does flush).
type dataFile struct{ f *os.File }

func (d dataFile) Write(p []byte) (int, error) { return d.f.Write(p) }
func (d dataFile) Sync() error                 { return syncData(d.f) }
func (d dataFile) Close() error                { return d.f.Close() }

var errLocked = errors.New("in use by another process (or another OpenWAL)")
