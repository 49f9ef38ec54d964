package ring

import "slices"

// MetadataSize is the number of entries a node keeps to know the whole
// ring, the x-axis of the paper's Figure 8: every token under strategies 1
// and 2 (S*T when uniform), the partition-to-node table (Q) under
// strategy 3.
func (r *Ring) MetadataSize() int {
	if r.params.Strategy == Strategy3 {
		return int(r.q)
	}
	return len(r.tokens)
}

// Ownership returns, for each node in Nodes() order, the fraction of the key
// space for which it is among the first n of the preference list. The
// fractions sum to min(n, Size()); n <= 0 gives all zeros.
func (r *Ring) Ownership(n int) []float64 {
	own := make([]float64, r.size)
	n = min(max(n, 0), r.size)
	if n == 0 {
		return own
	}
	buf := make([]NodeID, 0, r.size)
	for i, rg := range r.ranges {
		f := rg.Fraction()
		buf = r.RangePreference(i, buf)
		for _, id := range buf[:n] {
			k, _ := slices.BinarySearch(r.nodes, id)
			own[k] += f
		}
	}
	return own
}
