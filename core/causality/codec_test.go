package causality

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// Arbitrary canonical values, not realistic histories: the codec must carry
// anything the other functions accept, extremes included.
func genClock(t *rapid.T, label string) Clock {
	actors := rapid.SliceOfDistinct(rapid.Uint64(), rapid.ID[uint64]).Draw(t, label+" actors")
	slices.Sort(actors)
	var c Clock
	for _, a := range actors {
		c = append(c, Entry{
			Actor:   Actor(a),
			Counter: rapid.Uint64Min(1).Draw(t, label+" counter"),
			Wall:    rapid.Int64().Draw(t, label+" wall"),
		})
	}
	return c
}

func genVersion(t *rapid.T) Version {
	v := Version{
		Dot:     Dot{Actor: Actor(rapid.Uint64().Draw(t, "actor")), Counter: rapid.Uint64Min(1).Draw(t, "counter")},
		Clock:   genClock(t, "clock"),
		Wall:    rapid.Int64().Draw(t, "wall"),
		Deleted: rapid.Bool().Draw(t, "deleted"),
		Value:   rapid.SliceOfN(rapid.Byte(), 0, 64).Draw(t, "value"),
	}
	if len(v.Value) == 0 {
		v.Value = nil // what the decoder gives back
	}
	return v
}

func TestCodecRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		prefix := rapid.SliceOfN(rapid.Byte(), 0, 4).Draw(t, "prefix")
		suffix := rapid.SliceOfN(rapid.Byte(), 0, 4).Draw(t, "suffix")

		c := genClock(t, "c")
		enc := AppendClock(slices.Clone(prefix), c)
		require.Equal(t, prefix, enc[:len(prefix)], "Append must append")
		got, n, err := DecodeClock(append(enc[len(prefix):], suffix...))
		require.NoError(t, err)
		require.Equal(t, len(enc)-len(prefix), n)
		require.Equal(t, c, got)

		var vs []Version
		for range rapid.IntRange(0, 5).Draw(t, "versions") {
			vs = append(vs, genVersion(t))
		}
		enc = AppendVersions(slices.Clone(prefix), vs)
		body := append(slices.Clone(enc[len(prefix):]), suffix...)
		back, n, err := DecodeVersions(body)
		require.NoError(t, err)
		require.Equal(t, len(enc)-len(prefix), n)
		require.Equal(t, vs, back)
		require.Equal(t, enc[len(prefix):], AppendVersions(nil, back), "re-encoding is byte for byte")

		// Decoded values own their bytes: the buffer may be reused.
		for i := range body {
			body[i] = 0xff
		}
		require.Equal(t, vs, back)
	})
}

func TestCodecRoundTripHistories(t *testing.T) {
	for _, mode := range []Mode{DVV, VC, LWW} {
		m := New(mode, Options{})
		t.Run(mode.String(), rapid.MakeCheck(func(t *rapid.T) {
			s := genHistory(t, m).state(t, "s")
			back, n, err := DecodeVersions(AppendVersions(nil, s))
			require.NoError(t, err)
			require.Equal(t, len(AppendVersions(nil, s)), n)
			require.True(t, SameSet(s, back))
			require.Equal(t, Digest(s), Digest(back))
			requireCanonical(t, back)
		}))
	}
}

func uv(xs ...uint64) []byte {
	var b []byte
	for _, x := range xs {
		b = binary.AppendUvarint(b, x)
	}
	return b
}

func cat(parts ...[]byte) []byte { return slices.Concat(parts...) }

func TestDecodeClockMalformed(t *testing.T) {
	valid := AppendClock(nil, Clock{{1, 2, 3}, {5, 1, -4}})
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "empty input"},
		{"bad format byte", []byte{2, 0}, "unsupported format byte 0x2"},
		{"format only", []byte{1}, "clock entry count: input ends inside a varint"},
		{"truncated", valid[:len(valid)-1], "clock entry count: 2 exceeds the 1 that the remaining 5 bytes can hold"},
		{"truncated varint", cat([]byte{1}, uv(1, 1, 1), []byte{0x80}), "clock entry 0 wall: input ends inside a varint"},
		{"truncated entry", valid[:3], "clock entry count: 2 exceeds the 0 that the remaining 1 bytes can hold"},
		{"huge count", cat([]byte{1}, uv(math.MaxUint64)), "clock entry count: 18446744073709551615 exceeds"},
		{"count beyond input", cat([]byte{1}, uv(4, 1, 1, 0)), "clock entry count: 4 exceeds the 1 that"},
		{"unsorted", cat([]byte{1}, uv(2, 5, 1, 0, 4, 1, 0)), "clock entry 1 actor: actor 4 does not follow actor 5"},
		{"duplicate actor", cat([]byte{1}, uv(2, 5, 1, 0, 5, 2, 0)), "actor 5 does not follow actor 5"},
		{"zero counter", cat([]byte{1}, uv(1, 5, 0, 0)), "clock entry 0 counter: zero counter for actor 5"},
		{"varint overflow", cat([]byte{1, 1}, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, uv(1, 0)), "clock entry 0 actor: varint overflows 64 bits"},
		{"non-minimal varint", cat([]byte{1, 1}, []byte{0x85, 0x00}, uv(1, 0)), "clock entry 0 actor: non-minimal varint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, n, err := DecodeClock(tc.in)
			require.ErrorIs(t, err, ErrMalformed)
			require.ErrorContains(t, err, tc.want)
			require.Nil(t, c)
			require.Zero(t, n)
		})
	}
}

func TestDecodeVersionsMalformed(t *testing.T) {
	// actor 7, counter 1, wall 0, no flags, no clock, value "hi".
	one := cat(uv(7, 1, 0), []byte{0}, uv(0, 2), []byte("hi"))
	valid := cat([]byte{1}, uv(1), one)
	_, n, err := DecodeVersions(valid)
	require.NoError(t, err)
	require.Equal(t, len(valid), n)

	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "format: empty input"},
		{"bad format byte", cat([]byte{0}, uv(0)), "format: unsupported format byte 0"},
		{"newer format byte", cat([]byte{0x7f}, uv(0)), "unsupported format byte 0x7f (this version reads 0x1)"},
		{"truncated value", valid[:len(valid)-1], "version 0 value length: 2 exceeds the 1 remaining bytes"},
		{"truncated in header", valid[:4], "version count: 1 exceeds the 0 that the remaining 2 bytes can hold"},
		{"truncated flags", cat([]byte{1}, uv(1), uv(1<<40, 1, 0)), "version 0 flags: input ends"},
		{"huge version count", cat([]byte{1}, uv(1<<62), one), "version count: 4611686018427387904 exceeds"},
		{"count beyond input", cat([]byte{1}, uv(3), one), "version count: 3 exceeds the 1 that"},
		{"huge value length", cat([]byte{1}, uv(1, 7, 1, 0), []byte{0}, uv(0, math.MaxUint64)), "version 0 value length: 18446744073709551615 exceeds"},
		{"zero dot counter", cat([]byte{1}, uv(1, 7, 0, 0), []byte{0}, uv(0, 0)), "version 0 dot counter: zero counter"},
		{"unknown flags", cat([]byte{1}, uv(1, 7, 1, 0), []byte{6}, uv(0, 0)), "version 0 flags: unknown flags 0x6"},
		{"huge clock count", cat([]byte{1}, uv(1, 7, 1, 0), []byte{0}, uv(1<<40, 0, 0)), "version 0 clock entry count: 1099511627776 exceeds"},
		{"unsorted clock", cat([]byte{1}, uv(1, 7, 1, 0), []byte{0}, uv(2, 9, 1, 0, 3, 1, 0, 0)), "version 0 clock entry 1 actor: actor 3 does not follow actor 9"},
		{"zero clock counter", cat([]byte{1}, uv(1, 7, 1, 0), []byte{0}, uv(1, 9, 0, 0, 0)), "version 0 clock entry 0 counter: zero counter"},
		{"second version bad", cat([]byte{1}, uv(2), one, uv(7, 0, 0), []byte{0}, uv(0, 0)), "version 1 dot counter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vs, n, err := DecodeVersions(tc.in)
			require.ErrorIs(t, err, ErrMalformed)
			require.ErrorContains(t, err, tc.want)
			require.Nil(t, vs)
			require.Zero(t, n)
		})
	}
}

func TestDecodeErrorNamesTheByte(t *testing.T) {
	_, _, err := DecodeClock(cat([]byte{1}, uv(2, 5, 1, 0, 4, 1, 0)))
	require.EqualError(t, err, "causality: malformed encoding at byte 5: clock entry 1 actor: actor 4 does not follow actor 5 (clocks are sorted by actor, without duplicates)")
}

// FuzzDecodeVersions: whatever the bytes, decoding returns an error or
// canonical versions that re-encode to exactly the bytes it consumed.
func FuzzDecodeVersions(f *testing.F) {
	m := New(VC, Options{})
	v1 := put(m, nil, nil, Sx, 100, "hello")
	v2 := put(m, []Version{v1}, m.Context([]Version{v1}), Sy, -5, "")
	v2.Deleted = true
	f.Add([]byte{})
	f.Add([]byte{1, 0})
	f.Add(AppendVersions(nil, []Version{v1}))
	f.Add(AppendVersions(nil, []Version{v1, v2}))
	f.Add(AppendVersions(nil, []Version{v2})[:9])
	f.Add(cat([]byte{1}, uv(1<<62)))
	f.Add(cat([]byte{1}, uv(1, 7, 1, 0), []byte{0}, uv(2, 9, 1, 0, 3, 1, 0, 0)))
	f.Fuzz(func(t *testing.T, b []byte) {
		vs, n, err := DecodeVersions(b)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			require.Nil(t, vs)
			require.Zero(t, n)
			return
		}
		require.LessOrEqual(t, n, len(b))
		require.Equal(t, b[:n], AppendVersions(nil, vs))
		for _, v := range vs {
			require.NoError(t, v.Clock.Validate())
			require.NotZero(t, v.Dot.Counter)
		}
	})
}

func FuzzDecodeClock(f *testing.F) {
	f.Add([]byte{})
	f.Add(AppendClock(nil, Clock{{1, 2, 3}, {5, 1, -4}}))
	f.Add(cat([]byte{1}, uv(2, 5, 1, 0, 4, 1, 0)))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, n, err := DecodeClock(b)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		require.NoError(t, c.Validate())
		require.Equal(t, b[:n], AppendClock(nil, c))
	})
}
