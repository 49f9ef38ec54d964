package merkle

import (
	"slices"
	"strings"
)

// DiffChildren returns, in increasing order, the child positions whose
// hashes differ between mine and theirs: the subtrees to descend into next.
// Both should have Fanout entries; a shorter list (a malformed peer message)
// reads as zero past its end, so the comparison never panics on peer input.
func DiffChildren(mine, theirs []Hash) []int {
	var out []int
	for i := range max(len(mine), len(theirs)) {
		if at(mine, i) != at(theirs, i) {
			out = append(out, i)
		}
	}
	return out
}

func at(hs []Hash, i int) Hash {
	if i < len(hs) {
		return hs[i]
	}
	return Hash{}
}

// DiffBucket compares the contents of one bucket on both sides and returns
// the keys to push to the peer (onlyMine), to pull from it (onlyTheirs), and
// held by both with different digests (differ), each sorted. The node
// reconciles a differ key by sending and fetching its siblings, since a
// digest cannot say which side is newer.
//
// Both lists should come from Tree.Bucket, sorted with unique keys. A list
// that is not (a malformed peer message) is sorted first, keeping the first
// entry of a duplicated key, so the result stays well defined.
func DiffBucket(mine, theirs []KeyDigest) (onlyMine, onlyTheirs, differ []string) {
	mine, theirs = normalize(mine), normalize(theirs)
	i, j := 0, 0
	for i < len(mine) && j < len(theirs) {
		switch c := strings.Compare(mine[i].Key, theirs[j].Key); {
		case c < 0:
			onlyMine = append(onlyMine, mine[i].Key)
			i++
		case c > 0:
			onlyTheirs = append(onlyTheirs, theirs[j].Key)
			j++
		default:
			if mine[i].Digest != theirs[j].Digest {
				differ = append(differ, mine[i].Key)
			}
			i++
			j++
		}
	}
	for ; i < len(mine); i++ {
		onlyMine = append(onlyMine, mine[i].Key)
	}
	for ; j < len(theirs); j++ {
		onlyTheirs = append(onlyTheirs, theirs[j].Key)
	}
	return onlyMine, onlyTheirs, differ
}

// normalize returns kd unchanged when its keys strictly increase, and
// otherwise a sorted copy without duplicate keys; the caller's slice is
// never modified.
func normalize(kd []KeyDigest) []KeyDigest {
	strict := true
	for i := 1; i < len(kd) && strict; i++ {
		strict = kd[i-1].Key < kd[i].Key
	}
	if strict {
		return kd
	}
	out := slices.Clone(kd)
	slices.SortStableFunc(out, func(a, b KeyDigest) int { return strings.Compare(a.Key, b.Key) })
	return slices.CompactFunc(out, func(a, b KeyDigest) bool { return a.Key == b.Key })
}
