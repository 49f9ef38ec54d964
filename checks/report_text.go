package checks

import (
	"fmt"
	"io"
	"strings"
)

// TextMessages bounds the messages WriteText prints under a verdict; the JSON
// report keeps all MaxMessages.
const TextMessages = 5

// Per check: what a count counts, and why it may fail when not promised.
var (
	countNoun = map[string]string{
		NameWellFormed:       "problem",
		NameLinearizable:     "non-linearizable ops",
		NameNoInventedValues: "invented values",
		NameNoLostWrites:     "lost writes",
		NameConverged:        "diverged keys",
	}
	notPromised = map[string]string{
		NameLinearizable: "Dynamo's defaults allow stale reads",
		NameNoLostWrites: "this configuration may lose writes by design",
		NameConverged:    "convergence is not expected in this run",
	}
)

// WriteText prints the report for a terminal or a CI log: a header, one line
// per verdict, the first messages of each failure, and the stale-read count.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	result := "ok"
	if r.Failed() {
		result = "FAILED"
	}
	fmt.Fprintf(&b, "checks: seed %d, %d ops: %s\n", r.Seed, r.Ops, result)
	for _, v := range r.Verdicts {
		fmt.Fprintf(&b, "  %-20s%s\n", v.Name, verdictLine(v))
		if v.Status == Fail || v.Status == TimeOut {
			for i, m := range v.Messages {
				if i == TextMessages {
					fmt.Fprintf(&b, "      ... (%d more in the JSON report)\n", len(v.Messages)-i)
					break
				}
				fmt.Fprintf(&b, "      %s\n", m)
			}
		}
	}
	fmt.Fprintf(&b, "  %-20s%d (informational)\n", NameStaleReads, r.StaleReads)
	if r.Failed() && r.Command != "" {
		fmt.Fprintf(&b, "replay: %s\n", r.Command)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func verdictLine(v Verdict) string {
	why := "(must hold)"
	if !v.MustHold {
		why = "(informational)"
		if reason := notPromised[v.Name]; reason != "" && !v.Passed {
			why = "(informational: " + reason + ")"
		}
	}
	switch v.Status {
	case Pass:
		return "PASS  " + why
	case Fail:
		return fmt.Sprintf("FAIL  %d %s %s", v.Count, countNoun[v.Name], why)
	case TimeOut:
		return "UNKNOWN  porcupine timed out " + why
	default:
		reason := "skipped"
		if len(v.Messages) > 0 {
			reason = v.Messages[0]
		}
		return "SKIP  (" + reason + ")"
	}
}
