package ring

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// drawClusteredToken mixes uniform tokens with ones packed into a few Hi
// values, so buckets are both empty and crowded.
func drawClusteredToken(t *rapid.T, label string) Token {
	hi := rapid.OneOf(
		rapid.Uint64(),
		rapid.SampledFrom([]uint64{0, 1, 1 << 63, ^uint64(0)}),
		rapid.Uint64Range(0, 3),
	).Draw(t, label+".hi")
	return Token{Hi: hi, Lo: rapid.OneOf(rapid.Uint64(), rapid.Uint64Range(0, 3)).Draw(t, label+".lo")}
}

func TestPropTokenIndexMatchesLinearScan(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 300).Draw(t, "n")
		var tokens []Token
		for len(tokens) < n {
			tokens = append(tokens, drawClusteredToken(t, "tok"))
			slices.SortFunc(tokens, Token.Compare)
			tokens = slices.Compact(tokens)
		}
		x := newTokenIndex(tokens)
		for range 20 {
			pos := drawClusteredToken(t, "pos")
			if rapid.Bool().Draw(t, "onToken") {
				pos = tokens[rapid.IntRange(0, n-1).Draw(t, "which")]
			}
			want := 0
			for j, tk := range tokens {
				if tk.Compare(pos) >= 0 {
					want = j
					break
				}
			}
			require.Equal(t, want, x.atOrAfter(pos), "pos %v", pos)
		}
	})
}
