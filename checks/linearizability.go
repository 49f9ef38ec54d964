package checks

import (
	"fmt"
	"slices"
	"time"

	"github.com/anishathalye/porcupine"
)

// LinearizabilityResult is what porcupine said about a history against MVRModel.
type LinearizabilityResult struct {
	// Outcome is porcupine.Ok, porcupine.Illegal, or porcupine.Unknown when the
	// check timed out: a timeout proves nothing, so it is not a pass.
	Outcome porcupine.CheckResult `json:"outcome"`
	// Timeout is the budget the check had (0: none).
	Timeout time.Duration `json:"timeout_ns"`
	// Ops and Keys count what porcupine checked (after dropping rejected ops
	// and failed gets).
	Ops  int `json:"ops"`
	Keys int `json:"keys"`
	// IllegalKeys lists, sorted, the keys with no linearization. When the check
	// both failed and timed out, a key that merely ran out of time may appear.
	IllegalKeys []string `json:"illegal_keys,omitempty"`
	// NonLinearizable counts, over the illegal keys, the operations left out of
	// the longest linearizable prefix porcupine found (unknown writes excluded:
	// they may legitimately never take effect).
	NonLinearizable int `json:"non_linearizable"`
	// Messages explain each illegal key (the first MaxMessages of them).
	Messages []string `json:"messages,omitempty"`
	// Info feeds WriteVisualization; it is not serialised.
	Info porcupine.LinearizationInfo `json:"-"`
}

// Ok says whether porcupine found a linearization of every key in time.
func (r LinearizabilityResult) Ok() bool { return r.Outcome == porcupine.Ok }

// CheckLinearizable checks h against the multi-value-register model with
// porcupine. timeout 0 means no limit.
func CheckLinearizable(h *History, timeout time.Duration) LinearizabilityResult {
	ops := Operations(h)
	outcome, info := porcupine.CheckOperationsVerbose(MVRModel(), ops, timeout)
	res := LinearizabilityResult{Outcome: outcome, Timeout: timeout, Ops: len(ops), Info: info}

	parts := partitionByKey(ops) // the same split, in the same order, as porcupine's
	res.Keys = len(parts)
	if outcome != porcupine.Illegal {
		return res
	}
	partials := info.PartialLinearizationsOperations()
	for p, part := range parts {
		left := leftOut(part, partials[p])
		if len(left) == 0 {
			continue // fully linearized
		}
		key := part[0].Input.(OpInput).Key
		res.IllegalKeys = append(res.IllegalKeys, key)
		counted := 0
		for _, op := range left {
			if op.Return != Never {
				counted++
			}
		}
		res.NonLinearizable += counted
		if len(res.Messages) < MaxMessages {
			res.Messages = append(res.Messages, illegalKeyMessage(key, len(part), left))
		}
	}
	return res
}

// leftOut returns the operations of one partition missing from its longest
// partial linearization, in call order. Porcupine hands the partials over in
// map order, so ties between equally long ones are broken by the smallest set
// of left-out history indices, to keep messages reproducible.
func leftOut(part []porcupine.Operation, partials [][]porcupine.Operation) []porcupine.Operation {
	best := part // if porcupine could not linearize even the first operation
	var bestKey []int
	found := false
	for _, lin := range partials {
		if found && len(lin) < len(part)-len(best) {
			continue
		}
		in := make(map[int]bool, len(lin))
		for _, op := range lin {
			in[op.Metadata.(OpMeta).Index] = true
		}
		var left []porcupine.Operation
		var key []int
		for _, op := range part {
			if i := op.Metadata.(OpMeta).Index; !in[i] {
				left = append(left, op)
				key = append(key, i)
			}
		}
		if !found || len(left) < len(best) || (len(left) == len(best) && slices.Compare(key, bestKey) < 0) {
			best, bestKey, found = left, key, true
		}
	}
	return best
}

func illegalKeyMessage(key string, total int, left []porcupine.Operation) string {
	first := left[0]
	for _, op := range left { // name the first op that did return: an unknown write is never the culprit
		if op.Return != Never {
			first = op
			break
		}
	}
	m := first.Metadata.(OpMeta)
	return fmt.Sprintf("key %s: only %d of %d ops linearize; first left out: %s [%d, %d] (op #%d, client %d)",
		key, total-len(left), total, describeOperation(first.Input, first.Output), first.Call, first.Return, m.Index, m.Client)
}
