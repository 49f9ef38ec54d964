package ring

import "math/bits"

// tokenIndex finds the first token at or after a position. A plain binary
// search over thousands of tokens costs a cache miss per level, so the
// search is narrowed first by a bucket table on the top bits of the
// position, sized so that a bucket holds about one token.
type tokenIndex struct {
	tokens []Token // sorted, distinct, non-empty
	shift  uint    // bucket of t is t.Hi >> shift
	// first[b] is the index of the first token in bucket b or later;
	// first[len-1] is len(tokens).
	first []int32
}

func newTokenIndex(tokens []Token) tokenIndex {
	k := uint(bits.Len(uint(len(tokens) - 1))) // 2^k >= len(tokens)
	x := tokenIndex{tokens: tokens, shift: 64 - k}
	x.first = make([]int32, (1<<k)+1)
	j := 0
	for b := range x.first {
		for j < len(tokens) && tokens[j].Hi>>x.shift < uint64(b) {
			j++
		}
		x.first[b] = int32(j)
	}
	return x
}

// atOrAfter returns the index of the first token clockwise from pos,
// counting a token exactly at pos and wrapping past the largest token to 0.
func (x *tokenIndex) atOrAfter(pos Token) int {
	// Go defines a shift by 64 as 0, which the one-bucket table relies on.
	b := pos.Hi >> x.shift
	lo, hi := int(x.first[b]), int(x.first[b+1])
	// Tokens in earlier buckets are below pos and later ones above it, so
	// the answer is in [lo, hi], with hi meaning "past this bucket".
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if x.tokens[mid].less(pos) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == len(x.tokens) {
		return 0
	}
	return lo
}
