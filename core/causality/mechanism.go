package causality

import (
	"fmt"
	"math"
)

// NewVersion is the version coordinator actor creates for put(ctx, value),
// given its local siblings for the key; wall is its wall clock (ns). The new
// counter is one more than the largest counter of actor found in ctx and in
// every local version, dots and clocks alike, so that an actor never repeats
// a counter within an incarnation even when its local set forgot some of its
// writes (a key handed off and back) but the client's context did not.
//
//   - dvv: Dot{actor, counter}; Clock is exactly ctx, which is what makes dvv
//     an exact multi-value register: the new version supersedes what its
//     writer saw and nothing else.
//   - vc: Clock is ctx with actor's entry set to (counter, wall), truncated to
//     VCMaxEntries by dropping the entry with the oldest Wall (ties: the
//     smallest Actor), never the writer's own, which is the only entry that
//     orders this version after the context.
//   - lww: Dot{actor, counter}, no Clock; versions are ordered by (Wall,
//     Actor, Counter).
//
// It panics if actor's counter would wrap past 2^64-1, which only a corrupt
// or forged context can cause, since real counters grow by one per write.
func (m Mechanism) NewVersion(local []Version, ctx Clock, actor Actor, wall int64, value []byte, deleted bool) Version {
	m.mustBeBuilt()
	v := Version{
		Dot:     Dot{Actor: actor, Counter: nextCounter(local, ctx, actor)},
		Wall:    wall,
		Deleted: deleted,
		Value:   value,
	}
	switch m.mode {
	case DVV:
		if len(ctx) > 0 {
			// Clipped so that an append by a later holder cannot write into
			// the caller's backing array.
			v.Clock = ctx[:len(ctx):len(ctx)]
		}
	case VC:
		v.Clock = truncate(withEntry(ctx, Entry{Actor: actor, Counter: v.Dot.Counter, Wall: wall}), actor, m.vcMax)
	}
	return v
}

func nextCounter(local []Version, ctx Clock, a Actor) uint64 {
	n := ctx.Get(a)
	for i := range local {
		if local[i].Dot.Actor == a {
			n = max(n, local[i].Dot.Counter)
		}
		n = max(n, local[i].Clock.Get(a))
	}
	if n == math.MaxUint64 {
		panic(fmt.Sprintf("causality: counter of actor %d exhausted (a corrupt or forged context?)", a))
	}
	return n + 1
}

// Apply is the coordinator's step after NewVersion: the local set with v
// merged in.
func (m Mechanism) Apply(local []Version, v Version) []Version {
	return m.Merge(local, []Version{v})
}

// Context is the clock a client gets back with a read of these siblings and
// passes to its next put; that put will supersede exactly what Covered says.
//
//   - dvv: the join over siblings of their Clock plus their own Dot, since
//     the reader has now seen both the versions and their pasts.
//   - vc: the join of the siblings' clocks (the paper's "summary").
//   - lww: the join of the dots as entries; harmless, lww ignores contexts.
//
// The result is fresh.
func (m Mechanism) Context(siblings []Version) Clock {
	m.mustBeBuilt()
	var out Clock
	for i := range siblings {
		v := &siblings[i]
		if m.mode != LWW {
			out = Join(out, v.Clock)
		}
		if m.mode != VC {
			out = joinEntry(out, Entry{Actor: v.Dot.Actor, Counter: v.Dot.Counter, Wall: v.Wall})
		}
	}
	return out
}

// Covered reports whether a put with context ctx supersedes v.
//
//   - dvv: ctx has seen v's dot.
//   - vc: ctx descends v's clock.
//   - lww: never; the newer write wins by its timestamp, not by what it saw.
func (m Mechanism) Covered(ctx Clock, v Version) bool {
	m.mustBeBuilt()
	switch m.mode {
	case DVV:
		return ctx.Get(v.Dot.Actor) >= v.Dot.Counter
	case VC:
		return ctx.Descends(v.Clock)
	}
	return false
}
