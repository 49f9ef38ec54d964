package causality

// withEntry returns a fresh copy of c with e in place of e.Actor's entry.
// One spare slot lets truncate's caller avoid a second allocation.
func withEntry(c Clock, e Entry) Clock {
	out := make(Clock, 0, len(c)+1)
	placed := false
	for _, x := range c {
		if !placed && x.Actor >= e.Actor {
			out = append(out, e)
			placed = true
			if x.Actor == e.Actor {
				continue
			}
		}
		out = append(out, x)
	}
	if !placed {
		out = append(out, e)
	}
	return out
}

// truncate applies the paper's rule to a clock it owns: while c has more than
// limit entries, remove the one with the oldest Wall. Ties go to the smallest
// Actor so that every replica truncates alike. The writer's entry is kept
// whatever its Wall (a skewed clock can make it look oldest), because
// dropping it would make the new version look like an ancestor of its own
// context.
func truncate(c Clock, writer Actor, limit int) Clock {
	for len(c) > limit {
		victim := -1
		for i, e := range c {
			if e.Actor == writer {
				continue
			}
			if victim < 0 || e.Wall < c[victim].Wall {
				victim = i
			}
		}
		c = append(c[:victim], c[victim+1:]...)
	}
	return c
}
