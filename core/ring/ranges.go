package ring

// Range is the half-open arc (Start, End] walking clockwise. End <= Start
// means the arc wraps past 0; Start == End is the whole ring, which only
// happens when the ring has a single range.
type Range struct{ Start, End Token }

// Contains reports whether t lies in the arc (Start, End].
func (rg Range) Contains(t Token) bool {
	switch c := rg.Start.Compare(rg.End); {
	case c < 0:
		return rg.Start.less(t) && !rg.End.less(t)
	case c > 0:
		return rg.Start.less(t) || !rg.End.less(t)
	}
	return true
}

// Fraction returns the share of the key space the range covers.
func (rg Range) Fraction() float64 {
	if rg.Start == rg.End {
		return 1
	}
	return rg.End.sub(rg.Start).fraction()
}

// Ranges returns the ring's key ranges in increasing Start order; they
// cover the ring exactly once and the last one wraps past 0. Under
// strategies 2 and 3 they are the Q partitions, so they do not move when
// membership changes, which keeps per-range Merkle trees valid (§6.2).
// Under strategy 1 they are the arcs between consecutive tokens. The slice
// is a fresh copy.
func (r *Ring) Ranges() []Range {
	out := make([]Range, len(r.ranges))
	copy(out, r.ranges)
	return out
}

// NumRanges returns len(Ranges()) without copying.
func (r *Ring) NumRanges() int { return len(r.ranges) }

// RangeAt returns Ranges()[i] without copying the slice.
func (r *Ring) RangeAt(i int) Range { return r.ranges[i] }
