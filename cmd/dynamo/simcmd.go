package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/dynamo-replay/dynamo/checks"
	"github.com/dynamo-replay/dynamo/sim"
)

// simOutput is the --json form of a run: the same facts as the text summary.
type simOutput struct {
	Seed        uint64            `json:"seed"`
	Trace       string            `json:"trace"`
	Replay      string            `json:"replay"`
	Config      map[string]string `json:"config"`
	Summary     sim.Summary       `json:"summary"`
	Checks      checks.Report     `json:"checks"`
	Failed      bool              `json:"failed"`
	Network     sim.Stats         `json:"network"`
	SimSeconds  float64           `json:"sim_seconds"`
	WallSeconds float64           `json:"wall_seconds"`
	Probes      []sim.Probe       `json:"probes"`
}

func runSim(args []string, stdout, stderr io.Writer) int {
	f := newSimFlags("dynamo sim", stderr)
	asJSON := f.fs.Bool("json", false, "print the result as one JSON object")
	historyPath := f.fs.String("history", "", "save the history (JSON) to this file, for 'dynamo check'")
	vizPath := f.fs.String("viz", "", "write porcupine's HTML timeline to this file when linearizability fails")
	cfg, err := f.parse(args)
	if err != nil {
		if isHelp(err) {
			return exitOK
		}
		fmt.Fprintf(stderr, "dynamo sim: %v\n", err)
		return exitBadArgs
	}
	replay := f.replayCommand(cfg.Seed)
	s, err := sim.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "dynamo sim: %v\n", err)
		return exitBadArgs
	}
	res, err := s.Run()
	if err != nil {
		fmt.Fprintf(stderr, "dynamo sim: %v\nreplay: %s\n", err, replay)
		return exitFailed
	}
	h := res.History
	h.Command = replay
	h.Config = describeConfig(cfg)
	if cfg.Faults.Nemesis {
		h.Config["nemesis"] = res.Plan.String()
	}
	rep := checks.Run(h, checks.Options{})
	if *historyPath != "" {
		if err := checks.Save(*historyPath, h); err != nil {
			fmt.Fprintf(stderr, "dynamo sim: saving history: %v\n", err)
			return exitFailed
		}
	}
	if *vizPath != "" && rep.Linearizability.Outcome != "" && !rep.Linearizability.Ok() {
		if err := checks.WriteVisualizationFile(h, rep.Linearizability, *vizPath); err != nil {
			fmt.Fprintf(stderr, "dynamo sim: writing visualisation: %v\n", err)
		}
	}
	sum := sim.Summarize(h.Ops[:res.LoadOps])
	if *asJSON {
		out := simOutput{
			Seed: cfg.Seed, Trace: res.TraceHex(), Replay: replay, Config: h.Config, Summary: sum,
			Checks: rep, Failed: rep.Failed(), Network: res.Stats,
			SimSeconds: res.SimTime.Seconds(), WallSeconds: res.Wall.Seconds(), Probes: res.Probes,
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "dynamo sim: %v\n", err)
			return exitFailed
		}
	} else {
		printSim(stdout, cfg, res, sum, rep, replay)
	}
	if rep.Failed() {
		return exitFailed
	}
	return exitOK
}

func describeConfig(c sim.Config) map[string]string {
	writes := "direct"
	if c.Buffered {
		writes = "buffered"
	}
	return map[string]string{
		"nodes": fmt.Sprint(c.Nodes), "n": fmt.Sprint(c.N), "r": fmt.Sprint(c.R), "w": fmt.Sprint(c.W),
		"strategy": fmt.Sprint(int(c.Ring.Strategy)), "tokens": fmt.Sprint(c.Ring.T), "partitions": fmt.Sprint(c.Ring.Q),
		"causality": c.Causality.String(), "writes": writes, "routing": string(c.Routing),
		"clients": fmt.Sprint(c.Workload.Clients), "ops": fmt.Sprint(c.Workload.Ops), "keys": fmt.Sprint(c.Workload.Keys),
		"zipf": fmt.Sprint(c.Workload.Zipf), "loss": fmt.Sprint(c.Net.Loss), "dup": fmt.Sprint(c.Net.Duplicate),
		"reorder": fmt.Sprint(c.Net.Reorder), "latency": c.Net.Latency.String(), "disk_latency": c.Disk.Latency.String(),
		"skew": c.Clocks.MaxSkew.String(), "crashes": fmt.Sprint(c.Faults.Crashes), "partitions_cut": fmt.Sprint(c.Faults.Partitions), "one_way_cut": fmt.Sprint(c.Faults.OneWayPartitions),
	}
}

func printSim(w io.Writer, c sim.Config, res *sim.Result, sum sim.Summary, rep checks.Report, replay string) {
	writes := "direct"
	if c.Buffered {
		writes = "buffered"
	}
	fmt.Fprintf(w, "dynamo sim  seed=%d  nodes=%d  (N,R,W)=(%d,%d,%d)  strategy=%d  causality=%s  writes=%s  routing=%s\n",
		c.Seed, c.Nodes, c.N, c.R, c.W, c.Ring.Strategy, c.Causality, writes, c.Routing)
	fmt.Fprintf(w, "  clients=%d ops=%d keys=%d  loss=%g dup=%g reorder=%g", c.Workload.Clients, c.Workload.Ops,
		c.Workload.Keys, c.Net.Loss, c.Net.Duplicate, c.Net.Reorder)
	if c.Faults.Nemesis {
		fmt.Fprintf(w, "  nemesis: %s\n", res.Plan)
	} else {
		fmt.Fprintf(w, "  crashes=%d partitions=%d\n", c.Faults.Crashes, c.Faults.Partitions)
	}
	fmt.Fprintf(w, "operations  %d (gets %d, writes %d): ok %d, unknown %d, rejected %d\n",
		sum.Ops, sum.Gets, sum.Writes, sum.Ok, sum.Unknown, sum.Rejected)
	printLatency(w, "get", sum.GetLatency)
	printLatency(w, "put", sum.PutLatency)
	fmt.Fprint(w, "versions per read ")
	for _, b := range sum.VersionsPerRead {
		fmt.Fprintf(w, "  %d: %d", b.Versions, b.Reads)
	}
	fmt.Fprintln(w)
	st := res.Stats
	fmt.Fprintf(w, "faults      messages lost %d, duplicated %d, reordered %d, dropped %d; crashes %d, reboots %d; partitions %d; joins %d, leaves %d\n",
		st.Lost, st.Duplicated, st.Reordered, st.Dropped, st.Crashes, st.Reboots, st.Partitions, st.Joins, st.Leaves)
	if res.Converged {
		fmt.Fprintf(w, "converged   %s after every fault healed\n", res.ConvergeTime.Round(time.Millisecond))
	} else {
		fmt.Fprintf(w, "converged   not within the quiet period (%s)\n", c.Quiet)
	}
	fmt.Fprintln(w, "checks")
	rep.Command = "" // the replay line closes the output
	rep.WriteText(w)
	speed := 0.0
	if res.Wall > 0 {
		speed = res.SimTime.Seconds() / res.Wall.Seconds()
	}
	fmt.Fprintf(w, "simulated %s in %s (%.0fx), %d events\n",
		res.SimTime.Round(time.Millisecond), res.Wall.Round(time.Millisecond), speed, st.Events)
	fmt.Fprintf(w, "trace=%s\n", res.TraceHex())
	fmt.Fprintf(w, "replay: %s\n", replay)
}

func printLatency(w io.Writer, name string, l sim.Latency) {
	fmt.Fprintf(w, "latency %-4s p50 %-9s p99 %-9s p99.9 %-9s mean %-9s (n=%d)\n", name,
		l.P50.Round(time.Microsecond), l.P99.Round(time.Microsecond), l.P999.Round(time.Microsecond),
		l.Mean.Round(time.Microsecond), l.Count)
}
