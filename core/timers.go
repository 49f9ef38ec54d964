package core

// timerKind says what a deadline is for.
type timerKind uint8

const (
	timerRequest     timerKind = iota + 1 // a coordinator's or forwarder's deadline
	timerReadRepair                       // a get coordinator stops listening and repairs
	timerFlush                            // the buffered-writes writer runs
	timerRetry                            // ping peers believed down
	timerHandoff                          // scan the hint store
	timerGossip                           // reconcile membership with a peer
	timerTransfer                         // (re)offer key-range transfers
	timerAdmission                        // re-grant background slices
	timerAntiEntropy                      // open a Merkle exchange
)

type timer struct {
	at   Time
	seq  uint64 // FIFO among equal deadlines, so order never depends on anything else
	kind timerKind
	op   uint64
}

func (a timer) before(b timer) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

// timers is a binary min-heap of deadlines. A deadline whose operation has
// finished stays in the heap and is ignored when it fires: cheaper than removal.
type timers struct {
	h   []timer
	seq uint64
}

func (t *timers) push(at Time, kind timerKind, op uint64) {
	t.seq++
	t.h = append(t.h, timer{at: at, seq: t.seq, kind: kind, op: op})
	i := len(t.h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !t.h[i].before(t.h[p]) {
			break
		}
		t.h[i], t.h[p] = t.h[p], t.h[i]
		i = p
	}
}

func (t *timers) peek() (timer, bool) {
	if len(t.h) == 0 {
		return timer{}, false
	}
	return t.h[0], true
}

func (t *timers) pop() timer {
	top := t.h[0]
	last := len(t.h) - 1
	t.h[0] = t.h[last]
	t.h = t.h[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < last && t.h[l].before(t.h[m]) {
			m = l
		}
		if r < last && t.h[r].before(t.h[m]) {
			m = r
		}
		if m == i {
			break
		}
		t.h[i], t.h[m] = t.h[m], t.h[i]
		i = m
	}
	return top
}
