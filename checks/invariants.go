package checks

import (
	"fmt"
	"slices"
	"strings"
)

// NoInventedValues checks that every value an ok get returned was written to
// the same key by a put or delete called no later than the get returned, and
// that every value left on a replica at the end was written to that key at all.
// It must hold in every configuration: a value from nowhere is a bug.
func NoInventedValues(h *History) Findings {
	f := Findings{Check: NameNoInventedValues}
	x := indexWrites(h)
	for i, op := range h.Ops {
		if op.Kind != Get || op.Outcome != Ok {
			continue
		}
		for _, v := range op.Values {
			if why := x.invented(op.Key, v); why != "" {
				f.add(op.Key, "get op #%d (client %d, [%d, %d]) returned %s, %s", i, op.Client, op.Call, op.Return, v, why)
			} else if w, _ := x.write(v); w.Call > op.Return {
				f.add(op.Key, "get op #%d (client %d, [%d, %d]) returned %s, written only later, at %d (op #%d)", i, op.Client, op.Call, op.Return, v, w.Call, x.byValue[v])
			}
		}
	}
	for _, ks := range h.Final {
		for _, r := range ks.Replicas {
			for _, v := range r.Values {
				if why := x.invented(ks.Key, v); why != "" {
					f.add(ks.Key, "node %d holds %s at the end, %s", r.Node, v, why)
				}
			}
		}
	}
	return f
}

// invented explains why v cannot be a value of key, or returns "".
func (x *writeIndex) invented(key, v string) string {
	if w, ok := x.write(v); ok {
		if w.Key != key {
			return fmt.Sprintf("a value written to key %s (op #%d)", w.Key, x.byValue[v])
		}
		return ""
	}
	if i, ok := x.rejected[v]; ok {
		return fmt.Sprintf("written only by a rejected %s (op #%d)", x.ops[i].Kind, i)
	}
	return "never written"
}

// NoLostWrites checks that every acknowledged put or delete survives: its value
// is in its key's final live set (the union of what every node holds at the
// end), or is transitively covered by a value in it, through the covers of any
// write, acknowledged or not (an unknown write may have taken effect).
func NoLostWrites(h *History) Findings {
	f := Findings{Check: NameNoLostWrites}
	x := indexWrites(h)
	final := make(map[string][]string)
	for _, ks := range h.Final {
		vs := final[ks.Key]
		if vs == nil {
			vs = []string{} // present, even if empty
		}
		for _, r := range ks.Replicas {
			vs = append(vs, r.Values...)
		}
		final[ks.Key] = vs
	}
	accounted := make(map[string]map[string]bool)
	for i, op := range h.Ops {
		if op.Kind == Get || op.Outcome != Ok {
			continue
		}
		live, present := final[op.Key]
		if !present {
			f.add(op.Key, "acknowledged %s %s (op #%d, returned at %d) lost: key %s is absent from the final state", op.Kind, op.Value, i, op.Return, op.Key)
			continue
		}
		acc, ok := accounted[op.Key]
		if !ok {
			acc = x.closure(op.Key, live)
			accounted[op.Key] = acc
		}
		if !acc[op.Value] {
			f.add(op.Key, "acknowledged %s %s (op #%d, returned at %d) lost: neither in the final state %s nor covered by any value in it",
				op.Kind, op.Value, i, op.Return, describeSet(sortedCopy(live)))
		}
	}
	return f
}

// Converged checks that, for every key, all its owners hold the same sibling
// set at the end (an owner that holds nothing holds the empty set). It must hold
// after healing and anti-entropy.
func Converged(h *History) Findings {
	f := Findings{Check: NameConverged}
	for _, ks := range h.Final {
		held := make(map[int][]string)
		for _, r := range ks.Replicas {
			held[r.Node] = append(held[r.Node], r.Values...)
		}
		// Group owners by what they hold, groups in order of first owner.
		var sets [][]string
		var nodes [][]int
		for _, n := range dedupe(ks.Owners) {
			vs := sortedCopy(held[n])
			g := slices.IndexFunc(sets, func(s []string) bool { return slices.Equal(s, vs) })
			if g < 0 {
				g = len(sets)
				sets = append(sets, vs)
				nodes = append(nodes, nil)
			}
			nodes[g] = append(nodes[g], n)
		}
		if len(sets) <= 1 {
			continue
		}
		parts := make([]string, len(sets))
		for g := range sets {
			parts[g] = fmt.Sprintf("%s on %s", describeSet(sets[g]), describeNodes(nodes[g], held))
		}
		f.add(ks.Key, "key %s: %d owners hold %d different sibling sets: %s", ks.Key, len(dedupe(ks.Owners)), len(sets), strings.Join(parts, "; "))
	}
	return f
}

func dedupe(ns []int) []int {
	var out []int
	for _, n := range ns {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// describeNodes names nodes, marking owners that hold no replica at all.
func describeNodes(ns []int, held map[int][]string) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = fmt.Sprintf("n%d", n)
		if _, ok := held[n]; !ok {
			parts[i] += " (no replica)"
		}
	}
	return strings.Join(parts, ", ")
}
