package causality

import (
	"fmt"
	"strconv"
	"strings"
)

// Actor is whoever coordinated a write. It is opaque here; the node builds it
// from its node id and an incarnation number that changes on every restart, so
// that a node which lost unsynced writes in a crash can never reuse a dot
// (Riak regenerates its vnode id for the same reason).
type Actor uint64

// Entry is one actor's component of a Clock. Wall is the time (ns, on the
// actor's own wall clock) of the actor's last update to the key; vc
// truncation needs it to find the oldest entry (paper §4.4). It never takes
// part in comparisons: wall clocks skew and jump, causality must not.
type Entry struct {
	Actor   Actor
	Counter uint64
	Wall    int64
}

// Clock maps actors to counters. It is sorted by Actor, holds each actor at
// most once and no zero Counter, so that equality, encoding and digests do not
// depend on how a clock was built; a missing actor reads as 0. Treat it as
// immutable.
type Clock []Entry

// Get is a binary search because dvv clocks grow with every actor (node and
// incarnation) that ever wrote the key.
func (c Clock) Get(a Actor) uint64 {
	lo, hi := 0, len(c)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if c[mid].Actor < a {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(c) && c[lo].Actor == a {
		return c[lo].Counter
	}
	return 0
}

// Descends reports whether c has seen everything d has: every counter of d
// is at most c's. Wall is ignored.
func (c Clock) Descends(d Clock) bool {
	i := 0
	for _, e := range d {
		for i < len(c) && c[i].Actor < e.Actor {
			i++
		}
		var have uint64
		if i < len(c) && c[i].Actor == e.Actor {
			have = c[i].Counter
		}
		if have < e.Counter {
			return false
		}
	}
	return true
}

// dominates is the strict order: c has seen all of d and something more.
func (c Clock) dominates(d Clock) bool {
	return c.Descends(d) && !d.Descends(c)
}

// Join is the pointwise maximum of counters; Wall takes the maximum too, so
// that the joined entry remembers the latest update truncation knows of.
// The result is fresh (nil when both are empty).
func Join(a, b Clock) Clock {
	if len(a)+len(b) == 0 {
		return nil
	}
	out := make(Clock, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i].Actor < b[j].Actor:
			out = append(out, a[i])
			i++
		case a[i].Actor > b[j].Actor:
			out = append(out, b[j])
			j++
		default:
			out = append(out, maxEntry(a[i], b[j]))
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

func maxEntry(a, b Entry) Entry {
	a.Counter = max(a.Counter, b.Counter)
	a.Wall = max(a.Wall, b.Wall)
	return a
}

// joinEntry joins one entry into c in place. c must be owned by the caller
// (fresh from Join or nil), never a clock somebody else holds.
func joinEntry(c Clock, e Entry) Clock {
	i := 0
	for i < len(c) && c[i].Actor < e.Actor {
		i++
	}
	if i < len(c) && c[i].Actor == e.Actor {
		c[i] = maxEntry(c[i], e)
		return c
	}
	c = append(c, Entry{})
	copy(c[i+1:], c[i:])
	c[i] = e
	return c
}

// String prints counters only, in the paper's notation: [(a1,2),(a2,1)].
func (c Clock) String() string {
	var sb strings.Builder
	sb.WriteByte('[')
	for i, e := range c {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString("(a")
		sb.WriteString(strconv.FormatUint(uint64(e.Actor), 10))
		sb.WriteByte(',')
		sb.WriteString(strconv.FormatUint(e.Counter, 10))
		sb.WriteByte(')')
	}
	sb.WriteByte(']')
	return sb.String()
}

// Validate reports why c is not canonical, if it is not. Every function here
// assumes canonical clocks; the decoders call Validate, so a clock that came
// from bytes is always canonical, and other callers need it only for clocks
// they assembled by hand.
func (c Clock) Validate() error {
	for i, e := range c {
		if e.Counter == 0 {
			return fmt.Errorf("clock entry %d (actor %d) has a zero counter", i, e.Actor)
		}
		if i > 0 && e.Actor <= c[i-1].Actor {
			return fmt.Errorf("clock entry %d: actor %d does not follow actor %d (clocks are sorted by actor, without duplicates)",
				i, e.Actor, c[i-1].Actor)
		}
	}
	return nil
}
