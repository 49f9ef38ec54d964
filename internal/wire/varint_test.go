package wire

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestUvarintAcceptsOnlyTheMinimalEncoding(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x := rapid.Uint64().Draw(t, "x")
		b := binary.AppendUvarint(nil, x)
		got, n, err := Uvarint(append(b, 0xAA)) // trailing bytes are the caller's
		require.NoError(t, err)
		require.Equal(t, x, got)
		require.Equal(t, len(b), n)
		require.Equal(t, len(b), UvarintLen(x))

		y := rapid.Int64().Draw(t, "y")
		c := binary.AppendVarint(nil, y)
		gy, m, err := Varint(c)
		require.NoError(t, err)
		require.Equal(t, y, gy)
		require.Equal(t, len(c), m)
	})
}

func TestUvarintRefusals(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want error
	}{
		{nil, ErrTruncated},
		{[]byte{0x80}, ErrTruncated},
		{[]byte{0x80, 0x00}, ErrNonMinimal}, // 0 in two bytes
		{[]byte{0x87, 0x00}, ErrNonMinimal}, // 7 in two bytes
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, ErrOverflow},
	} {
		_, _, err := Uvarint(tc.in)
		require.ErrorIs(t, err, tc.want, "%x", tc.in)
	}
	_, _, err := Varint([]byte{0x81, 0x00}) // -1 in two bytes
	require.ErrorIs(t, err, ErrNonMinimal)
}
