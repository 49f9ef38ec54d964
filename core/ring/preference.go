package ring

// Preference appends to dst[:0] the preference list for a key position:
// every physical node once, in ring order from the position, skipping
// further tokens of nodes already listed (§4.3). The first N entries are the
// key's replicas and the rest are the fallbacks a sloppy quorum reaches for
// (§4.6). It does not allocate when cap(dst) >= Size().
func (r *Ring) Preference(key Token, dst []NodeID) []NodeID {
	return r.RangePreference(r.RangeIndex(key), dst)
}

// PreferenceForKey is Preference(HashKey(key), dst).
func (r *Ring) PreferenceForKey(key string, dst []NodeID) []NodeID {
	return r.Preference(HashKey(key), dst)
}

// RangePreference appends to dst[:0] the preference list shared by every
// key of Ranges()[i]. It panics if i is out of range, like a slice index.
func (r *Ring) RangePreference(i int, dst []NodeID) []NodeID {
	j := int(r.rangeTok[i]) * r.size
	return append(dst[:0], r.lists[j:j+r.size]...)
}

// RangeIndex returns the index into Ranges() of the range that holds key.
// Strategies 2 and 3 compute it from the partition arithmetic; strategy 1
// searches the sorted tokens.
func (r *Ring) RangeIndex(key Token) int {
	if r.q != 0 {
		return int(partitionOf(key, r.q))
	}
	// Range i is (t[i], t[i+1]], so the key's range is the one before the
	// first token at or after it, wrapping at both ends.
	j := r.index.atOrAfter(key)
	if j == 0 {
		return len(r.tokens) - 1
	}
	return j - 1
}
