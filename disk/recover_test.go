package disk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/core/causality"
)

// sampleRecords is a small log with every kind of record.
func sampleRecords() []core.Record {
	m := causality.New(causality.DVV, causality.Options{})
	a := m.NewVersion(nil, nil, 1<<32|1, 1_700_000_000_000_000_000, []byte("alpha"), false)
	b := m.NewVersion(nil, m.Context([]core.Version{a}), 2<<32|1, 1_700_000_000_000_000_001, []byte("beta"), false)
	c := m.NewVersion(nil, nil, 3<<32|2, 1_700_000_000_000_000_002, nil, true)
	return []core.Record{
		{Kind: core.RecordIncarnation, Incarnation: 1},
		{Kind: core.RecordVersions, Key: "cart:7", Versions: m.Merge([]core.Version{a}, []core.Version{b, c})},
		{Kind: core.RecordHint, Key: "cart:9", Owner: 4, Versions: []core.Version{b}},
		{Kind: core.RecordHintDelete, Key: "cart:9", Owner: 4},
		{Kind: core.RecordVersions, Key: "user:42", Versions: []core.Version{a}},
	}
}

func TestRecoverEmptyLog(t *testing.T) {
	for _, log := range [][]byte{nil, {}} {
		rec, err := Recover(log)
		require.NoError(t, err)
		require.Equal(t, Recovery{}, rec)
	}
}

// TestRecoverTornTail cuts the last record at every byte: the cut record is
// dropped, TornBytes counts its bytes and Valid is where it began.
func TestRecoverTornTail(t *testing.T) {
	recs := sampleRecords()
	log := encodeAll(recs)
	bounds := boundaries(recs)
	last := bounds[len(bounds)-2]
	for cut := last + 1; cut < len(log); cut++ {
		rec, err := Recover(log[:cut])
		require.NoError(t, err, "cut at %d", cut)
		require.Equal(t, last, rec.Valid, "cut at %d", cut)
		require.Equal(t, cut-last, rec.TornBytes, "cut at %d", cut)
		require.Equal(t, recs[:len(recs)-1], rec.Records, "cut at %d", cut)
	}
	// Cut exactly at a boundary, nothing is torn.
	for i, b := range bounds {
		rec, err := Recover(log[:b])
		require.NoError(t, err)
		require.Equal(t, b, rec.Valid)
		require.Zero(t, rec.TornBytes)
		require.Len(t, rec.Records, i)
	}
}

func TestRecoverTornTailProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		recs := genRecords(t)
		if len(recs) == 0 {
			recs = append(recs, genRecord(t, "only"))
		}
		log := encodeAll(recs)
		bounds := boundaries(recs)
		last := bounds[len(bounds)-2]
		cut := rapid.IntRange(last+1, len(log)-1).Draw(t, "cut")
		rec, err := Recover(log[:cut])
		require.NoError(t, err)
		require.Equal(t, last, rec.Valid)
		require.Equal(t, cut-last, rec.TornBytes)
		require.Len(t, rec.Records, len(recs)-1)
		require.Equal(t, string(log[:last]), string(encodeAll(rec.Records)))
	})
}

// TestRecoverBadChecksumAtTail: a last record whose payload or checksum is
// damaged is a torn write, not corruption.
func TestRecoverBadChecksumAtTail(t *testing.T) {
	recs := sampleRecords()
	log := encodeAll(recs)
	bounds := boundaries(recs)
	last := bounds[len(bounds)-2]
	for i := last + 4; i < len(log); i++ { // the checksum and the payload
		for _, flip := range []byte{0x01, 0x80, 0xff} {
			bad := slices.Clone(log)
			bad[i] ^= flip
			rec, err := Recover(bad)
			require.NoError(t, err, "byte %d ^ %#x", i, flip)
			require.Equal(t, last, rec.Valid)
			require.Equal(t, len(log)-last, rec.TornBytes)
			require.Equal(t, recs[:len(recs)-1], rec.Records)
		}
	}
}

// TestRecoverCorruptMiddleRecord flips each checksum and payload byte of
// every record but the last: recovery stops with a *CorruptionError at that
// record's offset, returns the records before it, and skips nothing silently.
func TestRecoverCorruptMiddleRecord(t *testing.T) {
	recs := sampleRecords()
	log := encodeAll(recs)
	bounds := boundaries(recs)
	for r := 0; r < len(recs)-1; r++ {
		corruptRecord(t, recs, log, r, bounds[r], bounds[r+1])
	}
	// The file name, when the caller knows it, leads the message.
	err := &CorruptionError{File: "wal-0001", Offset: 12, Reason: "x"}
	require.Equal(t, "wal-0001: corrupt record at offset 12: x", err.Error())
}

func corruptRecord(t *testing.T, recs []core.Record, log []byte, r, start, end int) {
	for i := start + 4; i < end; i++ {
		for _, flip := range []byte{0x01, 0x80, 0xff} {
			bad := slices.Clone(log)
			bad[i] ^= flip
			rec, err := Recover(bad)
			var ce *CorruptionError
			require.True(t, errors.As(err, &ce), "byte %d ^ %#x: %v", i, flip, err)
			require.Equal(t, start, ce.Offset)
			// Damage to the payload checksum shows in the header's checksum,
			// which covers it; damage to the payload in the payload's.
			require.Contains(t, []string{"checksum mismatch", "header checksum mismatch"}, ce.Reason)
			require.Equal(t, fmt.Sprintf("log: corrupt record at offset %d: %s", start, ce.Reason), err.Error())
			require.Equal(t, slices.Clip(recs[:r]), append([]core.Record{}, rec.Records...), "the records before the damage are kept")
		}
	}
}

// TestRecoverShortLengthInMiddle: a length field that shrank makes the
// checksum cover the wrong bytes, with data after it: corruption.
func TestRecoverShortLengthInMiddle(t *testing.T) {
	recs := sampleRecords()
	log := encodeAll(recs)
	start := boundaries(recs)[1]
	for size := range int(binary.LittleEndian.Uint32(log[start:])) {
		bad := slices.Clone(log)
		binary.LittleEndian.PutUint32(bad[start:], uint32(size))
		_, err := Recover(bad)
		var ce *CorruptionError
		require.True(t, errors.As(err, &ce), "length %d: %v", size, err)
		require.Equal(t, start, ce.Offset)
	}
}

func TestRecoverLengthAboveLimit(t *testing.T) {
	recs := sampleRecords()
	log := encodeAll(recs)
	for _, at := range []int{0, boundaries(recs)[1], boundaries(recs)[2]} {
		for _, size := range []uint32{MaxRecordBytes + 1, 1 << 31, 1<<32 - 1} {
			bad := slices.Clone(log)
			binary.LittleEndian.PutUint32(bad[at:], size)
			rec, err := Recover(bad)
			var ce *CorruptionError
			require.True(t, errors.As(err, &ce), "length %d at %d: %v", size, at, err)
			require.Equal(t, at, ce.Offset)
			require.Contains(t, err.Error(), fmt.Sprintf("offset %d: length %d exceeds the %d-byte limit", at, size, MaxRecordBytes))
			require.Len(t, rec.Records, slices.Index(boundaries(recs), at))
		}
	}
	// At the limit itself, a length that runs past the end is a torn tail.
	bad := binary.LittleEndian.AppendUint32(nil, MaxRecordBytes)
	bad = append(bad, 0, 0, 0, 0, 1)
	rec, err := Recover(bad)
	require.NoError(t, err)
	require.Equal(t, 0, rec.Valid)
	require.Equal(t, len(bad), rec.TornBytes)
}

// TestRecoverUndecodablePayload: a record whose checksum matches but whose
// payload does not decode is corruption wherever it is: no torn write makes a
// matching checksum.
func TestRecoverUndecodablePayload(t *testing.T) {
	recs := sampleRecords()
	good := encodeAll(recs[:1])
	for _, tail := range []bool{false, true} {
		log := frame(slices.Clone(good), []byte{1, 9, 0})
		if !tail {
			log = append(log, encodeAll(recs[1:])...)
		}
		rec, err := Recover(log)
		var ce *CorruptionError
		require.True(t, errors.As(err, &ce), "%v", err)
		require.Equal(t, len(good), ce.Offset)
		require.Equal(t, "unknown record kind 9", ce.Reason)
		require.Equal(t, recs[:1], rec.Records)
	}
}

// TestRecoverFlippedLengthInMiddle flips each byte of the middle record's
// length field. A length that grows past the end of the log makes the rest
// of the log look like one torn record, and every record after the damaged
// one is dropped without an error.
func TestRecoverFlippedLengthInMiddle(t *testing.T) {
	recs := sampleRecords()
	log := encodeAll(recs)
	start := boundaries(recs)[1]
	for i := start; i < start+4; i++ {
		bad := slices.Clone(log)
		bad[i] ^= 0xff
		rec, err := Recover(bad)
		require.Error(t, err, "byte %d: recovered %d records, Valid=%d, TornBytes=%d", i, len(rec.Records), rec.Valid, rec.TornBytes)
	}
}

// TestRecoverZeroFilledTail: file systems can leave a crashed append as
// zeros (the size was updated, the data was not). A zero frame has length 0
// and checksum 0, which is the CRC32C of nothing, so it passes the checksum
// and fails to decode, and recovery refuses the whole log.
func TestRecoverZeroFilledTail(t *testing.T) {
	good := encodeAll(sampleRecords())
	for _, zeros := range []int{8, 9, 64} {
		rec, err := Recover(append(slices.Clone(good), make([]byte, zeros)...))
		require.NoError(t, err, "%d zero bytes", zeros)
		require.Equal(t, len(good), rec.Valid)
		require.Equal(t, zeros, rec.TornBytes)
	}
}

// TestRecoverFeedsNode: what Recover returns is what core.New takes.
func TestRecoverFeedsNode(t *testing.T) {
	recs := sampleRecords()
	rec, err := Recover(encodeAll(recs))
	require.NoError(t, err)
	require.Equal(t, core.Recovered{Records: recs}, rec.Recovered)
}
