package checks

import "math"

// writeIndex finds the write behind each value and the covers relation between
// writes. Values are unique per run, so a value names one write.
//
// Rejected writes had no effect: they neither supply values nor cover any, and
// are kept apart only to say so in messages.
type writeIndex struct {
	ops       []Op
	byValue   map[string]int   // value -> the non-rejected write of it
	rejected  map[string]int   // value -> a rejected write of it
	coveredBy map[string][]int // value -> non-rejected writes of its key that cover it directly
	// supersede memoises supersededAt; math.MinInt64 marks "being computed".
	supersede map[string]int64
}

func indexWrites(h *History) *writeIndex {
	x := &writeIndex{
		ops:       h.Ops,
		byValue:   make(map[string]int),
		rejected:  make(map[string]int),
		coveredBy: make(map[string][]int),
		supersede: make(map[string]int64),
	}
	for i, op := range h.Ops {
		if op.Kind == Get {
			continue
		}
		if op.Outcome == Rejected {
			if _, seen := x.rejected[op.Value]; !seen {
				x.rejected[op.Value] = i
			}
			continue
		}
		if _, seen := x.byValue[op.Value]; !seen {
			x.byValue[op.Value] = i
		}
	}
	for i, op := range h.Ops {
		if op.Kind == Get || op.Outcome == Rejected || x.byValue[op.Value] != i {
			continue
		}
		for _, c := range op.Covers {
			if w, ok := x.write(c); ok && w.Key == op.Key {
				x.coveredBy[c] = append(x.coveredBy[c], i)
			}
		}
	}
	return x
}

// write returns the non-rejected write of v.
func (x *writeIndex) write(v string) (Op, bool) {
	i, ok := x.byValue[v]
	if !ok {
		return Op{}, false
	}
	return x.ops[i], true
}

// closure returns roots plus every value they transitively cover through the
// covers of writes of key: the values that writing roots may have legitimately
// removed.
func (x *writeIndex) closure(key string, roots []string) map[string]bool {
	seen := make(map[string]bool, len(roots))
	stack := append([]string(nil), roots...)
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[v] {
			continue
		}
		seen[v] = true
		if w, ok := x.write(v); ok && w.Key == key {
			stack = append(stack, w.Covers...)
		}
	}
	return seen
}

// supersededAt returns the earliest Call of a write whose transitive covers
// include v (math.MaxInt64 if none): from then on a read may legitimately miss v.
// Covers only point back in time, so the relation has no cycles in a sane
// history; a cycle in a broken one is cut rather than looped on.
func (x *writeIndex) supersededAt(v string) int64 {
	if t, ok := x.supersede[v]; ok {
		if t == math.MinInt64 {
			return math.MaxInt64 // cycle
		}
		return t
	}
	x.supersede[v] = math.MinInt64
	t := int64(math.MaxInt64)
	for _, q := range x.coveredBy[v] {
		t = min(t, x.ops[q].Call, x.supersededAt(x.ops[q].Value))
	}
	x.supersede[v] = t
	return t
}

// coversAfter reports whether some value of from transitively covers p, looking
// only through writes called at or after t. Any write on a path down to p is an
// ancestor of p, so its Call is at least supersededAt(p); callers pass t <=
// supersededAt(p), which makes the pruning exact and keeps the walk short.
func (x *writeIndex) coversAfter(key string, from []string, p string, t int64) bool {
	seen := make(map[string]bool)
	stack := append([]string(nil), from...)
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[v] {
			continue
		}
		seen[v] = true
		w, ok := x.write(v)
		if !ok || w.Key != key || w.Call < t {
			continue
		}
		for _, c := range w.Covers {
			if c == p {
				return true
			}
			stack = append(stack, c)
		}
	}
	return false
}
