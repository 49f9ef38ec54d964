package sim

import "github.com/dynamo-replay/dynamo/core"

// evKind says what an event does when it is dispatched.
type evKind uint8

const (
	evMessage      evKind = iota + 1 // a peer message arrives at node
	evRequest                        // a client request arrives at node
	evResponse                       // a node's reply arrives at a client
	evWake                           // a node's requested wakeup
	evDiskDone                       // a node's oldest pending disk write completes
	evClientRun                      // a client issues its next operation
	evClientGiveUp                   // a client stops waiting for a request
	evFault                          // a fault starts or ends
	evPhase                          // the run moves to its next phase
)

// event is one scheduled item. Events are values in a typed heap: no interface
// boxing and no per-event allocation beyond what the payload needs.
type event struct {
	at   int64
	seq  uint64
	kind evKind
	node core.NodeID
	from core.NodeID
	// gen guards against stale events: a node's epoch for messages, wakeups and
	// disk completions (bumped by a crash), a client's request id for responses.
	gen    uint64
	client int32
	msg    core.Message
	fault  *fault
	// payload indexes a client request's op or a reply's result in the sim's
	// side slabs: the event stays small, and nothing is allocated per request.
	payload int32
}

// slot is a heap entry: pointer-free, so sifting it costs no write barriers.
// The event itself waits in the slab.
type slot struct {
	at  int64
	seq uint64
	idx int32
}

func (a slot) before(b slot) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

// queue is a binary min-heap ordered by (at, seq): FIFO among equal times, so
// the order of events never depends on anything but the seed.
type queue struct {
	h    []slot
	slab []event
	free []int32
	seq  uint64
}

func (q *queue) push(e event) {
	q.seq++
	e.seq = q.seq
	var idx int32
	if n := len(q.free); n > 0 {
		idx = q.free[n-1]
		q.free = q.free[:n-1]
		q.slab[idx] = e
	} else {
		idx = int32(len(q.slab))
		q.slab = append(q.slab, e)
	}
	q.h = append(q.h, slot{at: e.at, seq: e.seq, idx: idx})
	i := len(q.h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q.h[i].before(q.h[p]) {
			break
		}
		q.h[i], q.h[p] = q.h[p], q.h[i]
		i = p
	}
}

func (q *queue) len() int { return len(q.h) }

func (q *queue) pop() event {
	top := q.h[0]
	last := len(q.h) - 1
	q.h[0] = q.h[last]
	q.h = q.h[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < last && q.h[l].before(q.h[m]) {
			m = l
		}
		if r < last && q.h[r].before(q.h[m]) {
			m = r
		}
		if m == i {
			break
		}
		q.h[i], q.h[m] = q.h[m], q.h[i]
		i = m
	}
	e := q.slab[top.idx]
	q.slab[top.idx] = event{} // drop references for the collector
	q.free = append(q.free, top.idx)
	return e
}

// slab stores values by index with a free list, so that short-lived payloads
// are recycled instead of allocated.
type slab[T any] struct {
	items []T
	free  []int32
}

func (s *slab[T]) put(v T) int32 {
	if n := len(s.free); n > 0 {
		i := s.free[n-1]
		s.free = s.free[:n-1]
		s.items[i] = v
		return i
	}
	s.items = append(s.items, v)
	return int32(len(s.items) - 1)
}

// take returns the value at i and frees its place.
func (s *slab[T]) take(i int32) T {
	v := s.items[i]
	var zero T
	s.items[i] = zero
	s.free = append(s.free, i)
	return v
}
