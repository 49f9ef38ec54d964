package core

// effectArena hands out effects by pointer without an allocation per effect.
// Its slices are reused from one Step to the next, which is why effects are
// valid only until the next Step. When a slice is full, a new array replaces
// it and the old one stays alive for the pointers already handed out.
type effectArena struct {
	sends   []Send
	replies []Reply
	wakes   []WakeAt
}

func (a *effectArena) reset() {
	a.sends = a.sends[:0]
	a.replies = a.replies[:0]
	a.wakes = a.wakes[:0]
}

func (a *effectArena) send(to NodeID, m Message) *Send {
	if len(a.sends) == cap(a.sends) {
		a.sends = make([]Send, 0, 2*cap(a.sends)+8)
	}
	a.sends = append(a.sends, Send{To: to, Msg: m})
	return &a.sends[len(a.sends)-1]
}

func (a *effectArena) reply(id ReqID, r Result) *Reply {
	if len(a.replies) == cap(a.replies) {
		a.replies = make([]Reply, 0, 2*cap(a.replies)+4)
	}
	a.replies = append(a.replies, Reply{ID: id, Result: r})
	return &a.replies[len(a.replies)-1]
}

func (a *effectArena) wake(at Time) *WakeAt {
	if len(a.wakes) == cap(a.wakes) {
		a.wakes = make([]WakeAt, 0, 2*cap(a.wakes)+2)
	}
	a.wakes = append(a.wakes, WakeAt{At: at})
	return &a.wakes[len(a.wakes)-1]
}
