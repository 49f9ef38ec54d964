package checks

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"
)

func verdictNames(r Report) []string {
	var names []string
	for _, v := range r.Verdicts {
		names = append(names, v.Name)
	}
	return names
}

func TestRunHealthy(t *testing.T) {
	rep := Run(healthy(), Options{})
	require.Equal(t, []string{NameWellFormed, NameLinearizable, NameNoInventedValues, NameNoLostWrites, NameConverged}, verdictNames(rep))
	for _, v := range rep.Verdicts {
		require.True(t, v.Passed, "%s: %v", v.Name, v.Messages)
		require.Equal(t, Pass, v.Status)
		require.True(t, v.MustHold, v.Name)
	}
	require.False(t, rep.Failed())
	require.Zero(t, rep.StaleReads)
	require.Equal(t, porcupine.Ok, rep.Linearizability.Outcome)
	require.Equal(t, uint64(7), rep.Seed)
}

func TestRunMustHoldFollowsExpect(t *testing.T) {
	h := newOldInversion()
	h.Expect = Expect{} // Dynamo's defaults: only invented values must never happen
	rep := Run(h, Options{})
	lin, _ := rep.Verdict(NameLinearizable)
	require.Equal(t, Fail, lin.Status)
	require.False(t, lin.MustHold)
	require.Equal(t, 1, lin.Count)
	inv, _ := rep.Verdict(NameNoInventedValues)
	require.True(t, inv.MustHold)
	require.False(t, rep.Failed(), "a check the configuration does not promise fails nothing")
	require.Equal(t, 1, rep.StaleReads)

	h.Expect.Linearizable = true
	require.True(t, Run(h, Options{}).Failed())

	// Invented values fail every configuration.
	h = healthy()
	h.Expect = Expect{}
	h.Ops = append(h.Ops, get(3, "k", 80, 90, "ghost"))
	rep = Run(h, Options{SkipLinearizability: true})
	require.True(t, rep.Failed())
}

func TestRunBrokenNodeIsCaught(t *testing.T) {
	// A node that dropped a write it acknowledged: the put reached W=2 via
	// nodes 1 and 2, but node 2 lost it and node 1 was then wiped.
	h := history([]Op{
		put(0, "k", "v1", 0, 10),
		put(0, "k", "v2", 20, 30, "v1"),
		get(1, "k", 40, 50, "v1"),
	}, KeyState{Key: "k", Owners: []int{1, 2, 3}, Replicas: []ReplicaState{replica(2, "v1"), replica(3, "v1")}})
	rep := Run(h, Options{})
	require.True(t, rep.Failed())
	for name, want := range map[string]Status{NameLinearizable: Fail, NameNoLostWrites: Fail, NameConverged: Fail, NameNoInventedValues: Pass} {
		v, ok := rep.Verdict(name)
		require.True(t, ok)
		require.Equal(t, want, v.Status, name)
	}
}

func TestRunTimeoutIsNotAPass(t *testing.T) {
	h := pathological(40)
	h.Expect = Expect{Linearizable: true}
	rep := Run(h, Options{Timeout: 50 * time.Millisecond})
	lin, _ := rep.Verdict(NameLinearizable)
	require.Equal(t, TimeOut, lin.Status)
	require.False(t, lin.Passed)
	require.True(t, rep.Failed())
	require.Equal(t, porcupine.Unknown, rep.Linearizability.Outcome)
}

func TestRunSkipsOnRequestAndOnMalformed(t *testing.T) {
	rep := Run(newOldInversion(), Options{SkipLinearizability: true})
	lin, _ := rep.Verdict(NameLinearizable)
	require.Equal(t, Skipped, lin.Status)
	require.False(t, rep.Failed(), "a skipped check fails nothing")

	h := healthy()
	h.Ops[0].Return = -1
	rep = Run(h, Options{})
	wf, _ := rep.Verdict(NameWellFormed)
	require.Equal(t, Fail, wf.Status)
	require.Contains(t, wf.Messages[0], "op 0: returns at -1")
	lin, _ = rep.Verdict(NameLinearizable)
	require.Equal(t, Skipped, lin.Status)
	require.True(t, rep.Failed())
}

func TestReportText(t *testing.T) {
	h := newOldInversion()
	h.Expect = Expect{NoLostWrites: true, Converged: true}
	rep := Run(h, Options{})
	var buf bytes.Buffer
	require.NoError(t, rep.WriteText(&buf))
	lines := strings.Split(buf.String(), "\n")
	require.Equal(t, "checks: seed 7, 4 ops: ok", lines[0])
	require.Contains(t, lines, "  well_formed         PASS  (must hold)")
	require.Contains(t, lines, "  no_lost_writes      PASS  (must hold)")
	require.Contains(t, lines, "  linearizable        FAIL  1 non-linearizable ops (informational: Dynamo's defaults allow stale reads)")
	require.Contains(t, lines, "  stale_reads         1 (informational)")
	require.Contains(t, buf.String(), "      key k: only 3 of 4 ops linearize")
	require.NotContains(t, buf.String(), "replay:")

	h.Expect.Linearizable = true
	buf.Reset()
	require.NoError(t, Run(h, Options{}).WriteText(&buf))
	require.Contains(t, buf.String(), "checks: seed 7, 4 ops: FAILED\n")
	require.Contains(t, buf.String(), "  linearizable        FAIL  1 non-linearizable ops (must hold)\n")
	require.Contains(t, buf.String(), "replay: dynamo replay --seed 7\n")
}

func TestReportJSONRoundTrip(t *testing.T) {
	h := newOldInversion()
	h.Ops = append(h.Ops, get(3, "k", 80, 90, "ghost"))
	rep := Run(h, Options{})
	data, err := json.Marshal(rep)
	require.NoError(t, err)
	var back Report
	require.NoError(t, json.Unmarshal(data, &back))
	rep.Linearizability.Info = porcupine.LinearizationInfo{} // for the HTML only: not serialised
	require.Equal(t, rep, back)
	require.Contains(t, string(data), `"name":"no_invented_values"`)
	require.Contains(t, string(data), `"must_hold":true`)
	require.Contains(t, string(data), `"outcome":"Illegal"`)
}
