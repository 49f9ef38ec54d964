package checks

import (
	"slices"
	"sort"

	"github.com/anishathalye/porcupine"
)

// OpInput is the Input of a porcupine operation built from an Op.
type OpInput struct {
	Kind   Kind
	Key    string
	Value  string   // the value a put or delete writes
	Covers []string // sorted copy of Op.Covers
}

// OpMeta is the Metadata of a porcupine operation: where it came from, for the
// visualisation and for messages. The checker never reads it.
type OpMeta struct {
	Index       int // position in History.Ops
	Client      int // the client as recorded, before renumbering
	Node        int
	Coordinator int
	Outcome     Outcome
}

// Operations turns a history into what porcupine checks against MVRModel:
//   - rejected operations had no effect and are dropped;
//   - gets that are not ok tell nothing and are dropped;
//   - writes with an unknown outcome may take effect at any later time or never,
//     so they return at Never (linearizing them last is the same as never);
//   - a get's Output is its sorted values, a write's Output is nil.
//
// Porcupine wants each ClientId to be sequential, so operations are dealt to
// zero-based, dense "lanes": a client keeps its lane while its operations do not
// overlap, and gets a fresh one when they do (always after an unknown write,
// which never returns). Lanes are numbered in order of first call, so the
// result depends only on the history.
func Operations(h *History) []porcupine.Operation {
	idx := make([]int, 0, len(h.Ops))
	for i, op := range h.Ops {
		if op.Outcome == Rejected || (op.Kind == Get && op.Outcome != Ok) {
			continue
		}
		idx = append(idx, i)
	}
	sort.SliceStable(idx, func(a, b int) bool { return h.Ops[idx[a]].Call < h.Ops[idx[b]].Call })

	lane := make(map[int]int) // recorded client -> its current lane
	var laneEnd []int64       // lane -> Return of its last operation
	out := make([]porcupine.Operation, 0, len(idx))
	for _, i := range idx {
		op := h.Ops[i]
		ret := op.Return
		if op.Outcome == Unknown {
			ret = Never
		}
		l, ok := lane[op.Client]
		if !ok || laneEnd[l] >= op.Call { // closed intervals: equal times overlap
			l = len(laneEnd)
			laneEnd = append(laneEnd, 0)
			lane[op.Client] = l
		}
		laneEnd[l] = ret

		in := OpInput{Kind: op.Kind, Key: op.Key}
		var output interface{}
		if op.Kind == Get {
			output = sortedCopy(op.Values)
		} else {
			in.Value = op.Value
			in.Covers = sortedCopy(op.Covers)
		}
		out = append(out, porcupine.Operation{
			ClientId: l,
			Input:    in,
			Call:     op.Call,
			Output:   output,
			Return:   ret,
			Metadata: OpMeta{Index: i, Client: op.Client, Node: op.Node, Coordinator: op.Coordinator, Outcome: op.Outcome},
		})
	}
	return out
}

// sortedCopy returns a sorted, duplicate-free copy that is never nil, so that
// callers may keep it while the history changes.
func sortedCopy(vs []string) []string {
	c := append(make([]string, 0, len(vs)), vs...)
	slices.Sort(c)
	return slices.Compact(c)
}
