package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func runCmd(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

var traceRe = regexp.MustCompile(`(?m)^trace=([0-9a-f]{16})$`)

func TestSimPrintsSummaryTraceAndReplay(t *testing.T) {
	code, out, errOut := runCmd("sim", "--seed", "7", "--ops", "600")
	require.Equal(t, exitOK, code, errOut)
	for _, want := range []string{"seed=7", "latency get", "latency put", "p99.9", "versions per read", "no_lost_writes", "converged", "linearizable"} {
		require.Contains(t, out, want)
	}
	m := traceRe.FindStringSubmatch(out)
	require.NotNil(t, m, "no trace=<hex> line in:\n%s", out)
	require.Contains(t, out, "replay: go run ./cmd/dynamo sim --seed 7 --ops=600\n")

	// The printed replay command reproduces the trace.
	code, again, _ := runCmd("sim", "--seed", "7", "--ops=600")
	require.Equal(t, exitOK, code)
	require.Equal(t, m[1], traceRe.FindStringSubmatch(again)[1])
}

func TestSimJSON(t *testing.T) {
	code, out, errOut := runCmd("sim", "--seed", "3", "--ops", "400", "--json")
	require.Equal(t, exitOK, code, errOut)
	var v struct {
		Seed    uint64 `json:"seed"`
		Trace   string `json:"trace"`
		Replay  string `json:"replay"`
		Failed  bool   `json:"failed"`
		Summary struct {
			Ops        int `json:"ops"`
			GetLatency struct {
				P999 int64 `json:"p999"`
			} `json:"get_latency"`
		} `json:"summary"`
		Checks struct {
			Verdicts []struct {
				Name   string `json:"name"`
				Status string `json:"status"`
			} `json:"verdicts"`
		} `json:"checks"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &v))
	require.Equal(t, uint64(3), v.Seed)
	require.Len(t, v.Trace, 16)
	require.False(t, v.Failed)
	require.Equal(t, 400, v.Summary.Ops)
	require.Positive(t, v.Summary.GetLatency.P999)
	require.NotEmpty(t, v.Checks.Verdicts)
	require.Contains(t, v.Replay, "--seed 3")
}

func TestBadFlagsExitTwoNamingTheFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--r", "4"}, "--r=4"},
		{[]string{"--w", "0"}, "--w=0"},
		{[]string{"--n", "6"}, "--n=6 exceeds --nodes=5"},
		{[]string{"--nodes", "0"}, "--nodes=0"},
		{[]string{"--strategy", "4"}, "--strategy"},
		{[]string{"--causality", "crdt"}, "--causality"},
		{[]string{"--routing", "dns"}, "--routing"},
		{[]string{"--loss", "1.5"}, "--loss=1.5"},
		{[]string{"--latency", "gamma:1ms+1ms"}, "--latency"},
		{[]string{"--ops", "-1"}, "--ops=-1"},
		{[]string{"--seed", "x"}, "-seed"},
		{[]string{"--no-such-flag"}, "no-such-flag"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		code, _, errOut := runCmd(append([]string{"sim"}, tc.args...)...)
		require.Equal(t, exitBadArgs, code, "%v", tc.args)
		require.Contains(t, errOut, tc.want, "%v", tc.args)
	}
	code, _, errOut := runCmd("frobnicate")
	require.Equal(t, exitBadArgs, code)
	require.Contains(t, errOut, `unknown command "frobnicate"`)
}

func TestCheckExitsOneWhenAMustHoldCheckFails(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "h.json")
	code, _, errOut := runCmd("sim", "--seed", "2", "--ops", "300", "--history", path)
	require.Equal(t, exitOK, code, errOut)

	code, out, _ := runCmd("check", path)
	require.Equal(t, exitOK, code, out)
	require.Contains(t, out, "no_lost_writes")

	// Remove every final state: all acknowledged writes are now lost.
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var h map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep nanosecond times exact
	require.NoError(t, dec.Decode(&h))
	h["final"] = []any{}
	broken, err := json.Marshal(h)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, broken, 0o644))
	viz := filepath.Join(dir, "viz.html")
	code, out, _ = runCmd("check", path, "--viz", viz)
	require.Equal(t, exitFailed, code, out)
	require.Contains(t, out, "FAIL")
	html, err := os.ReadFile(viz)
	require.NoError(t, err)
	require.Contains(t, string(html), "<html")
}

func TestCheckRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"ops":[{"kind":"frob","outcome":"ok"}]}`), 0o644))
	code, _, errOut := runCmd("check", bad)
	require.Equal(t, exitBadArgs, code)
	require.Contains(t, errOut, `unknown kind "frob"`)

	code, _, errOut = runCmd("check", filepath.Join(dir, "missing.json"))
	require.Equal(t, exitBadArgs, code)
	require.True(t, strings.Contains(errOut, "no such file"), errOut)

	code, _, _ = runCmd("check")
	require.Equal(t, exitBadArgs, code)
}
