package ring

import (
	"crypto/md5"
	"encoding/binary"
	"fmt"
	"math/bits"
)

// NodeID names a physical node. Virtual nodes are its tokens, not separate ids.
type NodeID uint16

// Token is a point on the 128-bit MD5 ring, big-endian: Hi holds bytes 0..7.
// Two words rather than [16]byte keep comparison to at most two integer
// compares on the lookup path.
type Token struct{ Hi, Lo uint64 }

// Compare returns -1, 0 or +1 as t is before, equal to or after u when both
// are read as unsigned 128-bit integers.
func (t Token) Compare(u Token) int {
	switch {
	case t.Hi < u.Hi:
		return -1
	case t.Hi > u.Hi:
		return 1
	case t.Lo < u.Lo:
		return -1
	case t.Lo > u.Lo:
		return 1
	}
	return 0
}

// less is Compare(u) < 0 without the three-way branch, for binary search.
func (t Token) less(u Token) bool {
	return t.Hi < u.Hi || (t.Hi == u.Hi && t.Lo < u.Lo)
}

// String renders the token as 32 hex digits, so tokens sort as strings too.
func (t Token) String() string {
	return fmt.Sprintf("%016x%016x", t.Hi, t.Lo)
}

// HashKey places a key on the ring by MD5 of its bytes, as Dynamo does (§4.2).
//
// It streams the key through a stack buffer because md5.Sum([]byte(key))
// heap-allocates the copy for keys over 32 bytes, and this is on the
// per-request path. The digest itself stays on the stack since md5.New
// inlines and its calls devirtualize; TestPreferenceDoesNotAllocate guards
// that.
func HashKey(key string) Token {
	h := md5.New()
	var chunk [md5.BlockSize]byte
	for len(key) > 0 {
		n := copy(chunk[:], key)
		h.Write(chunk[:n])
		key = key[n:]
	}
	var sum [md5.Size]byte
	h.Sum(sum[:0])
	return Token{
		Hi: binary.BigEndian.Uint64(sum[:8]),
		Lo: binary.BigEndian.Uint64(sum[8:]),
	}
}

// sub returns t-u modulo 2^128: the clockwise distance from u to t.
func (t Token) sub(u Token) Token {
	lo, borrow := bits.Sub64(t.Lo, u.Lo, 0)
	hi, _ := bits.Sub64(t.Hi, u.Hi, borrow)
	return Token{Hi: hi, Lo: lo}
}

// fraction reads t as a share of the whole ring, t/2^128.
func (t Token) fraction() float64 {
	const two64 = 1 << 64
	return (float64(t.Hi) + float64(t.Lo)/two64) / two64
}
