package merkle

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDefaultParams(t *testing.T) {
	p := DefaultParams()
	require.NoError(t, p.Validate())
	require.Equal(t, 4096, p.Buckets())
	require.Equal(t, 273, p.innerSize())
	require.Equal(t, []int{0, 1, 17}, []int{p.offset(0), p.offset(1), p.offset(2)})
}

func TestParamsValidateNamesField(t *testing.T) {
	cases := []struct {
		p     Params
		field string
	}{
		{Params{Fanout: 0, Depth: 3}, "Params.Fanout = 0"},
		{Params{Fanout: 1, Depth: 3}, "Params.Fanout = 1"},
		{Params{Fanout: 12, Depth: 3}, "Params.Fanout = 12"},
		{Params{Fanout: 512, Depth: 1}, "Params.Fanout = 512"},
		{Params{Fanout: -16, Depth: 1}, "Params.Fanout = -16"},
		{Params{Fanout: 16, Depth: 0}, "Params.Depth = 0"},
		{Params{Fanout: 16, Depth: -1}, "Params.Depth = -1"},
		{Params{Fanout: 16, Depth: 6}, "Params.Depth = 6"},
		{Params{Fanout: 2, Depth: 21}, "Params.Depth = 21"},
		{Params{Fanout: 2, Depth: 1 << 62}, "Params.Depth"},
	}
	for _, c := range cases {
		err := c.p.Validate()
		require.ErrorIs(t, err, ErrInvalidParams, "%+v", c.p)
		require.ErrorContains(t, err, c.field)
	}
	for _, ok := range []Params{{2, 1}, {2, 20}, {16, 5}, {256, 2}, {32, 4}} {
		require.NoError(t, ok.Validate(), "%+v", ok)
	}
	require.Equal(t, MaxBuckets, Params{Fanout: 2, Depth: 20}.Buckets())
}

func TestNewPanicsOnInvalidParams(t *testing.T) {
	require.PanicsWithError(t, "merkle: invalid params: Params.Depth = 0: want at least 1", func() {
		New(Params{Fanout: 16})
	})
}

func TestWidthAndChild(t *testing.T) {
	p := Params{Fanout: 4, Depth: 3}
	require.Equal(t, []int{1, 4, 16, 64}, []int{p.Width(0), p.Width(1), p.Width(2), p.Width(3)})
	require.Equal(t, 4*5+3, p.Child(5, 3))
	require.Panics(t, func() { p.Width(4) })
	require.Panics(t, func() { p.Width(-1) })
}
