package disk

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/core/causality"
)

// frame wraps payload the way AppendRecord does, so that tests can write
// records AppendRecord never would (bad payloads with good checksums).
func frame(dst, payload []byte) []byte {
	start := len(dst)
	table := crc32.MakeTable(crc32.Castagnoli)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(payload)))
	dst = binary.LittleEndian.AppendUint32(dst, crc32.Checksum(payload, table))
	dst = binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:start+8], table))
	return append(dst, payload...)
}

// encodeAll is the log AppendRecord makes of recs.
func encodeAll(recs []core.Record) []byte {
	var log []byte
	for _, r := range recs {
		log = AppendRecord(log, r)
	}
	return log
}

// boundaries returns the offset at which each record of log starts, and
// len(log) last.
func boundaries(recs []core.Record) []int {
	out := []int{0}
	n := 0
	for _, r := range recs {
		n = len(AppendRecord(nil, r)) + n
		out = append(out, n)
	}
	return out
}

// genVersions draws a sibling set the way nodes make them: versions created by
// NewVersion at a few actors from contexts of earlier states, merged.
func genVersions(t *rapid.T, label string) []core.Version {
	mode := rapid.SampledFrom([]causality.Mode{causality.DVV, causality.VC, causality.LWW}).Draw(t, label+" mode")
	m := causality.New(mode, causality.Options{VCMaxEntries: rapid.IntRange(0, 4).Draw(t, label+" vcmax")})
	actors := rapid.IntRange(1, 4).Draw(t, label+" actors")
	states := [][]core.Version{nil}
	var set []core.Version
	for i := range rapid.IntRange(0, 12).Draw(t, label+" writes") {
		base := rapid.SampledFrom(states).Draw(t, label+" base")
		actor := causality.Actor(uint64(rapid.IntRange(1, actors).Draw(t, label+" actor"))<<32 | uint64(rapid.Uint32Range(1, 3).Draw(t, label+" incarnation")))
		var value []byte
		if rapid.Bool().Draw(t, label+" has value") {
			value = rapid.SliceOfN(rapid.Byte(), 1, 40).Draw(t, label+" value")
		}
		wall := rapid.Int64().Draw(t, label+" wall")
		v := m.NewVersion(set, m.Context(base), actor, wall, value, rapid.Bool().Draw(t, label+" deleted"))
		set = m.Merge(set, []core.Version{v})
		states = append(states, set)
		_ = i
	}
	return set
}

// genRecord draws a record of any kind.
func genRecord(t *rapid.T, label string) core.Record {
	kind := rapid.SampledFrom([]core.RecordKind{
		core.RecordVersions, core.RecordIncarnation, core.RecordHint, core.RecordHintDelete,
	}).Draw(t, label+" kind")
	r := core.Record{Kind: kind}
	switch kind {
	case core.RecordIncarnation:
		r.Incarnation = rapid.Uint32().Draw(t, label+" incarnation")
		return r
	case core.RecordHint, core.RecordHintDelete:
		r.Owner = core.NodeID(rapid.Uint16().Draw(t, label+" owner"))
	}
	r.Key = rapid.StringN(0, 20, -1).Draw(t, label+" key")
	if kind != core.RecordHintDelete {
		r.Versions = genVersions(t, label)
	}
	return r
}

func genRecords(t *rapid.T) []core.Record {
	n := rapid.IntRange(0, 8).Draw(t, "records")
	recs := make([]core.Record, n)
	for i := range recs {
		recs[i] = genRecord(t, fmt.Sprintf("r%d", i))
	}
	return recs
}

func TestAppendRecoverRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		recs := genRecords(t)
		log := encodeAll(recs)
		got, err := Recover(log)
		require.NoError(t, err)
		require.Equal(t, len(log), got.Valid)
		require.Zero(t, got.TornBytes)
		require.Len(t, got.Records, len(recs))
		for i := range recs {
			want, have := recs[i], got.Records[i]
			require.Equal(t, want.Kind, have.Kind, "record %d", i)
			require.Equal(t, want.Key, have.Key, "record %d", i)
			require.Equal(t, want.Incarnation, have.Incarnation, "record %d", i)
			require.Equal(t, want.Owner, have.Owner, "record %d", i)
			require.Equal(t, normalize(want.Versions), normalize(have.Versions), "record %d", i)
			require.True(t, causality.SameSet(want.Versions, have.Versions), "record %d", i)
		}
		require.Equal(t, log, encodeAll(got.Records), "re-encoding what was recovered gives the log back")
		// Appending to a recovered log is appending to the original.
		more := genRecord(t, "more")
		again, err := Recover(AppendRecord(log[:got.Valid:got.Valid], more))
		require.NoError(t, err)
		require.Len(t, again.Records, len(recs)+1)
	})
}

// normalize makes empty and nil slices compare equal: the decoder returns nil
// for empty values and clocks.
func normalize(vs []core.Version) []core.Version {
	if len(vs) == 0 {
		return nil
	}
	out := slices.Clone(vs)
	for i := range out {
		if len(out[i].Value) == 0 {
			out[i].Value = nil
		}
		if len(out[i].Clock) == 0 {
			out[i].Clock = nil
		}
	}
	return out
}

func TestAppendRecordLayout(t *testing.T) {
	inc := AppendRecord(nil, core.Record{Kind: core.RecordIncarnation, Incarnation: 300})
	require.Equal(t, []byte{
		4, 0, 0, 0, // payload length
		0, 0, 0, 0, // payload checksum, checked below
		0, 0, 0, 0, // header checksum, checked below
		1,          // payload format
		2,          // kind: incarnation
		0xac, 0x02, // uvarint 300
	}[frameHeader:], inc[frameHeader:])
	table := crc32.MakeTable(crc32.Castagnoli)
	require.Equal(t, uint32(4), binary.LittleEndian.Uint32(inc))
	require.Equal(t, crc32.Checksum(inc[frameHeader:], table), binary.LittleEndian.Uint32(inc[4:]))
	require.Equal(t, crc32.Checksum(inc[:8], table), binary.LittleEndian.Uint32(inc[8:]))

	// AppendRecord appends: it leaves what dst held alone.
	prefix := []byte("prefix")
	out := AppendRecord(slices.Clone(prefix), core.Record{Kind: core.RecordVersions, Key: "k"})
	require.Equal(t, prefix, out[:len(prefix)])
	r, err := DecodePayload(out[len(prefix)+frameHeader:])
	require.NoError(t, err)
	require.Equal(t, core.Record{Kind: core.RecordVersions, Key: "k"}, r)

	require.Panics(t, func() { AppendRecord(nil, core.Record{Kind: 9}) })
}

func TestDecodePayloadRejects(t *testing.T) {
	inc := AppendRecord(nil, core.Record{Kind: core.RecordIncarnation, Incarnation: 7})[frameHeader:]
	ver := AppendRecord(nil, core.Record{Kind: core.RecordVersions, Key: "key",
		Versions: []core.Version{{Dot: causality.Dot{Actor: 1<<32 | 1, Counter: 1}, Value: []byte("v")}}})[frameHeader:]
	hint := AppendRecord(nil, core.Record{Kind: core.RecordHint, Owner: 5, Key: "key",
		Versions: []core.Version{{Dot: causality.Dot{Actor: 1<<32 | 1, Counter: 1}, Value: []byte("v")}}})[frameHeader:]
	hintDel := AppendRecord(nil, core.Record{Kind: core.RecordHintDelete, Owner: 5, Key: "key"})[frameHeader:]
	with := func(p []byte, i int, b byte) []byte { p = slices.Clone(p); p[i] = b; return p }
	tests := []struct {
		name    string
		payload []byte
		want    string
	}{
		{"empty", nil, "payload of 0 bytes is too short"},
		{"format only", []byte{1}, "payload of 1 bytes is too short"},
		{"unknown format", with(inc, 0, 2), "unknown payload format 2"},
		{"format zero", with(inc, 0, 0), "unknown payload format 0"},
		{"unknown kind", with(inc, 1, 100), "unknown record kind 100"},
		{"kind 255", with(inc, 1, 255), "unknown record kind 255"},
		{"kind zero", with(inc, 1, 0), "unknown record kind 0"},
		{"trailing after incarnation", append(slices.Clone(inc), 0), "1 trailing bytes after a 2 record"},
		{"trailing after versions", append(slices.Clone(ver), 0, 0), "2 trailing bytes after a 1 record"},
		{"incarnation missing", inc[:2], "truncated incarnation"},
		{"incarnation cut", []byte{1, 2, 0x80}, "truncated incarnation"},
		{"incarnation over 32 bits", binary.AppendUvarint([]byte{1, 2}, 1<<32), "incarnation 4294967296 exceeds 4294967295"},
		{"key length missing", ver[:2], "truncated key length"},
		{"key length beyond payload", with(ver, 2, 100), "key length 100 exceeds"},
		{"versions missing", ver[:2+1+3], `versions of key "key"`},
		{"versions malformed", with(ver, 6, 9), `versions of key "key": causality: malformed encoding`},
		{"hint owner missing", hint[:2], "truncated hint owner"},
		{"hint owner above 16 bits", binary.AppendUvarint([]byte{1, 3}, 1<<16), "hint owner 65536 exceeds 65535"},
		{"hint key length beyond payload", with(hint, 3, 100), "key length 100 exceeds"},
		{"hint versions missing", hint[:2+1+1+3], `versions of key "key"`},
		{"hint delete owner above 16 bits", binary.AppendUvarint([]byte{1, 4}, 1<<20), "hint owner 1048576 exceeds 65535"},
		{"hint delete key cut", hintDel[:len(hintDel)-1], "key length 3 exceeds"},
		{"trailing after hint delete", append(slices.Clone(hintDel), 7), "1 trailing bytes after a 4 record"},
		{"trailing after hint", append(slices.Clone(hint), 7), "1 trailing bytes after a 3 record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodePayload(tt.payload)
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.want)
		})
	}
	// The unmodified payloads decode.
	for _, p := range [][]byte{inc, ver, hint, hintDel} {
		_, err := DecodePayload(p)
		require.NoError(t, err)
	}
}

// TestDecodePayloadIsCanonical: like the causality codecs, a payload decoder
// should accept exactly the bytes the encoder produces, so that re-encoding a
// recovered log gives it back byte for byte. The key length, incarnation,
// hint owner and membership varints accept non-minimal encodings.
func TestDecodePayloadIsCanonical(t *testing.T) {
	for name, payload := range map[string][]byte{
		"incarnation": {1, 2, 0x87, 0x00},
		"key length":  {1, 1, 0x81, 0x00, 'k', 1, 0},
		"hint owner":  {1, 4, 0x85, 0x00, 1, 'k'},
		"membership":  {1, 5, 0x83, 0x00, 8, 0x80, 0x02, 0, 0},
	} {
		t.Run(name, func(t *testing.T) {
			r, err := DecodePayload(payload)
			if err == nil {
				require.Equal(t, payload, AppendRecord(nil, r)[8:], "decoded %+v from a non-canonical payload", r)
			}
			require.Error(t, err)
			require.Contains(t, err.Error(), "non-minimal")
		})
	}
}
