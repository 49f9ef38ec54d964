package disk

import (
	"errors"

	"encoding/binary"
	"fmt"
	"github.com/dynamo-replay/dynamo/internal/wire"
	"hash/crc32"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/core/causality"
)

// A frame is: payload length, CRC32C of the payload, CRC32C of those first 8
// header bytes (each uint32, little endian), then the payload. The header's
// own checksum lets recovery tell a damaged length (corruption) from a record
// cut short by a crash (a torn tail): without it, a length flipped to point
// past the end would pass for a torn write and silently drop every record
// after it. The payload starts with a format byte so the encoding can evolve
// without misreading old logs.
const (
	frameHeader   = 12
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
	case core.RecordHint:
		dst = binary.AppendUvarint(dst, uint64(r.Owner))
		dst = binary.AppendUvarint(dst, uint64(len(r.Key)))
		dst = append(dst, r.Key...)
		dst = causality.AppendVersions(dst, r.Versions)
	case core.RecordHintDelete:
		dst = binary.AppendUvarint(dst, uint64(r.Owner))
		dst = binary.AppendUvarint(dst, uint64(len(r.Key)))
		dst = append(dst, r.Key...)
	case core.RecordMembership:
		dst = appendMembership(dst, r.Membership)
	default:
		panic(fmt.Sprintf("disk: record of unknown kind %d", r.Kind))
	}
	payload := dst[start+frameHeader:]
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(dst[start+4:], crc32.Checksum(payload, castagnoli))
	binary.LittleEndian.PutUint32(dst[start+8:], crc32.Checksum(dst[start:start+8], castagnoli))
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
	var err error
	switch r.Kind {
	case core.RecordVersions:
		if r.Key, rest, err = decodeKey(rest); err != nil {
			return core.Record{}, err
		}
		if r.Versions, rest, err = decodeVersions(r.Key, rest); err != nil {
			return core.Record{}, err
		}
	case core.RecordMembership:
		if r.Membership, rest, err = decodeMembership(rest); err != nil {
			return core.Record{}, err
		}
	case core.RecordHint, core.RecordHintDelete:
		owner, k, err := uvarint(rest, "hint owner", uint64(^core.NodeID(0)))
		if err != nil {
			return core.Record{}, err
		}
		r.Owner, rest = core.NodeID(owner), rest[k:]
		if r.Key, rest, err = decodeKey(rest); err != nil {
			return core.Record{}, err
		}
		if r.Kind == core.RecordHint {
			if r.Versions, rest, err = decodeVersions(r.Key, rest); err != nil {
				return core.Record{}, err
			}
		}
	case core.RecordIncarnation:
		n, k, err := uvarint(rest, "incarnation", 1<<32-1)
		if err != nil {
			return core.Record{}, err
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

func decodeKey(b []byte) (string, []byte, error) {
	n, k, err := uvarint(b, "key length", uint64(len(b)))
	if err != nil {
		return "", nil, err
	}
	if n > uint64(len(b)-k) {
		return "", nil, fmt.Errorf("key length %d exceeds the %d bytes left", n, len(b)-k)
	}
	return string(b[k : k+int(n)]), b[k+int(n):], nil
}

// uvarint reads a varint that must be minimally encoded and at most limit:
// every value has exactly one encoding, so a record re-encodes to the bytes
// it was read from.
func uvarint(b []byte, what string, limit uint64) (uint64, int, error) {
	v, k, err := wire.Uvarint(b)
	switch {
	case errors.Is(err, wire.ErrTruncated):
		return 0, 0, fmt.Errorf("truncated %s", what)
	case errors.Is(err, wire.ErrOverflow):
		return 0, 0, fmt.Errorf("%s overflows 64 bits", what)
	case err != nil:
		return 0, 0, fmt.Errorf("non-minimal encoding of %s", what)
	case v > limit:
		return 0, 0, fmt.Errorf("%s %d exceeds %d", what, v, limit)
	}
	return v, k, nil
}

func decodeVersions(key string, b []byte) ([]core.Version, []byte, error) {
	vs, used, err := causality.DecodeVersions(b)
	if err != nil {
		return nil, nil, fmt.Errorf("versions of key %q: %w", key, err)
	}
	return vs, b[used:], nil
}
