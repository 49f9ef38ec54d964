package ring

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func tok(lo uint64) Token { return Token{Lo: lo} }

func TestNewErrors(t *testing.T) {
	s1 := Params{Strategy: Strategy1, T: 1}
	s3 := Params{Strategy: Strategy3, Q: 2}
	half := partitionEnd(0, 2)
	cases := []struct {
		name    string
		p       Params
		members []Member
		is      error
		want    string
	}{
		{"no members", s1, nil, ErrInvalidMembers, "no members"},
		{"bad params", Params{Strategy: Strategy1}, []Member{{ID: 1, Tokens: []Token{tok(1)}}}, ErrInvalidParams, "Params.T"},
		{"duplicate id", s1, []Member{{ID: 1, Tokens: []Token{tok(1)}}, {ID: 1, Tokens: []Token{tok(2)}}}, ErrInvalidMembers, "duplicate node id 1"},
		{"no tokens", s1, []Member{{ID: 1, Tokens: []Token{tok(1)}}, {ID: 2}}, ErrInvalidMembers, "node 2 has no tokens"},
		{"duplicate token across nodes", s1, []Member{{ID: 1, Tokens: []Token{tok(7)}}, {ID: 2, Tokens: []Token{tok(7)}}}, ErrInvalidMembers, "duplicate token"},
		{"duplicate token in a node", s1, []Member{{ID: 1, Tokens: []Token{tok(7), tok(7)}}}, ErrInvalidMembers, "nodes 1 and 1"},
		{"s3 too few partitions", s3, []Member{{ID: 1, Tokens: []Token{half}}, {ID: 2, Tokens: []Token{{}}}, {ID: 3, Tokens: []Token{tok(5)}}}, ErrInvalidParams, "Params.Q = 2"},
		{"s3 token off a partition end", s3, []Member{{ID: 1, Tokens: []Token{half}}, {ID: 2, Tokens: []Token{tok(5)}}}, ErrInvalidMembers, "not a partition end"},
		{"s3 partition without owner", s3, []Member{{ID: 1, Tokens: []Token{half}}}, ErrInvalidMembers, "partition 1 of Q=2 has no owner"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := New(c.p, c.members)
			require.Nil(t, r)
			require.ErrorIs(t, err, c.is)
			require.ErrorContains(t, err, c.want)
		})
	}
}

func TestAssignErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	_, err := Assign(DefaultParams(), nil, rng)
	require.ErrorIs(t, err, ErrInvalidParams)
	_, err = Assign(DefaultParams(), []NodeID{1, 2}, nil)
	require.ErrorIs(t, err, ErrInvalidMembers)
	_, err = Assign(DefaultParams(), []NodeID{1, 2, 1}, rng)
	require.ErrorIs(t, err, ErrInvalidMembers)
	require.ErrorContains(t, err, "node 1 listed twice")
}

// Figure 2 of the paper in miniature: three nodes with one token each.
func TestStrategy1HandExample(t *testing.T) {
	r, err := New(Params{Strategy: Strategy1, T: 1}, []Member{
		{ID: 3, Tokens: []Token{tok(30)}},
		{ID: 1, Tokens: []Token{tok(10)}},
		{ID: 2, Tokens: []Token{tok(20)}},
	})
	require.NoError(t, err)
	require.Equal(t, []NodeID{1, 2, 3}, r.Nodes())
	require.Equal(t, 3, r.MetadataSize())
	for _, c := range []struct {
		key  uint64
		want []NodeID
	}{
		{0, []NodeID{1, 2, 3}},
		{10, []NodeID{1, 2, 3}},
		{11, []NodeID{2, 3, 1}},
		{20, []NodeID{2, 3, 1}},
		{30, []NodeID{3, 1, 2}},
		{31, []NodeID{1, 2, 3}},
	} {
		require.Equal(t, c.want, r.Preference(tok(c.key), nil), "key %d", c.key)
	}
	require.Equal(t, []Range{{tok(10), tok(20)}, {tok(20), tok(30)}, {tok(30), tok(10)}}, r.Ranges())
	require.Equal(t, 2, r.RangeIndex(tok(5)), "keys before the first token are in the wrapping range")
	require.Equal(t, 2, r.RangeIndex(Token{Hi: ^uint64(0), Lo: ^uint64(0)}))
}

func TestStrategy3HandExample(t *testing.T) {
	p := Params{Strategy: Strategy3, Q: 4}
	e := func(i uint64) Token { return partitionEnd(i, 4) }
	r, err := New(p, []Member{
		{ID: 1, Tokens: []Token{e(0), e(2)}},
		{ID: 2, Tokens: []Token{e(1), e(3)}},
	})
	require.NoError(t, err)
	require.Equal(t, 4, r.MetadataSize())
	require.Equal(t, Token{Hi: 1 << 62}, e(0))
	require.Equal(t, Token{}, e(3))
	require.Equal(t, []NodeID{2, 1}, r.Preference(Token{}, nil), "position 0 is in partition 3, owned by node 2")
	require.Equal(t, []NodeID{1, 2}, r.Preference(tok(1), nil))
	require.Equal(t, []NodeID{1, 2}, r.Preference(e(0), nil))
	require.Equal(t, []NodeID{2, 1}, r.Preference(addToken(e(0), 1), nil))
	require.Equal(t, []float64{0.5, 0.5}, r.Ownership(1))
	require.Equal(t, Range{Start: e(2), End: Token{}}, r.RangeAt(3))
}

func TestStrategy2WalksFromPartitionEnd(t *testing.T) {
	// Q=2: partition ends are 2^127 and 0. Node 1 sits just before 2^127,
	// node 2 just after it, so partition 0 (ending at 2^127) starts its walk
	// at node 2 even though most of the partition precedes node 1's token.
	mid := partitionEnd(0, 2)
	r, err := New(Params{Strategy: Strategy2, T: 1, Q: 2}, []Member{
		{ID: 1, Tokens: []Token{addToken(mid, -1)}},
		{ID: 2, Tokens: []Token{addToken(mid, 1)}},
	})
	require.NoError(t, err)
	require.Equal(t, []NodeID{2, 1}, r.Preference(tok(1), nil))
	require.Equal(t, []NodeID{2, 1}, r.Preference(mid, nil))
	require.Equal(t, []NodeID{1, 2}, r.Preference(addToken(mid, 1), nil), "partition 1 ends at 0; node 1 is first after 0")
	require.Equal(t, 2, r.MetadataSize())
}

func TestRingDoesNotAliasCallerSlices(t *testing.T) {
	in := []Member{{ID: 2, Tokens: []Token{tok(20), tok(5)}}, {ID: 1, Tokens: []Token{tok(10)}}}
	r, err := New(Params{Strategy: Strategy1, T: 1}, in)
	require.NoError(t, err)
	in[0].Tokens[0] = tok(99)
	in[1].ID = 7
	want := []Member{{ID: 1, Tokens: []Token{tok(10)}}, {ID: 2, Tokens: []Token{tok(5), tok(20)}}}
	require.Equal(t, want, r.Members())
	r.Members()[0].Tokens[0] = tok(1)
	r.Nodes()[0] = 9
	r.Ranges()[0] = Range{}
	require.Equal(t, want, r.Members())
	require.Equal(t, []NodeID{1, 2}, r.Nodes())
	require.Equal(t, Range{tok(5), tok(10)}, r.Ranges()[0])
}

func TestRangeContains(t *testing.T) {
	plain := Range{Start: tok(10), End: tok(20)}
	require.False(t, plain.Contains(tok(10)))
	require.True(t, plain.Contains(tok(11)))
	require.True(t, plain.Contains(tok(20)))
	require.False(t, plain.Contains(tok(21)))

	wrap := Range{Start: tok(20), End: tok(10)}
	require.True(t, wrap.Contains(tok(21)))
	require.True(t, wrap.Contains(Token{}))
	require.True(t, wrap.Contains(tok(10)))
	require.False(t, wrap.Contains(tok(15)))
	require.False(t, wrap.Contains(tok(20)))

	toZero := Range{Start: tok(20), End: Token{}}
	require.True(t, toZero.Contains(Token{}))
	require.True(t, toZero.Contains(Token{Hi: ^uint64(0)}))
	require.False(t, toZero.Contains(tok(1)))

	whole := Range{Start: tok(3), End: tok(3)}
	require.True(t, whole.Contains(tok(3)))
	require.True(t, whole.Contains(tok(4)))
	require.Equal(t, 1.0, whole.Fraction())
	require.Equal(t, 0.5, Range{End: Token{Hi: 1 << 63}}.Fraction())
}
