package main

import (
	"io"
	"testing"

	"github.com/dynamo-replay/dynamo/sim"
	"github.com/stretchr/testify/require"
)

func parseSimFlags(t *testing.T, args ...string) (sim.Config, error) {
	t.Helper()
	return newSimFlags("dynamo sim", io.Discard).parse(args)
}

// TestNemesisFlags: the nemesis is off unless asked; --nemesis-on forces kinds
// on (and the nemesis with them), --nemesis-off forces them off, and
// --nemesis-rate fixes rates.
func TestNemesisFlags(t *testing.T) {
	cfg, err := parseSimFlags(t)
	require.NoError(t, err)
	require.False(t, cfg.Faults.Nemesis)
	require.Equal(t, sim.DefaultConfig(1).Faults, cfg.Faults)

	cfg, err = parseSimFlags(t, "--nemesis")
	require.NoError(t, err)
	require.True(t, cfg.Faults.Nemesis)
	for _, ks := range cfg.Faults.Kinds {
		require.Equal(t, sim.KindSetting{}, ks)
	}

	cfg, err = parseSimFlags(t, "--nemesis-on=crash,bridge", "--nemesis-off=clock_jump,clog",
		"--nemesis-rate=crash=2.5,loss_burst=1", "--clock-jump=50ms", "--disk-fail=0.5", "--fault-time=const:0s+20ms")
	require.NoError(t, err)
	require.True(t, cfg.Faults.Nemesis, "--nemesis-on implies --nemesis")
	k := cfg.Faults.Kinds
	require.Equal(t, sim.KindSetting{Mode: sim.KindOn, Rate: 2.5}, k[sim.FaultCrash])
	require.Equal(t, sim.KindOn, k[sim.FaultBridge].Mode)
	require.Equal(t, sim.KindOff, k[sim.FaultClockJump].Mode)
	require.Equal(t, sim.KindOff, k[sim.FaultClog].Mode)
	require.Equal(t, sim.KindSetting{Rate: 1}, k[sim.FaultLossBurst])
	require.Equal(t, sim.KindAuto, k[sim.FaultPartition].Mode)
	require.Equal(t, "const:0s+20ms", cfg.Faults.FaultTime.String())
	require.Equal(t, 0.5, cfg.Faults.DiskFailProb)

	cfg, err = parseSimFlags(t, "--nemesis-on=all", "--nemesis-off=")
	require.NoError(t, err)
	for _, ks := range cfg.Faults.Kinds {
		require.Equal(t, sim.KindOn, ks.Mode)
	}
}

func TestNemesisBadFlagsNameTheFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--nemesis-on=earthquake"}, `--nemesis-on: unknown fault kind "earthquake"`},
		{[]string{"--nemesis-off=crash,,bridge"}, "--nemesis-off"},
		{[]string{"--nemesis-on=crash", "--nemesis-off=crash"}, "both name crash"},
		{[]string{"--nemesis-rate=crash"}, "--nemesis-rate"},
		{[]string{"--nemesis-rate=crash=-1"}, "--nemesis-rate: crash=-1"},
		{[]string{"--nemesis-rate=flood=1"}, "--nemesis-rate"},
		{[]string{"--disk-fail=2"}, "--disk-fail=2"},
		{[]string{"--burst-loss=1"}, "--burst-loss=1"},
		{[]string{"--drift-change=-3"}, "--drift-change=-3"},
		{[]string{"--clock-jump=-1s"}, "--clock-jump=-1s"},
		{[]string{"--fault-time=soon"}, "--fault-time"},
	} {
		code, _, errOut := runCmd(append([]string{"sim"}, tc.args...)...)
		require.Equal(t, exitBadArgs, code, "%v", tc.args)
		require.Contains(t, errOut, tc.want, "%v", tc.args)
	}
}

// TestSimNemesisReplays: a nemesis run prints a replay line that reproduces it.
func TestSimNemesisReplays(t *testing.T) {
	code, out, errOut := runCmd("sim", "--seed", "5", "--ops", "500", "--nemesis", "--nemesis-off=crash")
	require.Equal(t, exitOK, code, errOut+out)
	require.Contains(t, out, "replay: go run ./cmd/dynamo sim --seed 5 --nemesis=true --nemesis-off=crash --ops=500\n")
	m := traceRe.FindStringSubmatch(out)
	require.NotNil(t, m)
	code, again, _ := runCmd("sim", "--seed", "5", "--nemesis=true", "--nemesis-off=crash", "--ops=500")
	require.Equal(t, exitOK, code)
	require.Equal(t, m[1], traceRe.FindStringSubmatch(again)[1])
}
