package ring

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var benchParams = []struct {
	name string
	p    Params
}{
	{"s1_T256", Params{Strategy: Strategy1, T: 256}},
	{"s2_T8_Q4096", Params{Strategy: Strategy2, T: 8, Q: 4096}},
	{"s3_Q256", DefaultParams()},
	{"s3_Q30720", Params{Strategy: Strategy3, Q: 30720}},
}

// benchRing builds the paper's evaluation cluster, S=30 (Figure 8).
func benchRing(tb testing.TB, p Params) *Ring {
	ids := make([]NodeID, 30)
	for i := range ids {
		ids[i] = NodeID(i + 1)
	}
	members, err := Assign(p, ids, rand.New(rand.NewPCG(7, 7)))
	require.NoError(tb, err)
	r, err := New(p, members)
	require.NoError(tb, err)
	return r
}

func benchKeys() []Token {
	keys := make([]Token, 4096)
	for i := range keys {
		keys[i] = HashKey(fmt.Sprintf("key-%d", i))
	}
	return keys
}

func TestPreferenceDoesNotAllocate(t *testing.T) {
	keys := benchKeys()
	long := strings.Repeat("x", 200)
	for _, c := range benchParams {
		r := benchRing(t, c.p)
		dst := make([]NodeID, 0, r.Size())
		i := 0
		allocs := testing.AllocsPerRun(1000, func() {
			dst = r.Preference(keys[i%len(keys)], dst)
			i++
		})
		require.Zero(t, allocs, "%s Preference", c.name)
		allocs = testing.AllocsPerRun(1000, func() {
			dst = r.PreferenceForKey("cart:12345", dst)
			dst = r.PreferenceForKey(long, dst)
		})
		require.Zero(t, allocs, "%s PreferenceForKey", c.name)
	}
}

func BenchmarkPreference(b *testing.B) {
	keys := benchKeys()
	for _, c := range benchParams {
		b.Run(c.name, func(b *testing.B) {
			r := benchRing(b, c.p)
			dst := make([]NodeID, 0, r.Size())
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				dst = r.Preference(keys[i&(len(keys)-1)], dst)
				i++
			}
		})
	}
}

func BenchmarkPreferenceForKey(b *testing.B) {
	r := benchRing(b, DefaultParams())
	dst := make([]NodeID, 0, r.Size())
	b.ReportAllocs()
	for b.Loop() {
		dst = r.PreferenceForKey("cart:12345", dst)
	}
}

func BenchmarkNew(b *testing.B) {
	for _, c := range benchParams {
		b.Run(c.name, func(b *testing.B) {
			ids := make([]NodeID, 30)
			for i := range ids {
				ids[i] = NodeID(i + 1)
			}
			members, err := Assign(c.p, ids, rand.New(rand.NewPCG(7, 7)))
			require.NoError(b, err)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := New(c.p, members); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkHashKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		benchSink = HashKey("cart:12345")
	}
}

var benchSink Token
