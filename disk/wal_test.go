package disk

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/core/causality"
	"github.com/dynamo-replay/dynamo/core/ring"
)

// --- helpers -------------------------------------------------------------

func openWAL(t *testing.T, dir string, opts WALOptions) (*WAL, []core.Record) {
	t.Helper()
	w, rec, err := OpenWAL(dir, opts)
	require.NoError(t, err)
	t.Cleanup(func() { w.Close() })
	return w, rec.Records
}

// appendWait appends records and waits for their done.
func appendWait(w *WAL, recs ...core.Record) error {
	ch := make(chan error, 1)
	w.Append(recs, func(err error) { ch <- err })
	return <-ch
}

func compactWait(w *WAL, recs []core.Record) error {
	ch := make(chan error, 1)
	w.Compact(recs, func(err error) { ch <- err })
	return <-ch
}

// value is a 100-byte value naming key and i.
func value(key string, i int) []byte {
	v := fmt.Appendf(nil, "%s#%d:", key, i)
	for len(v) < 100 {
		v = append(v, byte('a'+len(v)%26))
	}
	return v
}

// versionRec is a versions record holding one new version of key.
func versionRec(key string, i int) core.Record {
	return core.Record{Kind: core.RecordVersions, Key: key, Versions: []core.Version{{
		Dot:   causality.Dot{Actor: 1<<32 | 1, Counter: uint64(i + 1)},
		Wall:  int64(i),
		Value: value(key, i),
	}}}
}

// sameRecords compares two logs by their encoding, which is canonical.
func sameRecords(t *testing.T, want, got []core.Record) {
	t.Helper()
	require.Equal(t, len(want), len(got), "record count")
	require.True(t, bytes.Equal(encodeAll(want), encodeAll(got)), "records differ")
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		if e.Name() != lockName {
			names = append(names, e.Name())
		}
	}
	return names
}

// state is what replaying records builds, the way core.Node.replay does:
// versions merged per key, hints merged per (key, owner) and deleted by hint
// deletes, the largest incarnation, the membership tables merged.
type state struct {
	mech    causality.Mechanism
	keys    map[string][]core.Version
	hints   map[hintID][]core.Version
	inc     uint32
	members *core.Membership
}

type hintID struct {
	key   string
	owner core.NodeID
}

func newState() *state {
	return &state{
		mech:  causality.New(causality.DVV, causality.Options{}),
		keys:  map[string][]core.Version{},
		hints: map[hintID][]core.Version{},
	}
}

func stateOf(recs []core.Record) *state {
	s := newState()
	for _, r := range recs {
		s.apply(r)
	}
	return s
}

func (s *state) apply(r core.Record) {
	switch r.Kind {
	case core.RecordVersions:
		s.keys[r.Key] = normalize(s.mech.Merge(s.keys[r.Key], r.Versions))
	case core.RecordHint:
		id := hintID{r.Key, r.Owner}
		s.hints[id] = normalize(s.mech.Merge(s.hints[id], r.Versions))
	case core.RecordHintDelete:
		delete(s.hints, hintID{r.Key, r.Owner})
	case core.RecordIncarnation:
		s.inc = max(s.inc, r.Incarnation)
	case core.RecordMembership:
		if s.members == nil {
			s.members = r.Membership
		} else {
			s.members, _ = s.members.Merge(r.Membership, false)
		}
	}
}

// snapshot is the state as Compact wants it: one record per key and hint,
// the membership table, the incarnation.
func (s *state) snapshot() []core.Record {
	var out []core.Record
	if s.inc > 0 {
		out = append(out, core.Record{Kind: core.RecordIncarnation, Incarnation: s.inc})
	}
	if s.members != nil {
		out = append(out, core.Record{Kind: core.RecordMembership, Membership: s.members})
	}
	keys := make([]string, 0, len(s.keys))
	for k := range s.keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, core.Record{Kind: core.RecordVersions, Key: k, Versions: s.keys[k]})
	}
	hints := make([]hintID, 0, len(s.hints))
	for h := range s.hints {
		hints = append(hints, h)
	}
	slices.SortFunc(hints, func(a, b hintID) int {
		if a.key != b.key {
			return map[bool]int{true: -1, false: 1}[a.key < b.key]
		}
		return int(a.owner) - int(b.owner)
	})
	for _, h := range hints {
		out = append(out, core.Record{Kind: core.RecordHint, Key: h.key, Owner: h.owner, Versions: s.hints[h]})
	}
	return out
}

func requireSameState(t *testing.T, want, got *state) {
	t.Helper()
	require.Equal(t, want.keys, got.keys)
	require.Equal(t, want.hints, got.hints)
	require.Equal(t, want.inc, got.inc)
	require.Equal(t, want.members, got.members)
}

// history makes a node-like history: overwrites of a few keys (each put
// superseding what it read), concurrent siblings, hints and hint deletes,
// incarnations and membership changes.
type history struct {
	s    *state
	recs []core.Record
	n    int
	t    *testing.T
}

func newHistory(t *testing.T) *history { return &history{s: newState(), t: t} }

func (h *history) add(r core.Record) core.Record {
	h.s.apply(r)
	h.recs = append(h.recs, r)
	return r
}

// next returns the next record of the history.
func (h *history) next() core.Record {
	h.n++
	i := h.n
	key := fmt.Sprintf("key:%d", i%17)
	actor := causality.Actor(uint64(1+i%3)<<32 | 1)
	switch {
	case i%50 == 1:
		return h.add(core.Record{Kind: core.RecordIncarnation, Incarnation: uint32(i/50 + 1)})
	case i%50 == 2:
		return h.add(core.Record{Kind: core.RecordMembership, Membership: walMembership(h.t, i)})
	case i%7 == 3:
		local := h.s.hints[hintID{key, 4}]
		v := h.s.mech.NewVersion(local, h.s.mech.Context(local), actor, int64(i), value(key, i), false)
		return h.add(core.Record{Kind: core.RecordHint, Key: key, Owner: 4, Versions: []core.Version{v}})
	case i%11 == 5:
		return h.add(core.Record{Kind: core.RecordHintDelete, Key: key, Owner: 4})
	case i%5 == 0:
		// A concurrent write: no context, so it becomes a sibling.
		v := h.s.mech.NewVersion(h.s.keys[key], nil, actor, int64(i), value(key, i), false)
		return h.add(core.Record{Kind: core.RecordVersions, Key: key, Versions: []core.Version{v}})
	default:
		local := h.s.keys[key]
		v := h.s.mech.NewVersion(local, h.s.mech.Context(local), actor, int64(i), value(key, i), i%13 == 0)
		return h.add(core.Record{Kind: core.RecordVersions, Key: key, Versions: []core.Version{v}})
	}
}

func walMembership(t *testing.T, i int) *core.Membership {
	m := sampleMembership(t, ring.Strategy3)
	if i%100 > 50 {
		m = m.WithStatus(3, core.StatusLeaving)
	}
	return m
}

// spy wraps segment files to see what is durable: the bytes written before
// a Sync that returned nil. It can delay, block, and fail syncs.
type spy struct {
	mu       sync.Mutex
	durable  map[string]bool // keys of records known durable
	syncs    int
	failSync int           // this sync (1-based) fails; 0: none
	gate     chan struct{} // if set, each Sync waits for a token
	delay    time.Duration
}

var errInjected = errors.New("injected fsync failure")

func newSpy() *spy { return &spy{durable: map[string]bool{}} }

func (s *spy) wrap(name string, f SegmentFile) SegmentFile { return &spyFile{spy: s, f: f} }

func (s *spy) isDurable(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.durable[key]
}

type spyFile struct {
	spy     *spy
	f       SegmentFile
	pending []byte // written since the last good Sync
}

func (f *spyFile) Write(p []byte) (int, error) {
	f.pending = append(f.pending, p...)
	return f.f.Write(p)
}

func (f *spyFile) Sync() error {
	s := f.spy
	s.mu.Lock()
	gate, delay := s.gate, s.delay
	s.mu.Unlock()
	if gate != nil {
		<-gate
	}
	time.Sleep(delay)
	s.mu.Lock()
	s.syncs++
	fail := s.syncs == s.failSync
	s.mu.Unlock()
	if fail {
		return errInjected
	}
	if err := f.f.Sync(); err != nil {
		return err
	}
	rec, err := Recover(f.pending)
	if err != nil || rec.TornBytes != 0 {
		panic(fmt.Sprintf("a batch is not whole records: %v, %d torn bytes", err, rec.TornBytes))
	}
	s.mu.Lock()
	for _, r := range rec.Records {
		s.durable[r.Key] = true
	}
	s.mu.Unlock()
	f.pending = f.pending[:0]
	return nil
}

func (f *spyFile) Close() error { return f.f.Close() }

// --- tests ---------------------------------------------------------------

func TestWALRoundTrip(t *testing.T) {
	dir := t.TempDir()
	w, got := openWAL(t, dir, WALOptions{})
	require.Empty(t, got)
	require.Equal(t, []string{"000001.log"}, files(t, dir))

	want := append(sampleRecords(), core.Record{Kind: core.RecordMembership, Membership: sampleMembership(t, ring.Strategy1)})
	require.NoError(t, appendWait(w, want[:2]...))
	require.NoError(t, appendWait(w))
	require.NoError(t, appendWait(w, want[2:]...))
	st := w.Stats()
	require.Equal(t, uint64(len(want)), st.Records)
	require.Equal(t, uint64(3), st.Appends)
	require.Equal(t, uint64(2), st.Fsyncs, "an empty append writes nothing")
	require.Equal(t, uint64(len(encodeAll(want))), st.BytesWritten)
	require.Equal(t, st.BytesWritten, st.LogBytes)
	require.Equal(t, 1, st.Segments)
	require.NoError(t, w.Close())

	w2, got := openWAL(t, dir, WALOptions{})
	sameRecords(t, want, got)
	require.Equal(t, len(want), w2.Stats().RecoveredRecords)
	require.Equal(t, uint64(len(encodeAll(want))), w2.Stats().LogBytes)
	// Appending resumes at the end of the same segment.
	more := versionRec("after", 1)
	require.NoError(t, appendWait(w2, more))
	require.NoError(t, w2.Close())
	_, got = openWAL(t, dir, WALOptions{})
	sameRecords(t, append(want, more), got)
	require.Equal(t, []string{"000001.log"}, files(t, dir))
}

// TestWALGroupCommit: many concurrent appenders share fsyncs, and every
// record arrives exactly once.
func TestWALGroupCommit(t *testing.T) {
	dir := t.TempDir()
	w, _ := openWAL(t, dir, WALOptions{MaxBatchDelay: 2 * time.Millisecond})
	const appenders, each = 100, 10
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, appenders*each)
	for a := range appenders {
		wg.Go(func() {
			<-start
			for i := range each {
				errs <- appendWait(w, versionRec(fmt.Sprintf("a%d", a), i))
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	st := w.Stats()
	require.Equal(t, uint64(appenders*each), st.Records)
	require.Equal(t, st.Batches, st.Fsyncs)
	require.Less(t, st.Fsyncs, uint64(appenders*each)/4, "group commit: %d fsyncs for %d appends", st.Fsyncs, appenders*each)
	t.Logf("%d appends, %d fsyncs, %.1f records per fsync", appenders*each, st.Fsyncs, float64(st.Records)/float64(st.Fsyncs))
	require.NoError(t, w.Close())

	_, got := openWAL(t, dir, WALOptions{})
	require.Len(t, got, appenders*each)
	seen := map[string]bool{}
	next := map[string]int{}
	for _, r := range got {
		v := string(r.Versions[0].Value)
		require.False(t, seen[v], "record %s twice", v)
		seen[v] = true
		// Each appender's records are in its order: it waited for each.
		i := int(r.Versions[0].Wall)
		require.Equal(t, next[r.Key], i, "key %s", r.Key)
		next[r.Key]++
	}
}

// TestWALDoneAfterDurable: when done runs, the spy has seen an fsync return
// after the append's bytes were written. Slow fsyncs widen the window in
// which a wrong WAL would call done early.
func TestWALDoneAfterDurable(t *testing.T) {
	sp := newSpy()
	sp.delay = 300 * time.Microsecond
	w, _ := openWAL(t, t.TempDir(), WALOptions{WrapFile: sp.wrap, MaxBatchBytes: 2048, SegmentBytes: 16 << 10})
	var early, calls atomic.Int64
	var wg sync.WaitGroup
	for a := range 20 {
		wg.Go(func() {
			var inner sync.WaitGroup
			for i := range 30 {
				key := fmt.Sprintf("a%d-%d", a, i)
				inner.Add(1)
				w.Append([]core.Record{versionRec(key, i)}, func(err error) {
					defer inner.Done()
					calls.Add(1)
					if err != nil || !sp.isDurable(key) {
						early.Add(1)
					}
				})
			}
			inner.Wait()
		})
	}
	wg.Wait()
	require.Equal(t, int64(600), calls.Load())
	require.Zero(t, early.Load(), "done called before the record was durable")
	require.Greater(t, w.Stats().Rotations, uint64(0), "the test crosses segments")
}

// TestWALDoneOrder: done callbacks come in the order of the Append calls,
// across batches, backlog refusals and empty appends.
func TestWALDoneOrder(t *testing.T) {
	w, _ := openWAL(t, t.TempDir(), WALOptions{MaxBatchBytes: 600, MaxQueueBytes: 4000})
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	for i := range 500 {
		wg.Add(1)
		var recs []core.Record
		if i%10 != 0 {
			recs = []core.Record{versionRec("k", i)}
		}
		w.Append(recs, func(err error) {
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			wg.Done()
		})
	}
	wg.Wait()
	require.True(t, slices.IsSorted(order))
	require.Len(t, order, 500)
	require.Greater(t, w.Stats().Batches, uint64(5))
}

// TestWALLoneAppenderDoesNotWait: the batch delay never holds back an
// appender that is alone.
func TestWALLoneAppenderDoesNotWait(t *testing.T) {
	w, _ := openWAL(t, t.TempDir(), WALOptions{MaxBatchDelay: time.Second})
	start := time.Now()
	for i := range 20 {
		require.NoError(t, appendWait(w, versionRec("k", i)))
	}
	require.Less(t, time.Since(start), 5*time.Second)
	require.Equal(t, uint64(20), w.Stats().Fsyncs)
}

func TestWALTornTailTruncatedAndAppendsContinue(t *testing.T) {
	for _, tail := range []struct {
		name  string
		bytes []byte
	}{
		{"cut record", AppendRecord(nil, versionRec("torn", 1))[:37]},
		{"cut header", AppendRecord(nil, versionRec("torn", 1))[:7]},
		{"zero fill", make([]byte, 4096)},
	} {
		t.Run(tail.name, func(t *testing.T) {
			dir := t.TempDir()
			w, _ := openWAL(t, dir, WALOptions{})
			var want []core.Record
			for i := range 10 {
				want = append(want, versionRec("k", i))
				require.NoError(t, appendWait(w, want[i]))
			}
			require.NoError(t, w.Close())
			path := filepath.Join(dir, "000001.log")
			good, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(path, append(slices.Clone(good), tail.bytes...), 0o644))

			w, got := openWAL(t, dir, WALOptions{})
			sameRecords(t, want, got)
			require.Equal(t, len(tail.bytes), w.Stats().RecoveredTornBytes)
			now, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, good, now, "the torn tail is truncated on disk")

			want = append(want, versionRec("after", 0))
			require.NoError(t, appendWait(w, want[10]))
			require.NoError(t, w.Close())
			w, got = openWAL(t, dir, WALOptions{})
			sameRecords(t, want, got)
			require.Zero(t, w.Stats().RecoveredTornBytes)
		})
	}
}

// multiSegment writes n records, one per append, into segments of about
// segBytes, and returns them.
func multiSegment(t *testing.T, dir string, n int, segBytes int64) []core.Record {
	w, _ := openWAL(t, dir, WALOptions{SegmentBytes: segBytes})
	var want []core.Record
	for i := range n {
		want = append(want, versionRec(fmt.Sprintf("k%03d", i), i))
		require.NoError(t, appendWait(w, want[i]))
	}
	require.NoError(t, w.Close())
	return want
}

// fixedRecSize is the size of each record multiSegment writes.
var fixedRecSize = len(AppendRecord(nil, versionRec("k000", 0)))

func TestWALRotation(t *testing.T) {
	dir := t.TempDir()
	const segBytes = 1024
	recSize := fixedRecSize
	want := multiSegment(t, dir, 100, segBytes)
	names := files(t, dir)
	require.Greater(t, len(names), 5)
	for i, name := range names {
		require.Equal(t, segmentName(uint64(i+1)), name)
		info, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		require.LessOrEqual(t, info.Size(), int64(segBytes), name)
		if i < len(names)-1 {
			require.Greater(t, info.Size(), int64(segBytes-recSize), "%s is full", name)
		}
	}
	w, got := openWAL(t, dir, WALOptions{SegmentBytes: segBytes})
	sameRecords(t, want, got)
	st := w.Stats()
	require.Equal(t, len(names), st.Segments)
	// Appends continue in the last segment, then rotate on.
	for i := range 20 {
		require.NoError(t, appendWait(w, versionRec("more", i)))
		want = append(want, versionRec("more", i))
	}
	st = w.Stats()
	require.Equal(t, len(files(t, dir)), st.Segments)
	require.Equal(t, uint64(st.Segments-len(names)), st.Rotations)
	require.NoError(t, w.Close())
	_, got = openWAL(t, dir, WALOptions{})
	sameRecords(t, want, got)
}

// TestWALCorruptionInMiddleSegment: damage anywhere but the tail of the last
// segment stops recovery with an error naming the file and the offset, and
// leaves the files as they were.
func TestWALCorruptionInMiddleSegment(t *testing.T) {
	recSize := fixedRecSize
	n := 3*(1024/recSize) + 2 // four segments, the last with two records
	cases := []struct {
		name    string
		file    string
		damage  func(b []byte) []byte
		offset  int
		message string
	}{
		{"flipped payload byte", "000002.log", func(b []byte) []byte { b[recSize+frameHeader+5] ^= 0x40; return b }, recSize, "checksum mismatch"},
		{"flipped length", "000002.log", func(b []byte) []byte { b[2*recSize] ^= 0x01; return b }, 2 * recSize, "header checksum mismatch"},
		{"flipped byte in the last segment, not at its tail", "000004.log", func(b []byte) []byte { b[frameHeader+1] ^= 0x01; return b }, 0, "checksum mismatch"},
		{"torn tail of an older segment", "000001.log", func(b []byte) []byte { return b[:len(b)-5] }, -1, "not the last"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			multiSegment(t, dir, n, 1024)
			names := files(t, dir)
			require.Contains(t, names, "000004.log")
			require.NotContains(t, names, "000005.log", "000004.log must be the last")
			path := filepath.Join(dir, c.file)
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			offset := c.offset
			if offset < 0 {
				offset = (len(b)/recSize - 1) * recSize // the start of the torn record
			}
			b = c.damage(b)
			require.NoError(t, os.WriteFile(path, b, 0o644))
			before := snapshotDir(t, dir)

			_, _, err = OpenWAL(dir, WALOptions{})
			require.Error(t, err)
			var ce *CorruptionError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, path, ce.File)
			require.Equal(t, offset, ce.Offset)
			require.ErrorContains(t, err, fmt.Sprintf("%s: corrupt record at offset %d", path, offset))
			require.ErrorContains(t, err, c.message)
			require.Equal(t, before, snapshotDir(t, dir), "a failed recovery changes nothing")
		})
	}
}

// snapshotDir returns every file's contents.
func snapshotDir(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	for _, name := range files(t, dir) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		out[name] = string(b)
	}
	return out
}

func TestWALMissingSegment(t *testing.T) {
	dir := t.TempDir()
	multiSegment(t, dir, 30, 1024)
	require.NoError(t, os.Remove(filepath.Join(dir, "000002.log")))
	_, _, err := OpenWAL(dir, WALOptions{})
	require.ErrorContains(t, err, "segment 000002.log is missing")

	dir = t.TempDir()
	multiSegment(t, dir, 30, 1024)
	require.NoError(t, os.Remove(filepath.Join(dir, "000001.log")))
	_, _, err = OpenWAL(dir, WALOptions{})
	require.ErrorContains(t, err, "segment 000001.log is missing (the log starts with segment 1)")
}

func TestWALCompactionThenRecovery(t *testing.T) {
	dir := t.TempDir()
	opts := WALOptions{SegmentBytes: 4096}
	w, _ := openWAL(t, dir, opts)
	h := newHistory(t)
	for range 300 {
		require.NoError(t, appendWait(w, h.next()))
	}
	require.Greater(t, len(files(t, dir)), 5)
	before := w.Stats()

	snap := h.s.snapshot()
	require.NoError(t, compactWait(w, snap))
	st := w.Stats()
	sealed := uint64(before.Segments)
	require.Equal(t, []string{snapshotName(sealed), segmentName(sealed + 1)}, files(t, dir))
	require.Equal(t, 1, st.Segments)
	require.Zero(t, st.LogBytes)
	require.Equal(t, uint64(1), st.Compactions)
	require.Equal(t, len(snap), st.LastSnapshotRecords)
	require.Equal(t, uint64(len(encodeAll(snap))), st.SnapshotBytes)

	for range 40 {
		require.NoError(t, appendWait(w, h.next()))
	}
	require.NoError(t, w.Close())

	w, got := openWAL(t, dir, opts)
	require.Len(t, got, len(snap)+40, "the snapshot, then what came after it")
	requireSameState(t, h.s, stateOf(got))
	requireSameState(t, stateOf(h.recs), stateOf(got))

	// And again, from the recovered log: a second compaction replaces the first.
	for range 100 {
		require.NoError(t, appendWait(w, h.next()))
	}
	require.NoError(t, compactWait(w, h.s.snapshot()))
	names := files(t, dir)
	require.Len(t, names, 2)
	require.Equal(t, ".snap", filepath.Ext(names[0]))
	require.NoError(t, w.Close())
	_, got = openWAL(t, dir, opts)
	requireSameState(t, h.s, stateOf(got))
}

// TestWALCompactionWithConcurrentAppends: appends made while the snapshot is
// being written land after it and survive.
func TestWALCompactionWithConcurrentAppends(t *testing.T) {
	dir := t.TempDir()
	release := make(chan struct{})
	opts := WALOptions{hook: func(point string) error {
		if point == "snapshot-written" {
			<-release
		}
		return nil
	}}
	w, _ := openWAL(t, dir, opts)
	h := newHistory(t)
	for range 100 {
		require.NoError(t, appendWait(w, h.next()))
	}
	done := make(chan error, 1)
	w.Compact(h.s.snapshot(), func(err error) { done <- err })
	// The compaction is stuck before its fsync; appends go on.
	for range 50 {
		require.NoError(t, appendWait(w, h.next()))
	}
	require.Equal(t, uint64(50), w.Stats().Records-100)
	// A second compaction meanwhile is refused.
	require.ErrorIs(t, compactWait(w, nil), ErrCompacting)
	close(release)
	require.NoError(t, <-done)
	require.NoError(t, w.Close())
	_, got := openWAL(t, dir, WALOptions{})
	requireSameState(t, h.s, stateOf(got))
}

// TestWALCompactionCrash stops compaction at each of its steps as a crash
// would (files left as they are, nothing cleaned up), appends more, and
// recovers: the state is always the whole history.
func TestWALCompactionCrash(t *testing.T) {
	points := []struct {
		point    string
		snapUsed bool // recovery must use the new snapshot
		damage   func(t *testing.T, dir string)
	}{
		{point: "snapshot-written", damage: func(t *testing.T, dir string) {
			// The temp file was never synced: a crash kept half of it.
			tmp := onlyFile(t, dir, ".tmp")
			b, err := os.ReadFile(tmp)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(tmp, b[:len(b)/2], 0o644))
		}},
		{point: "snapshot-synced"},
		{point: "renamed", snapUsed: true},
		{point: "published", snapUsed: true},
		{point: "deleted-segment", snapUsed: true},
	}
	for _, p := range points {
		t.Run(p.point, func(t *testing.T) {
			dir := t.TempDir()
			crash := p.point
			opts := WALOptions{SegmentBytes: 2048, hook: func(point string) error {
				if point == crash {
					return errors.New("crash")
				}
				return nil
			}}
			w, _ := openWAL(t, dir, opts)
			h := newHistory(t)
			for range 120 {
				require.NoError(t, appendWait(w, h.next()))
			}
			segs := w.Stats().Segments
			snap := h.s.snapshot()
			require.ErrorIs(t, compactWait(w, snap), errHookCrash)
			// The node lived on a little after the compaction died.
			for range 10 {
				require.NoError(t, appendWait(w, h.next()))
			}
			require.NoError(t, w.Close())
			if p.damage != nil {
				p.damage(t, dir)
			}

			w, got := openWAL(t, dir, WALOptions{SegmentBytes: 2048})
			requireSameState(t, h.s, stateOf(got))
			names := files(t, dir)
			for _, n := range names {
				require.NotEqual(t, ".tmp", filepath.Ext(n), "leftover temp files are deleted")
			}
			if p.snapUsed {
				require.Equal(t, []string{snapshotName(uint64(segs)), segmentName(uint64(segs + 1))}, names)
				require.Len(t, got, len(snap)+10, "replayed from the snapshot")
			} else {
				require.Len(t, names, segs+1, "the old segments are still the log")
				require.Len(t, got, 130)
			}
			// The log is healthy: compaction works now.
			require.NoError(t, compactWait(w, h.s.snapshot()))
			require.NoError(t, w.Close())
			_, got = openWAL(t, dir, WALOptions{})
			requireSameState(t, h.s, stateOf(got))
		})
	}
}

func onlyFile(t *testing.T, dir, ext string) string {
	var found []string
	for _, n := range files(t, dir) {
		if filepath.Ext(n) == ext {
			found = append(found, n)
		}
	}
	require.Len(t, found, 1)
	return filepath.Join(dir, found[0])
}

// TestWALTwoSnapshots: a crash after a second snapshot was published but
// before the first was deleted; recovery takes the newest.
func TestWALTwoSnapshots(t *testing.T) {
	dir := t.TempDir()
	crash := false
	opts := WALOptions{hook: func(point string) error {
		if crash && point == "published" {
			return errors.New("crash")
		}
		return nil
	}}
	w, _ := openWAL(t, dir, opts)
	h := newHistory(t)
	for range 60 {
		require.NoError(t, appendWait(w, h.next()))
	}
	require.NoError(t, compactWait(w, h.s.snapshot()))
	for range 60 {
		require.NoError(t, appendWait(w, h.next()))
	}
	crash = true
	require.ErrorIs(t, compactWait(w, h.s.snapshot()), errHookCrash)
	require.NoError(t, w.Close())
	require.Equal(t, []string{"000001.snap", "000002.log", "000002.snap", "000003.log"}, files(t, dir))

	_, got := openWAL(t, dir, WALOptions{})
	requireSameState(t, h.s, stateOf(got))
	require.Equal(t, []string{"000002.snap", "000003.log"}, files(t, dir))
}

func TestWALLeftoverTempFile(t *testing.T) {
	dir := t.TempDir()
	want := multiSegment(t, dir, 10, 1<<20)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "000001.snap.tmp"), []byte("half a snapshot"), 0o644))
	_, got := openWAL(t, dir, WALOptions{})
	sameRecords(t, want, got)
	require.Equal(t, []string{"000001.log"}, files(t, dir))
}

func TestWALCorruptSnapshot(t *testing.T) {
	for _, c := range []struct {
		name   string
		damage func([]byte) []byte
		reason string
	}{
		{"flipped byte", func(b []byte) []byte { b[frameHeader+3] ^= 0x10; return b }, "checksum mismatch"},
		{"cut short", func(b []byte) []byte { return b[:len(b)-3] }, "end the snapshot"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			w, _ := openWAL(t, dir, WALOptions{})
			h := newHistory(t)
			for range 60 {
				require.NoError(t, appendWait(w, h.next()))
			}
			require.NoError(t, compactWait(w, h.s.snapshot()))
			require.NoError(t, w.Close())
			path := filepath.Join(dir, "000001.snap")
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(path, c.damage(b), 0o644))
			_, _, err = OpenWAL(dir, WALOptions{})
			var ce *CorruptionError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, path, ce.File)
			require.ErrorContains(t, err, c.reason)
		})
	}
}

// TestWALFailedFsync: the batch whose fsync failed fails, and so does every
// later Append and Compact; Close reports the failure.
func TestWALFailedFsync(t *testing.T) {
	dir := t.TempDir()
	sp := newSpy()
	sp.failSync = 3
	w, _, err := OpenWAL(dir, WALOptions{WrapFile: sp.wrap})
	require.NoError(t, err)
	require.NoError(t, appendWait(w, versionRec("a", 1)))
	require.NoError(t, appendWait(w, versionRec("b", 1)))
	err = appendWait(w, versionRec("c", 1))
	require.ErrorIs(t, err, ErrLogFailed)
	require.ErrorIs(t, err, errInjected)
	require.ErrorContains(t, err, "fsync 000001.log")
	require.True(t, w.Stats().Failed)

	// Every later append fails, although the disk would now accept it.
	for i := range 3 {
		err := appendWait(w, versionRec("d", i))
		require.ErrorIs(t, err, ErrLogFailed)
		require.ErrorIs(t, err, errInjected)
	}
	require.ErrorIs(t, compactWait(w, nil), ErrLogFailed)
	require.Equal(t, uint64(2), w.Stats().Records)
	require.Equal(t, 3, sp.syncs, "no fsync after the failure")
	require.ErrorIs(t, w.Close(), ErrLogFailed)
	require.ErrorIs(t, appendWait(w, versionRec("e", 1)), ErrClosed)

	// A restart recovers what the disk holds: at least what was acknowledged.
	_, got := openWAL(t, dir, WALOptions{})
	require.GreaterOrEqual(t, len(got), 2)
	sameRecords(t, []core.Record{versionRec("a", 1), versionRec("b", 1)}, got[:2])
}

// TestWALFailedFsyncFailsWholeBatch: every append of a batch and every append
// queued behind it fails.
func TestWALFailedFsyncFailsWholeBatch(t *testing.T) {
	sp := newSpy()
	sp.failSync = 2
	sp.gate = make(chan struct{})
	w, _ := openWAL(t, t.TempDir(), WALOptions{WrapFile: sp.wrap, MaxBatchDelay: -1})
	results := make(chan error, 100)
	w.Append([]core.Record{versionRec("first", 0)}, func(err error) { results <- err })
	sp.gate <- struct{}{} // sync 1 succeeds
	require.NoError(t, <-results)
	w.Append([]core.Record{versionRec("x", 0)}, func(err error) { results <- err })
	// The writer is blocked in sync 2 with one append; queue more behind it.
	require.Eventually(t, func() bool { return w.Stats().Batches == 2 }, 5*time.Second, time.Millisecond)
	for i := range 20 {
		w.Append([]core.Record{versionRec("y", i)}, func(err error) { results <- err })
	}
	close(sp.gate)
	for range 21 {
		require.ErrorIs(t, <-results, ErrLogFailed)
	}
	require.Equal(t, uint64(1), w.Stats().Records)
}

func TestWALBacklog(t *testing.T) {
	sp := newSpy()
	sp.gate = make(chan struct{})
	w, _ := openWAL(t, t.TempDir(), WALOptions{WrapFile: sp.wrap, MaxQueueBytes: 1000, MaxBatchDelay: -1})
	type result struct {
		i   int
		err error
	}
	results := make(chan result, 100)
	w.Append([]core.Record{versionRec("first", 0)}, func(err error) { results <- result{-1, err} })
	require.Eventually(t, func() bool { return w.Stats().Batches == 1 }, 5*time.Second, time.Millisecond)
	// The writer is stuck in its fsync: the queue fills, then refuses.
	for i := range 20 {
		w.Append([]core.Record{versionRec("k", i)}, func(err error) { results <- result{i, err} })
	}
	close(sp.gate)
	require.NoError(t, (<-results).err)
	recSize := len(AppendRecord(nil, versionRec("k", 1)))
	fit := (1000 + recSize - 1) / recSize
	for i := range 20 {
		r := <-results
		require.Equal(t, i, r.i, "in order")
		if i < fit {
			require.NoError(t, r.err, "append %d", i)
		} else {
			require.ErrorIs(t, r.err, ErrBacklog, "append %d", i)
		}
	}
	require.Equal(t, uint64(20-fit), w.Stats().Backlogged)
	// The log is fine once the disk catches up.
	require.NoError(t, appendWait(w, versionRec("later", 0)))
}

func TestWALCloseFlushes(t *testing.T) {
	dir := t.TempDir()
	w, _, err := OpenWAL(dir, WALOptions{MaxBatchDelay: 50 * time.Millisecond})
	require.NoError(t, err)
	var acked atomic.Int64
	var want []core.Record
	for i := range 100 {
		want = append(want, versionRec("k", i))
		w.Append(want[i:i+1], func(err error) {
			if err == nil {
				acked.Add(1)
			}
		})
	}
	require.NoError(t, w.Close())
	require.Equal(t, int64(100), acked.Load(), "Close returns after every done")
	require.ErrorIs(t, appendWait(w, versionRec("late", 0)), ErrClosed)
	require.ErrorIs(t, compactWait(w, nil), ErrClosed)
	require.NoError(t, w.Close())
	_, got := openWAL(t, dir, WALOptions{})
	sameRecords(t, want, got)
}

func TestWALLocked(t *testing.T) {
	dir := t.TempDir()
	w, _ := openWAL(t, dir, WALOptions{})
	_, _, err := OpenWAL(dir, WALOptions{})
	require.ErrorContains(t, err, "in use")
	require.NoError(t, w.Close())
	openWAL(t, dir, WALOptions{})
}

// TestWALAppendReusesCallerRecords: Append encodes at once, so a driver may
// hand it a Persist's records, which the node reuses at its next Step.
func TestWALAppendReusesCallerRecords(t *testing.T) {
	dir := t.TempDir()
	w, _ := openWAL(t, dir, WALOptions{MaxBatchDelay: 20 * time.Millisecond})
	buf := []core.Record{versionRec("a", 1)}
	var wg sync.WaitGroup
	wg.Add(1)
	w.Append(buf, func(error) { wg.Done() })
	buf[0] = versionRec("b", 2) // the caller reuses its buffer at once
	wg.Wait()
	require.NoError(t, w.Close())
	_, got := openWAL(t, dir, WALOptions{})
	sameRecords(t, []core.Record{versionRec("a", 1)}, got)
}
