// Package wire reads the varints of every encoding in the project (log
// records, peer messages, version sets, client contexts) one way: minimally
// encoded, or refused. With one encoding per value, whatever decodes
// re-encodes to the same bytes, which the fuzz targets and the log's
// recovery rely on.
//
// It may import only the standard library; core/ may import it.
package wire

import (
	"encoding/binary"
	"errors"
)

// Errors of Uvarint and Varint; callers add which field it was.
var (
	ErrTruncated  = errors.New("input ends inside a varint")
	ErrOverflow   = errors.New("varint overflows 64 bits")
	ErrNonMinimal = errors.New("non-minimal varint")
)

// Uvarint reads an unsigned varint from the start of b and returns it with the
// number of bytes it took.
func Uvarint(b []byte) (uint64, int, error) {
	x, n := binary.Uvarint(b)
	switch {
	case n == 0:
		return 0, 0, ErrTruncated
	case n < 0:
		return 0, 0, ErrOverflow
	case n != UvarintLen(x):
		return 0, 0, ErrNonMinimal
	}
	return x, n, nil
}

// Varint reads a signed (zig-zag) varint from the start of b.
func Varint(b []byte) (int64, int, error) {
	x, n := binary.Varint(b)
	switch {
	case n == 0:
		return 0, 0, ErrTruncated
	case n < 0:
		return 0, 0, ErrOverflow
	}
	u := uint64(x) << 1
	if x < 0 {
		u = ^u
	}
	if n != UvarintLen(u) {
		return 0, 0, ErrNonMinimal
	}
	return x, n, nil
}

// UvarintLen is the length of x's minimal encoding.
func UvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}
