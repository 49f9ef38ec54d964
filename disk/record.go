package disk

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/core/causality"
)

// A frame is: payload length (uint32, little endian), CRC32C of the payload
// (uint32, little endian), payload. The payload starts with a format byte so the
// encoding can evolve without misreading old logs.
const (
	frameHeader   = 8
	payloadFormat = 1
	// MaxRecordBytes bounds one record: a length field above it can only be
	// corruption, and refusing it keeps recovery from allocating on a lie.
	MaxRecordBytes = 64 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// AppendRecord appends one framed record to dst.
func AppendRecord(dst []byte, r core.Record) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, frameHeader)...)
	dst = append(dst, payloadFormat, byte(r.Kind))
	switch r.Kind {
	case core.RecordVersions:
		dst = binary.AppendUvarint(dst, uint64(len(r.Key)))
		dst = append(dst, r.Key...)
		dst = causality.AppendVersions(dst, r.Versions)
	case core.RecordIncarnation:
		dst = binary.AppendUvarint(dst, uint64(r.Incarnation))
	default:
		panic(fmt.Sprintf("disk: record of unknown kind %d", r.Kind))
	}
	payload := dst[start+frameHeader:]
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(dst[start+4:], crc32.Checksum(payload, castagnoli))
	return dst
}

// DecodePayload parses one record payload (without its frame).
func DecodePayload(p []byte) (core.Record, error) {
	if len(p) < 2 {
		return core.Record{}, fmt.Errorf("payload of %d bytes is too short", len(p))
	}
	if p[0] != payloadFormat {
		return core.Record{}, fmt.Errorf("unknown payload format %d", p[0])
	}
	r := core.Record{Kind: core.RecordKind(p[1])}
	rest := p[2:]
	switch r.Kind {
	case core.RecordVersions:
		n, k := binary.Uvarint(rest)
		if k <= 0 || n > uint64(len(rest)-k) {
			return core.Record{}, fmt.Errorf("bad key length")
		}
		r.Key = string(rest[k : k+int(n)])
		rest = rest[k+int(n):]
		vs, used, err := causality.DecodeVersions(rest)
		if err != nil {
			return core.Record{}, fmt.Errorf("versions of key %q: %w", r.Key, err)
		}
		r.Versions, rest = vs, rest[used:]
	case core.RecordIncarnation:
		n, k := binary.Uvarint(rest)
		if k <= 0 || n > 1<<32-1 {
			return core.Record{}, fmt.Errorf("bad incarnation")
		}
		r.Incarnation, rest = uint32(n), rest[k:]
	default:
		return core.Record{}, fmt.Errorf("unknown record kind %d", r.Kind)
	}
	if len(rest) != 0 {
		return core.Record{}, fmt.Errorf("%d trailing bytes after a %d record", len(rest), r.Kind)
	}
	return r, nil
}
