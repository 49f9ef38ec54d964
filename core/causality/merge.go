package causality

import "cmp"

// Merge syncs two sibling sets; replication, read merge, read repair and
// anti-entropy all go through it. The result is canonical: sorted by Dot,
// one version per Dot, none superseded by another.
//
//   - dvv: v is dropped when another version's Clock has seen v's Dot.
//   - vc: v is dropped when another version's clock strictly dominates v's.
//   - lww: only the greatest version by (Wall, Actor, Counter) is kept.
//
// Copies of one Dot that differ (corruption or a reused actor) are resolved
// by a fixed order on their contents, so Merge stays commutative, associative
// and idempotent even then.
//
// When a or b already is the result, Merge returns it (capacity clipped)
// without allocating: syncing with a replica that is up to date is the common
// case on every path.
func (m Mechanism) Merge(a, b []Version) []Version {
	m.mustBeBuilt()
	if m.mode == LWW {
		return mergeLWW(a, b)
	}
	u := union{a, b}
	n := len(a) + len(b)

	// winner[i] is the copy of at(i)'s Dot that survives deduplication (the
	// greatest by compareVersions, the first on a tie, so a's copy when a and b
	// agree); same[i] says at(i) is interchangeable with it. Small sets fit on
	// the stack.
	var winnerBuf [8]int
	var sameBuf, keepBuf [8]bool
	winner, same, keep := winnerBuf[:0], sameBuf[:0], keepBuf[:0]
	if n > len(winnerBuf) {
		winner, same, keep = make([]int, 0, n), make([]bool, 0, n), make([]bool, 0, n)
	}
	for i := range n {
		w, sameAsW := i, true
		for j := range n {
			if j == i || u.at(j).Dot != u.at(i).Dot {
				continue
			}
			c := compareVersions(u.at(j), u.at(w))
			if c > 0 || (c == 0 && j < w) {
				w = j
			}
		}
		if w != i {
			sameAsW = compareVersions(u.at(i), u.at(w)) == 0
		}
		winner = append(winner, w)
		same = append(same, sameAsW)
	}
	kept := 0
	for i := range n {
		k := winner[i] == i && !m.superseded(u, i)
		keep = append(keep, k)
		if k {
			kept++
		}
	}

	// x is the result if it has every kept version, or a copy of each, and
	// nothing else, in canonical order.
	is := func(x []Version, off int) bool {
		if len(x) != kept {
			return false
		}
		for k := range x {
			i := off + k
			if !keep[winner[i]] || !same[i] || (k > 0 && x[k-1].Dot.compare(x[k].Dot) >= 0) {
				return false
			}
		}
		return true
	}
	if is(a, 0) {
		return a[:len(a):len(a)]
	}
	if is(b, len(a)) {
		return b[:len(b):len(b)]
	}
	out := make([]Version, 0, kept)
	for i := range n {
		if keep[i] {
			out = append(out, *u.at(i))
		}
	}
	sortByDot(out)
	return out
}

// superseded reports whether another version of u (another Dot) makes at(i)
// obsolete.
func (m Mechanism) superseded(u union, i int) bool {
	v := u.at(i)
	for j := range len(u.a) + len(u.b) {
		w := u.at(j)
		if w.Dot == v.Dot {
			continue
		}
		if m.mode == DVV && w.Clock.Get(v.Dot.Actor) >= v.Dot.Counter {
			return true
		}
		if m.mode == VC && w.Clock.dominates(v.Clock) {
			return true
		}
	}
	return false
}

// union indexes a then b without building the concatenation.
type union struct{ a, b []Version }

func (u union) at(i int) *Version {
	if i < len(u.a) {
		return &u.a[i]
	}
	return &u.b[i-len(u.a)]
}

// sortByDot is an insertion sort: sets are small, and it neither allocates
// nor depends on anything but the Dots, which are unique here.
func sortByDot(vs []Version) {
	for i := 1; i < len(vs); i++ {
		for j := i; j > 0 && vs[j-1].Dot.compare(vs[j].Dot) > 0; j-- {
			vs[j-1], vs[j] = vs[j], vs[j-1]
		}
	}
}

// compareLWW orders by the coordinator's timestamp, then by Dot so that equal
// timestamps still pick the same winner on every replica.
func compareLWW(a, b *Version) int {
	if c := cmp.Compare(a.Wall, b.Wall); c != 0 {
		return c
	}
	return compareVersions(a, b)
}

func mergeLWW(a, b []Version) []Version {
	u := union{a, b}
	n := len(a) + len(b)
	if n == 0 {
		return nil
	}
	best := 0
	for i := 1; i < n; i++ {
		if compareLWW(u.at(i), u.at(best)) > 0 {
			best = i
		}
	}
	w := u.at(best)
	if len(a) == 1 && compareVersions(&a[0], w) == 0 {
		return a[:1:1]
	}
	if len(b) == 1 && compareVersions(&b[0], w) == 0 {
		return b[:1:1]
	}
	return []Version{*w}
}
