package checks

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/anishathalye/porcupine"
)

// MVRModel is the sequential specification of Dynamo's keys, partitioned by key:
// each key is a multi-value register whose state is its set of live values
// (tombstones included). A put or delete removes the values its context covered
// and adds its own; a get must return exactly the live set.
//
// Operations come from Operations. A state is an immutable sorted []string:
// Step always builds a new slice, because porcupine keeps old states around.
func MVRModel() porcupine.Model {
	return porcupine.Model{
		Partition:                 partitionByKey,
		Init:                      func() interface{} { return []string(nil) },
		Step:                      mvrStep,
		Equal:                     func(a, b interface{}) bool { return slices.Equal(a.([]string), b.([]string)) },
		Hash:                      mvrHash,
		DescribeOperation:         describeOperation,
		DescribeState:             func(state interface{}) string { return describeSet(state.([]string)) },
		DescribeOperationMetadata: describeMetadata,
	}
}

// partitionByKey splits a history by key. Keys are independent in Dynamo, and
// checking them apart is what keeps porcupine fast. Partitions come in sorted
// key order so results and visualisations do not depend on map order.
func partitionByKey(history []porcupine.Operation) [][]porcupine.Operation {
	byKey := make(map[string][]porcupine.Operation)
	for _, op := range history {
		k := op.Input.(OpInput).Key
		byKey[k] = append(byKey[k], op)
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([][]porcupine.Operation, len(keys))
	for i, k := range keys {
		parts[i] = byKey[k]
	}
	return parts
}

func mvrStep(state, input, output interface{}) (bool, interface{}) {
	live := state.([]string)
	in := input.(OpInput)
	if in.Kind == Get {
		return slices.Equal(live, output.([]string)), live
	}
	return true, applyWrite(live, in.Covers, in.Value)
}

// applyWrite returns (live \ covers) ∪ {value}, sorted, without touching live.
// covers must be sorted.
func applyWrite(live, covers []string, value string) []string {
	next := make([]string, 0, len(live)+1)
	for _, v := range live {
		if _, covered := slices.BinarySearch(covers, v); !covered {
			next = append(next, v)
		}
	}
	if i, found := slices.BinarySearch(next, value); !found {
		next = slices.Insert(next, i, value)
	}
	return next
}

// mvrHash XORs the hashes of the values, so that it does not depend on order
// and equal sets hash equally, as porcupine requires.
func mvrHash(state interface{}) uint64 {
	var h uint64
	for _, v := range state.([]string) {
		f := fnv.New64a()
		f.Write([]byte(v))
		h ^= f.Sum64()
	}
	return h
}

// describeOperation renders an operation the way the HTML timeline shows it:
// put(k, v7 ⊇{v3,v5}), delete(k, t9 ⊇{v7}), get(k) → {v7}.
func describeOperation(input, output interface{}) string {
	in := input.(OpInput)
	if in.Kind == Get {
		vs, _ := output.([]string)
		return fmt.Sprintf("get(%s) → %s", in.Key, describeSet(vs))
	}
	if len(in.Covers) == 0 {
		return fmt.Sprintf("%s(%s, %s)", in.Kind, in.Key, in.Value)
	}
	return fmt.Sprintf("%s(%s, %s ⊇{%s})", in.Kind, in.Key, in.Value, strings.Join(in.Covers, ","))
}

func describeSet(vs []string) string {
	return "{" + strings.Join(vs, ", ") + "}"
}

func describeMetadata(info interface{}) string {
	m, ok := info.(OpMeta)
	if !ok {
		return ""
	}
	s := fmt.Sprintf("op #%d, client %d, sent to node %d, coordinated by node %d", m.Index, m.Client, m.Node, m.Coordinator)
	if m.Outcome == Unknown {
		s += ", outcome unknown (may take effect any time later, or never)"
	}
	return s
}
