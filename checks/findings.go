package checks

import "fmt"

// MaxMessages bounds the messages any check keeps: a broken run can break an
// invariant a million times, and the first few say what is wrong.
const MaxMessages = 20

// Names of the checks, as they appear in reports.
const (
	NameWellFormed       = "well_formed"
	NameLinearizable     = "linearizable"
	NameNoInventedValues = "no_invented_values"
	NameNoLostWrites     = "no_lost_writes"
	NameConverged        = "converged"
	NameStaleReads       = "stale_reads"
)

// Violation is one breach of an invariant.
type Violation struct {
	Check   string `json:"check"`
	Key     string `json:"key"`
	Message string `json:"message"`
}

// Findings is what one invariant checker found: every violation is counted,
// the first MaxMessages are kept, in a deterministic order.
type Findings struct {
	Check      string      `json:"check"`
	Count      int         `json:"count"`
	Violations []Violation `json:"violations,omitempty"`
}

// Passed says the invariant held.
func (f Findings) Passed() bool { return f.Count == 0 }

// Messages returns the kept messages.
func (f Findings) Messages() []string {
	if len(f.Violations) == 0 {
		return nil
	}
	out := make([]string, len(f.Violations))
	for i, v := range f.Violations {
		out[i] = v.Message
	}
	return out
}

func (f *Findings) add(key, format string, args ...interface{}) {
	f.Count++
	if len(f.Violations) < MaxMessages {
		f.Violations = append(f.Violations, Violation{Check: f.Check, Key: key, Message: fmt.Sprintf(format, args...)})
	}
}
