package checks

import (
	"fmt"
	"time"

	"github.com/anishathalye/porcupine"
)

// DefaultTimeout bounds porcupine when Options.Timeout is zero: checking is
// NP-complete, and a run must end with a verdict rather than hang.
const DefaultTimeout = 30 * time.Second

// Options tune Run.
type Options struct {
	// Timeout for porcupine: 0 means DefaultTimeout, negative means no limit.
	Timeout time.Duration
	// SkipLinearizability leaves porcupine out (its verdict says "skipped").
	SkipLinearizability bool
}

// Status of one verdict.
type Status string

const (
	Pass    Status = "pass"
	Fail    Status = "fail"
	TimeOut Status = "unknown" // porcupine ran out of time: proves nothing either way
	Skipped Status = "skipped"
)

// Verdict is the result of one check on one history.
type Verdict struct {
	Name string `json:"name"`
	// MustHold: the run's configuration promises this check (History.Expect).
	MustHold bool   `json:"must_hold"`
	Status   Status `json:"status"`
	Passed   bool   `json:"passed"`
	// Count of violations (for linearizable: non-linearizable operations).
	Count    int      `json:"count"`
	Messages []string `json:"messages,omitempty"`
}

// Report is everything the checks found about one run.
type Report struct {
	Seed     uint64    `json:"seed"`
	Command  string    `json:"command,omitempty"`
	Ops      int       `json:"ops"`
	Verdicts []Verdict `json:"verdicts"`
	// StaleReads counts gets that missed an acknowledged write (informational).
	StaleReads      int                   `json:"stale_reads"`
	StaleExamples   []string              `json:"stale_examples,omitempty"`
	Linearizability LinearizabilityResult `json:"linearizability"`
}

// Failed says whether a check the configuration promises did not pass (a
// porcupine timeout included). A check skipped on request fails nothing.
func (r Report) Failed() bool {
	for _, v := range r.Verdicts {
		if v.MustHold && !v.Passed && v.Status != Skipped {
			return true
		}
	}
	return false
}

// Verdict returns the verdict of the named check.
func (r Report) Verdict(name string) (Verdict, bool) {
	for _, v := range r.Verdicts {
		if v.Name == name {
			return v, true
		}
	}
	return Verdict{}, false
}

// Run runs every check on h. A malformed history fails the must-hold
// well_formed verdict and skips porcupine, whose input it would corrupt; the
// invariant checkers still run, since they cope with anything.
func Run(h *History, opts Options) Report {
	rep := Report{Seed: h.Seed, Command: h.Command, Ops: len(h.Ops)}

	wf := Verdict{Name: NameWellFormed, MustHold: true, Status: Pass, Passed: true}
	valid := h.Validate()
	if valid != nil {
		wf = Verdict{Name: NameWellFormed, MustHold: true, Status: Fail, Count: 1, Messages: []string{valid.Error()}}
	}
	rep.Verdicts = append(rep.Verdicts, wf)

	lin := Verdict{Name: NameLinearizable, MustHold: h.Expect.Linearizable, Status: Skipped}
	switch {
	case opts.SkipLinearizability:
		lin.Messages = []string{"skipped on request"}
	case valid != nil:
		lin.Messages = []string{"skipped: the history is malformed"}
	default:
		timeout := opts.Timeout
		if timeout == 0 {
			timeout = DefaultTimeout
		} else if timeout < 0 {
			timeout = 0
		}
		res := CheckLinearizable(h, timeout)
		rep.Linearizability = res
		lin.Messages = res.Messages
		switch res.Outcome {
		case porcupine.Ok:
			lin.Status, lin.Passed = Pass, true
		case porcupine.Illegal:
			lin.Status, lin.Count = Fail, res.NonLinearizable
		default:
			lin.Status = TimeOut
			lin.Messages = []string{fmt.Sprintf("porcupine timed out after %s", timeout)}
		}
	}
	rep.Verdicts = append(rep.Verdicts, lin)

	rep.Verdicts = append(rep.Verdicts,
		invariantVerdict(NoInventedValues(h), true),
		invariantVerdict(NoLostWrites(h), h.Expect.NoLostWrites),
		invariantVerdict(Converged(h), h.Expect.Converged),
	)

	stale := StaleReads(h)
	rep.StaleReads = stale.Count
	rep.StaleExamples = stale.Messages()
	return rep
}

func invariantVerdict(f Findings, mustHold bool) Verdict {
	v := Verdict{Name: f.Check, MustHold: mustHold, Status: Pass, Passed: true, Count: f.Count, Messages: f.Messages()}
	if !f.Passed() {
		v.Status, v.Passed = Fail, false
	}
	return v
}
