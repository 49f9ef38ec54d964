package ring

import "math/big"

// Reference arithmetic in math/big, independent of the math/bits code.

var two128 = new(big.Int).Lsh(big.NewInt(1), 128)

func tokenToBig(t Token) *big.Int {
	x := new(big.Int).SetUint64(t.Hi)
	x.Lsh(x, 64)
	return x.Or(x, new(big.Int).SetUint64(t.Lo))
}

func bigToToken(x *big.Int) Token {
	m := new(big.Int).Mod(x, two128)
	lo := new(big.Int).And(m, new(big.Int).SetUint64(^uint64(0)))
	hi := new(big.Int).Rsh(m, 64)
	return Token{Hi: hi.Uint64(), Lo: lo.Uint64()}
}

// bigBoundary returns floor(j * 2^128 / q), not reduced mod 2^128.
func bigBoundary(j, q uint64) *big.Int {
	x := new(big.Int).Mul(new(big.Int).SetUint64(j), two128)
	return x.Quo(x, new(big.Int).SetUint64(q))
}

// bigPartitionOf finds the partition i with b(i) < t <= b(i+1) by bisection
// over the boundaries, treating t = 0 as 2^128.
func bigPartitionOf(t Token, q uint64) uint64 {
	x := tokenToBig(t)
	if x.Sign() == 0 {
		x = new(big.Int).Set(two128)
	}
	lo, hi := uint64(0), q-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		if x.Cmp(bigBoundary(mid+1, q)) <= 0 {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

func addToken(t Token, d int64) Token {
	return bigToToken(new(big.Int).Add(tokenToBig(t), big.NewInt(d)))
}
