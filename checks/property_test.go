package checks

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// seqSim is a perfectly sequential multi-value-register store: one operation
// at a time, each applied within its own interval. Whatever it records must
// pass every check, whatever the clients do.
type seqSim struct {
	now     int64
	nextVal int
	live    map[string][]string
	ctx     map[[2]string][]string // (client, key) -> values of the client's last get
	pending []pendingWrite         // unknown writes that will land later
	h       History
}

type pendingWrite struct {
	key, value string
	covers     []string
}

var simKeys = []string{"a", "b", "c"}

func (s *seqSim) apply(key, value string, covers []string) {
	s.live[key] = applyWrite(s.live[key], sortedCopy(covers), value)
}

func (s *seqSim) interval(t *rapid.T) (int64, int64) {
	call := s.now + rapid.Int64Range(1, 5).Draw(t, "gap")
	ret := call + rapid.Int64Range(0, 5).Draw(t, "duration")
	s.now = ret
	return call, ret
}

func (s *seqSim) step(t *rapid.T) {
	// Between operations, an earlier unknown write may land.
	if len(s.pending) > 0 && rapid.Bool().Draw(t, "land") {
		i := rapid.IntRange(0, len(s.pending)-1).Draw(t, "which")
		p := s.pending[i]
		s.apply(p.key, p.value, p.covers)
		s.pending = slices.Delete(s.pending, i, i+1)
	}
	client := rapid.IntRange(0, 3).Draw(t, "client")
	key := rapid.SampledFrom(simKeys).Draw(t, "key")
	call, ret := s.interval(t)
	op := Op{Client: client, Key: key, Call: call, Return: ret, Node: client % 3, Coordinator: (client + 1) % 3}
	ctxKey := [2]string{fmt.Sprint(client), key}

	switch kind := rapid.SampledFrom([]Kind{Get, Get, Put, Put, Delete}).Draw(t, "kind"); kind {
	case Get:
		op.Kind = Get
		op.Outcome = rapid.SampledFrom([]Outcome{Ok, Ok, Ok, Unknown}).Draw(t, "get outcome")
		if op.Outcome == Ok {
			op.Values = slices.Clone(s.live[key])
			s.ctx[ctxKey] = op.Values
		}
	default:
		s.nextVal++
		op.Kind = kind
		op.Value = fmt.Sprintf("v%d", s.nextVal)
		if kind == Delete {
			op.Value = fmt.Sprintf("t%d", s.nextVal)
		}
		if rapid.Bool().Draw(t, "with context") {
			op.Covers = s.ctx[ctxKey]
		}
		op.Outcome = rapid.SampledFrom([]Outcome{Ok, Ok, Ok, Unknown, Rejected}).Draw(t, "write outcome")
		switch {
		case op.Outcome == Ok:
			s.apply(key, op.Value, op.Covers)
		case op.Outcome == Unknown:
			switch rapid.IntRange(0, 2).Draw(t, "unknown fate") {
			case 0: // landed before the client gave up
				s.apply(key, op.Value, op.Covers)
			case 1: // lands some time later, or never
				s.pending = append(s.pending, pendingWrite{key, op.Value, op.Covers})
			}
		}
	}
	s.h.Ops = append(s.h.Ops, op)
}

func (s *seqSim) finish() *History {
	for _, k := range simKeys {
		s.h.Final = append(s.h.Final, final(k, slices.Clone(s.live[k])...))
	}
	return &s.h
}

func TestSequentialHistoriesPassEverything(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := &seqSim{live: map[string][]string{}, ctx: map[[2]string][]string{}}
		s.h.Expect = Expect{Linearizable: true, NoLostWrites: true, Converged: true}
		for range rapid.IntRange(0, 60).Draw(t, "ops") {
			s.step(t)
		}
		h := s.finish()
		require.NoError(t, h.Validate())

		res := CheckLinearizable(h, time.Minute)
		require.Equal(t, porcupine.Ok, res.Outcome, "%v", res.Messages)
		for _, f := range []Findings{NoInventedValues(h), NoLostWrites(h), Converged(h), StaleReads(h)} {
			require.True(t, f.Passed(), "%s: %v", f.Check, f.Violations)
		}
		rep := Run(h, Options{})
		require.False(t, rep.Failed())
	})
}

// Dropping the last acknowledged write from one replica, or reordering two
// sequential reads of a changed key, must always be caught.
func TestSequentialHistoriesWithInjectedBugsAreCaught(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := &seqSim{live: map[string][]string{}, ctx: map[[2]string][]string{}}
		for range rapid.IntRange(1, 40).Draw(t, "ops") {
			s.step(t)
		}
		// One more acknowledged blind put that every later get must show.
		key := rapid.SampledFrom(simKeys).Draw(t, "key")
		call, ret := s.interval(t)
		s.nextVal++
		v := fmt.Sprintf("v%d", s.nextVal)
		s.h.Ops = append(s.h.Ops, put(9, key, v, call, ret))
		s.apply(key, v, nil)
		call, ret = s.interval(t)
		s.h.Ops = append(s.h.Ops, get(9, key, call, ret, slices.Clone(s.live[key])...))
		h := s.finish()
		lin, _ := Run(h, Options{}).Verdict(NameLinearizable)
		require.True(t, lin.Passed)

		// Bug 1: the get misses the put it follows.
		h.Ops[len(h.Ops)-1].Values = slices.DeleteFunc(slices.Clone(h.Ops[len(h.Ops)-1].Values), func(x string) bool { return x == v })
		require.Equal(t, porcupine.Illegal, CheckLinearizable(h, time.Minute).Outcome)
		require.Equal(t, 1, StaleReads(h).Count)

		// Bug 2: every replica dropped it.
		for i := range h.Final {
			if h.Final[i].Key != key {
				continue
			}
			for j := range h.Final[i].Replicas {
				h.Final[i].Replicas[j].Values = slices.DeleteFunc(slices.Clone(h.Final[i].Replicas[j].Values), func(x string) bool { return x == v })
			}
		}
		require.Equal(t, 1, NoLostWrites(h).Count)

		// Bug 3: one replica holds a value nobody wrote.
		h.Final[0].Replicas[0].Values = append(h.Final[0].Replicas[0].Values, "ghost")
		require.False(t, NoInventedValues(h).Passed())
		require.False(t, Converged(h).Passed())
	})
}
