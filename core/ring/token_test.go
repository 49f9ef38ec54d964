package ring

import (
	"crypto/md5"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestHashKeyIsBigEndianMD5(t *testing.T) {
	for _, key := range []string{"", "a", "cart:7", strings.Repeat("long key ", 40)} {
		sum := md5.Sum([]byte(key))
		want := Token{Hi: binary.BigEndian.Uint64(sum[:8]), Lo: binary.BigEndian.Uint64(sum[8:])}
		require.Equal(t, want, HashKey(key), "key %q", key)
	}
	// RFC 1321 test vector, to pin the byte order independently of the code above.
	require.Equal(t, "900150983cd24fb0d6963f7d28e17f72", HashKey("abc").String())
}

func TestHashKeyMatchesMD5Property(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		key := rapid.String().Draw(t, "key")
		sum := md5.Sum([]byte(key))
		got := HashKey(key)
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], got.Hi)
		binary.BigEndian.PutUint64(b[8:], got.Lo)
		require.Equal(t, sum, b)
	})
}

func TestTokenCompareAndString(t *testing.T) {
	a := Token{Hi: 1, Lo: 0}
	b := Token{Hi: 0, Lo: ^uint64(0)}
	require.Equal(t, 1, a.Compare(b))
	require.Equal(t, -1, b.Compare(a))
	require.Equal(t, 0, a.Compare(a))
	require.Equal(t, -1, Token{Lo: 1}.Compare(Token{Lo: 2}))
	require.Equal(t, "0000000000000001"+"0000000000000000", a.String())
	require.Len(t, Token{}.String(), 32)

	rapid.Check(t, func(t *rapid.T) {
		x := Token{Hi: rapid.Uint64().Draw(t, "xh"), Lo: rapid.Uint64().Draw(t, "xl")}
		y := Token{Hi: rapid.Uint64().Draw(t, "yh"), Lo: rapid.Uint64().Draw(t, "yl")}
		// Hex strings of equal width sort like the numbers they encode.
		require.Equal(t, strings.Compare(x.String(), y.String()), x.Compare(y))
		require.Equal(t, x.Compare(y) < 0, x.less(y))
		require.Equal(t, -x.Compare(y), y.Compare(x))
	})
}
