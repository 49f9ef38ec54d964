package ring

import "math/bits"

// partitionEnd returns the End token of partition i of q: b(i+1) mod 2^128
// with b(j) = floor(j * 2^128 / q). Exact arithmetic keeps boundaries
// identical on every node, which float or 64-bit shortcuts would not.
func partitionEnd(i, q uint64) Token {
	j := i + 1
	if j == q {
		// b(q) = 2^128 wraps to 0; see the package doc.
		return Token{}
	}
	// j < q, so j*2^128/q < 2^128 and both long divisions are in range.
	hi, rem := bits.Div64(j, 0, q)
	lo, _ := bits.Div64(rem, 0, q)
	return Token{Hi: hi, Lo: lo}
}

// partitionStart returns b(i), the exclusive Start of partition i of q.
func partitionStart(i, q uint64) Token {
	if i == 0 {
		return Token{}
	}
	return partitionEnd(i-1, q)
}

// partitionOf returns the partition i with b(i) < t <= b(i+1).
//
// b(i) < t holds exactly when i*2^128 < t*q, so the number of boundaries
// b(1..q) below t is ceil(t*q / 2^128) - 1, which is the index sought. The
// 192-bit product t*q gives that ceiling from its top word and whether the
// low 128 bits are zero. t = 0 yields -1, which wraps to q-1.
func partitionOf(t Token, q uint64) uint64 {
	h1, l1 := bits.Mul64(t.Lo, q)
	h2, l2 := bits.Mul64(t.Hi, q)
	mid, carry := bits.Add64(l2, h1, 0)
	top := h2 + carry
	if mid|l1 != 0 {
		top++
	}
	if top == 0 {
		return q - 1
	}
	return top - 1
}
