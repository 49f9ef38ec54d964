package disk

import (
	"encoding/binary"
	"errors"
	"slices"
	"testing"

	"github.com/dynamo-replay/dynamo/core"
)

// FuzzRecover feeds arbitrary bytes to Recover twice: as a whole log, and as
// the payload of one correctly framed record, so that the fuzzer reaches the
// payload decoder without having to forge checksums. Recover must never
// panic; what it accepts must re-encode to exactly the bytes it accepted; and
// on corruption, the records it returns must be exactly the ones before the
// damaged offset.
//
// The committed corpus is in testdata/fuzz/FuzzRecover; `go test` runs it.
func FuzzRecover(f *testing.F) {
	recs := sampleRecords()
	log := encodeAll(recs)
	f.Add([]byte{})
	f.Add(log)
	f.Add(log[:len(log)-3])
	f.Add(AppendRecord(nil, recs[1])[frameHeader:])
	f.Add(AppendRecord(nil, core.Record{Kind: core.RecordIncarnation, Incarnation: 1<<32 - 1})[frameHeader:])
	f.Add(frame(slices.Clone(log), nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkRecover(t, data)
		checkRecover(t, frame(nil, data))
	})
}

func checkRecover(t *testing.T, log []byte) {
	rec, err := Recover(log)
	if err != nil {
		var ce *CorruptionError
		if !errors.As(err, &ce) {
			t.Fatalf("Recover error %T %v, want *CorruptionError", err, err)
		}
		if ce.Offset < 0 || ce.Offset >= len(log) {
			t.Fatalf("corruption at offset %d of a %d-byte log", ce.Offset, len(log))
		}
		if got := encodeAll(rec.Records); string(got) != string(log[:ce.Offset]) {
			t.Fatalf("records returned with the error re-encode to %x, want the %d bytes before the damage %x", got, ce.Offset, log[:ce.Offset])
		}
		return
	}
	if rec.Valid < 0 || rec.Valid > len(log) || rec.Valid+rec.TornBytes != len(log) {
		t.Fatalf("Valid=%d TornBytes=%d for a %d-byte log", rec.Valid, rec.TornBytes, len(log))
	}
	if rec.TornBytes >= frameHeader && !allZero(log[rec.Valid:]) {
		// A torn frame is one whose header is damaged with no intact frame
		// after it, or one whose intact header declares an end at or past
		// the end of the log (cut short, or its last bytes damaged).
		tail := log[rec.Valid:]
		if headerOK(tail) {
			size := int(binary.LittleEndian.Uint32(tail))
			if rec.Valid+frameHeader+size < len(log) {
				t.Fatalf("torn record at %d declares %d bytes but %d follow", rec.Valid, size, len(tail)-frameHeader)
			}
		} else if validFrameAfter(log, rec.Valid+1) {
			t.Fatalf("damaged header at %d taken for a torn tail although an intact frame follows", rec.Valid)
		}
	}
	if got := encodeAll(rec.Records); string(got) != string(log[:rec.Valid]) {
		t.Fatalf("recovered records re-encode to %x, want log[:%d] = %x", got, rec.Valid, log[:rec.Valid])
	}
}
