package sim

import (
	"fmt"
	"sort"
	"time"

	"github.com/dynamo-replay/dynamo/checks"
	"github.com/dynamo-replay/dynamo/core"
)

// Result is what a run produced.
type Result struct {
	Seed    uint64
	Config  Config
	History *checks.History
	// LoadOps is how many of History.Ops belong to the load phase (the rest are
	// the end-of-run scrub reads).
	LoadOps int
	Trace   uint64
	Stats   Stats
	SimTime time.Duration
	Wall    time.Duration
	Probes  []Probe
	Nodes   []core.Status
	// Converged says whether every key's top N replicas came to hold the same
	// siblings during the quiet period, and ConvergeTime how long after the
	// heal they did (-1 if they had not by the bound).
	Converged    bool
	ConvergeTime time.Duration
	// Plan is what the seed drew for the nemesis (all off without it).
	Plan NemesisPlan
	// Load is the per-node request count per Config.LoadWindow (nil without).
	Load []LoadWindow
}

// Probe counts how often one protocol path ran.
type Probe struct {
	Name  string `json:"name"`
	Count uint64 `json:"count"`
}

// TraceHex is the trace hash as printed: trace=<hex>.
func (r *Result) TraceHex() string { return fmt.Sprintf("%016x", r.Trace) }

func (s *Sim) result(wall time.Duration) *Result {
	r := &Result{
		Seed:    s.cfg.Seed,
		Config:  s.cfg,
		History: s.history,
		LoadOps: s.loadOps,
		Stats:   s.stats,
		SimTime: time.Duration(s.now),
		Wall:    wall,

		Converged:    s.quiet.convergeAt >= 0,
		ConvergeTime: s.convergeTime(),
		Plan:         s.plan,
		Load:         s.load,
	}
	// Fold the history into the trace too: the same events must have produced
	// the same observations.
	for _, op := range s.history.Ops {
		s.trace.mix(uint64(op.Call))
		s.trace.mix(uint64(op.Return))
		s.trace.mix(uint64(len(op.Values)))
	}
	r.Trace = s.trace.h
	names := make([]string, 0, len(s.probes))
	for name := range s.probes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		r.Probes = append(r.Probes, Probe{Name: name, Count: s.probes[name]})
	}
	for _, n := range s.nodes[1:] {
		if n.up {
			r.Nodes = append(r.Nodes, n.node.Status())
		}
	}
	return r
}

func sortStrings(v []string) { sort.Strings(v) }
