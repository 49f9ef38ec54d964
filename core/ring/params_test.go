package ring

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDefaultParamsValid(t *testing.T) {
	p := DefaultParams()
	require.Equal(t, Strategy3, p.Strategy)
	require.Equal(t, 256, p.Q)
	require.NoError(t, p.Validate(30))
	require.NoError(t, p.Validate(256))
	require.Error(t, p.Validate(257))
}

func TestValidateNamesTheField(t *testing.T) {
	cases := []struct {
		name  string
		p     Params
		nodes int
		want  string
	}{
		{"no nodes", Params{Strategy: Strategy1, T: 1}, 0, "node count 0"},
		{"too many nodes", Params{Strategy: Strategy1, T: 1}, maxNodes + 1, "node count"},
		{"unknown strategy", Params{Strategy: 4, T: 1, Q: 8}, 3, "Params.Strategy = 4"},
		{"zero strategy", Params{T: 1, Q: 8}, 3, "Params.Strategy = 0"},
		{"s1 T=0", Params{Strategy: Strategy1}, 3, "Params.T = 0"},
		{"s2 T=-1", Params{Strategy: Strategy2, T: -1, Q: 8}, 3, "Params.T = -1"},
		{"s2 Q=0", Params{Strategy: Strategy2, T: 2}, 3, "Params.Q = 0"},
		{"s3 Q=0", Params{Strategy: Strategy3}, 3, "Params.Q = 0"},
		{"s3 Q<S", Params{Strategy: Strategy3, Q: 2}, 3, "Params.Q = 2"},
		{"s3 Q huge", Params{Strategy: Strategy3, Q: maxQ + 1}, 3, "Params.Q"},
		{"s1 T huge", Params{Strategy: Strategy1, T: maxTokens}, 30, "Params.T"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.p.Validate(c.nodes)
			require.ErrorIs(t, err, ErrInvalidParams)
			require.ErrorContains(t, err, c.want)
		})
	}
}

func TestValidateIgnoresUnusedFields(t *testing.T) {
	require.NoError(t, Params{Strategy: Strategy1, T: 4}.Validate(5), "strategy 1 ignores Q")
	require.NoError(t, Params{Strategy: Strategy3, Q: 5}.Validate(5), "strategy 3 ignores T")
	require.NoError(t, Params{Strategy: Strategy2, T: 1, Q: 1}.Validate(5), "strategy 2 allows Q < S")
}

func TestParseStrategy(t *testing.T) {
	for _, s := range []Strategy{Strategy1, Strategy2, Strategy3} {
		got, err := ParseStrategy(s.String())
		require.NoError(t, err)
		require.Equal(t, s, got)
	}
	for _, bad := range []string{"", "0", "4", "s1", " 1"} {
		_, err := ParseStrategy(bad)
		require.ErrorIs(t, err, ErrInvalidParams, "%q", bad)
		require.ErrorContains(t, err, "strategy")
	}
}
