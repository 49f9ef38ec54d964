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
		owner, k := binary.Uvarint(rest)
		if k <= 0 || owner > uint64(^core.NodeID(0)) {
			return core.Record{}, fmt.Errorf("bad hint owner")
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

func decodeKey(b []byte) (string, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return "", nil, fmt.Errorf("bad key length")
	}
	return string(b[k : k+int(n)]), b[k+int(n):], nil
}

func decodeVersions(key string, b []byte) ([]core.Version, []byte, error) {
	vs, used, err := causality.DecodeVersions(b)
	if err != nil {
		return nil, nil, fmt.Errorf("versions of key %q: %w", key, err)
	}
	return vs, b[used:], nil
}
