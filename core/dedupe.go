package core

// forwardKey names a forwarded request: op ids are unique per forwarder.
type forwardKey struct {
	from NodeID
	op   uint64
}

type seenForward struct {
	key forwardKey
	at  Time
}

// recentForwards remembers the forwarded requests a node accepted, so that a
// Forward the network duplicated is not coordinated twice: a put coordinated
// twice creates two versions of one client write, and a later write whose
// context covers only one of them resurrects the other as a sibling. Entries
// expire after a window longer than any message delay, and the FIFO is bounded.
type recentForwards struct {
	seen   map[forwardKey]struct{} // membership only; order lives in fifo
	fifo   []seenForward
	head   int
	window Time
	limit  int
}

func (r *recentForwards) init(window Time, limit int) {
	r.seen = make(map[forwardKey]struct{})
	r.window, r.limit = window, limit
}

// admit records key at now and reports whether it is new.
func (r *recentForwards) admit(key forwardKey, now Time) bool {
	for r.head < len(r.fifo) && (r.fifo[r.head].at < now-r.window || len(r.fifo)-r.head >= r.limit) {
		delete(r.seen, r.fifo[r.head].key)
		r.head++
	}
	if r.head > len(r.fifo)/2 {
		r.fifo = append(r.fifo[:0], r.fifo[r.head:]...)
		r.head = 0
	}
	if _, dup := r.seen[key]; dup {
		return false
	}
	r.seen[key] = struct{}{}
	r.fifo = append(r.fifo, seenForward{key: key, at: now})
	return true
}
