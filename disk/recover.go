package disk

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/dynamo-replay/dynamo/core"
)

// CorruptionError reports a damaged record that is not the log's last: a torn
// write can only damage the tail, so damage before it means the disk lied, and
// recovery stops rather than skip data silently.
type CorruptionError struct {
	File   string // set by callers that know it
	Offset int
	Reason string
}

func (e *CorruptionError) Error() string {
	name := e.File
	if name == "" {
		name = "log"
	}
	return fmt.Sprintf("%s: corrupt record at offset %d: %s", name, e.Offset, e.Reason)
}

// Recovery is what Recover found.
type Recovery struct {
	core.Recovered
	// Valid is the length of the intact prefix; a log should be truncated to it
	// before new records are appended.
	Valid int
	// TornBytes counts bytes of a torn last record dropped from the tail.
	TornBytes int
}

// Recover parses a whole log. A torn tail (a last record cut short, or a last
// record whose checksum fails) is dropped and reported in TornBytes. A damaged
// record followed by more data is a *CorruptionError.
func Recover(log []byte) (Recovery, error) {
	var rec Recovery
	off := 0
	for off < len(log) {
		if len(log)-off < frameHeader || allZero(log[off:]) {
			// A torn header, or a tail some file systems zero-fill when a
			// crash interrupts an append. No real frame is all zeros: its
			// payload starts with a format byte.
			break
		}
		size := int(binary.LittleEndian.Uint32(log[off:]))
		sum := binary.LittleEndian.Uint32(log[off+4:])
		if size > MaxRecordBytes {
			return rec, &CorruptionError{Offset: off, Reason: fmt.Sprintf("length %d exceeds the %d-byte limit", size, MaxRecordBytes)}
		}
		if !headerOK(log[off:]) {
			// A crash can garble the last header; damage followed by an
			// intact record cannot be a crash.
			if validFrameAfter(log, off+1) {
				return rec, &CorruptionError{Offset: off, Reason: "header checksum mismatch"}
			}
			break
		}
		end := off + frameHeader + size
		if end > len(log) {
			break // torn payload
		}
		payload := log[off+frameHeader : end]
		if crc32.Checksum(payload, castagnoli) != sum {
			if end == len(log) {
				break // the last record was torn inside its payload
			}
			return rec, &CorruptionError{Offset: off, Reason: "checksum mismatch"}
		}
		r, err := DecodePayload(payload)
		if err != nil {
			return rec, &CorruptionError{Offset: off, Reason: err.Error()}
		}
		rec.Records = append(rec.Records, r)
		off = end
	}
	rec.Valid = off
	rec.TornBytes = len(log) - off
	return rec, nil
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

func headerOK(b []byte) bool {
	return crc32.Checksum(b[:8], castagnoli) == binary.LittleEndian.Uint32(b[8:])
}

// validFrameAfter reports whether an intact frame starts at any offset from
// from on: evidence that damage before it is not a torn tail.
func validFrameAfter(log []byte, from int) bool {
	for off := from; off+frameHeader <= len(log); off++ {
		if !headerOK(log[off:]) {
			continue
		}
		size := int(binary.LittleEndian.Uint32(log[off:]))
		end := off + frameHeader + size
		if size >= 2 && end <= len(log) && crc32.Checksum(log[off+frameHeader:end], castagnoli) == binary.LittleEndian.Uint32(log[off+4:]) {
			return true
		}
	}
	return false
}
