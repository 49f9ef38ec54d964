package checks

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
)

// Kind names a client operation.
type Kind string

const (
	Get    Kind = "get"
	Put    Kind = "put"
	Delete Kind = "delete"
)

// Outcome is what the client learned about an operation.
type Outcome string

const (
	// Ok: the operation was acknowledged (a get returned values, a put reached W).
	Ok Outcome = "ok"
	// Unknown: the client gave up (timeout, unreachable quorum). A write with this
	// outcome may take effect at any later time, or never; a read tells nothing.
	Unknown Outcome = "unknown"
	// Rejected: the request was refused before it could have any effect (bad input).
	Rejected Outcome = "rejected"
)

// Never is the Return time of an operation whose effect may come at any later time.
const Never = int64(math.MaxInt64)

// Op is one client operation as the client saw it. Times are nanoseconds on one
// clock shared by all clients of a run (virtual time in the simulator, time since a
// base in real mode). Every put and delete writes a value that is unique in the run,
// so that every read can be traced to exactly one write.
type Op struct {
	Client  int     `json:"client"`
	Kind    Kind    `json:"kind"`
	Key     string  `json:"key"`
	Call    int64   `json:"call"`
	Return  int64   `json:"return"`
	Outcome Outcome `json:"outcome"`

	// Value is the unique value a put writes, or the unique tombstone id of a delete.
	Value string `json:"value,omitempty"`
	// Covers lists the values the write's context covered: the values returned by
	// the get whose context the client passed back. Empty for a blind write.
	Covers []string `json:"covers,omitempty"`

	// Values is what an ok get returned: every sibling, tombstones included, sorted.
	Values []string `json:"values,omitempty"`

	// Node is the node the client sent the request to; Coordinator the node that
	// coordinated it, when known. For descriptions only.
	Node        int `json:"node"`
	Coordinator int `json:"coordinator"`
}

// Annotation marks a fault or other event of the run on the timeline (a partition,
// a crash, a heal). It becomes a row in the HTML visualisation.
type Annotation struct {
	Tag         string `json:"tag"`
	Start       int64  `json:"start"`
	End         int64  `json:"end"`
	Description string `json:"description"`
}

// ReplicaState is the sibling set one node holds for one key at the end of a run.
type ReplicaState struct {
	Node   int      `json:"node"`
	Values []string `json:"values"` // sorted, tombstones included
}

// KeyState is the end-of-run state of one key: the replicas that should hold it
// (the top N of its preference list) and what every node holding it has.
type KeyState struct {
	Key      string         `json:"key"`
	Owners   []int          `json:"owners"`
	Replicas []ReplicaState `json:"replicas"`
}

// Expect says which checks must hold for the run's configuration. A check that is
// not expected to hold is still run and reported, but does not fail the run.
type Expect struct {
	// Linearizable: the multi-value-register history must be linearizable
	// (strict quorums with blocking read write-back). False for Dynamo's defaults,
	// where stale reads are allowed and only counted.
	Linearizable bool `json:"linearizable"`
	// NoLostWrites: every acknowledged write must survive (false for lww, and for
	// vc, whose known weaknesses lose writes by design).
	NoLostWrites bool `json:"no_lost_writes"`
	// Converged: replicas must hold identical sibling sets after the quiet period.
	Converged bool `json:"converged"`
}

// History is everything the checks need about one run.
type History struct {
	// Seed and Command identify the run so a saved history can be replayed.
	Seed    uint64 `json:"seed"`
	Command string `json:"command,omitempty"`
	// Config is a human-readable summary of the run's parameters.
	Config      map[string]string `json:"config,omitempty"`
	Expect      Expect            `json:"expect"`
	Ops         []Op              `json:"ops"`
	Annotations []Annotation      `json:"annotations,omitempty"`
	// Final is the replicas' state after the quiet period, sorted by key.
	Final []KeyState `json:"final"`
}

// Validate reports the first structural problem of a history: what a loaded file
// must satisfy before any checker can trust it.
func (h *History) Validate() error {
	// Every read must be traceable to exactly one write, so write values are unique.
	writer := make(map[string]int)
	for i, op := range h.Ops {
		switch op.Kind {
		case Get, Put, Delete:
		default:
			return fmt.Errorf("op %d: unknown kind %q", i, op.Kind)
		}
		switch op.Outcome {
		case Ok, Unknown, Rejected:
		default:
			return fmt.Errorf("op %d: unknown outcome %q", i, op.Outcome)
		}
		if op.Return < op.Call {
			return fmt.Errorf("op %d: returns at %d before its call at %d", i, op.Return, op.Call)
		}
		if op.Kind != Get && op.Value == "" {
			return fmt.Errorf("op %d: %s without a value", i, op.Kind)
		}
		if op.Client < 0 {
			return fmt.Errorf("op %d: negative client %d", i, op.Client)
		}
		if op.Kind != Get {
			if j, dup := writer[op.Value]; dup {
				return fmt.Errorf("op %d: value %q already written by op %d (values must be unique per run)", i, op.Value, j)
			}
			writer[op.Value] = i
		}
	}
	return nil
}

// SortOps orders operations by call time, then client, so that histories
// recorded in any order compare and print the same.
func (h *History) SortOps() {
	sort.SliceStable(h.Ops, func(i, j int) bool {
		if h.Ops[i].Call != h.Ops[j].Call {
			return h.Ops[i].Call < h.Ops[j].Call
		}
		return h.Ops[i].Client < h.Ops[j].Client
	})
}

// WriteJSON writes the history as indented JSON.
func (h *History) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(h)
}

// ReadJSON decodes and validates a history.
func ReadJSON(r io.Reader) (*History, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var h History
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("decoding history: %w", err)
	}
	// A second document after the first means a corrupt or concatenated file.
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("decoding history: trailing data after the history object")
	}
	if err := h.Validate(); err != nil {
		return nil, fmt.Errorf("invalid history: %w", err)
	}
	return &h, nil
}

// Load reads a history file written by WriteJSON.
func Load(path string) (*History, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h, err := ReadJSON(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return h, nil
}

// Save writes a history file.
func Save(path string, h *History) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := h.WriteJSON(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
