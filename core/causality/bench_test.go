package causality

import "testing"

// The sets of the paper's §6.3: nearly every read sees one version, a few
// see two.
func BenchmarkMerge(b *testing.B) {
	for _, mode := range []Mode{DVV, VC, LWW} {
		m := New(mode, Options{})
		v1 := put(m, nil, nil, Sx, 100, "v1")
		v2 := put(m, []Version{v1}, m.Context([]Version{v1}), Sy, 200, "v2")
		w := put(m, nil, nil, Sz, 150, "w")
		one, newer := []Version{v1}, []Version{v2}
		two := m.Merge(newer, []Version{w})
		for _, bc := range []struct {
			name string
			a, b []Version
		}{
			{"1/same", one, deepCopy(one)},
			{"1/newer", one, newer},
			{"1/concurrent", one, []Version{w}},
			{"2/same", two, deepCopy(two)},
			{"2/one-behind", []Version{v1, w}, two},
		} {
			b.Run(mode.String()+"/"+bc.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					m.Merge(bc.a, bc.b)
				}
			})
		}
	}
}

func BenchmarkNewVersion(b *testing.B) {
	for _, mode := range []Mode{DVV, VC, LWW} {
		m := New(mode, Options{})
		v1 := put(m, nil, nil, Sx, 100, "v1")
		w := put(m, nil, nil, Sz, 150, "w")
		local := m.Merge([]Version{v1}, []Version{w})
		ctx := m.Context(local)
		value := []byte("value")
		b.Run(mode.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.NewVersion(local, ctx, Sy, 300, value, false)
			}
		})
	}
}

func BenchmarkApply(b *testing.B) {
	for _, mode := range []Mode{DVV, VC, LWW} {
		m := New(mode, Options{})
		local := []Version{put(m, nil, nil, Sx, 100, "v1")}
		ctx := m.Context(local)
		value := []byte("value")
		b.Run(mode.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.Apply(local, m.NewVersion(local, ctx, Sy, 300, value, false))
			}
		})
	}
}
