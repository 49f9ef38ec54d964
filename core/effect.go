package core

// Effect is one of *Send, *Reply, *Persist, *WakeAt: something the driver must
// do. Effects returned by Step live in buffers the node reuses at the next
// Step, so a driver copies what it keeps (a Persist's Then effects are the
// exception: they are allocated for the driver to keep until the write is
// durable).
type Effect interface{ isEffect() }

// Send delivers Msg to a peer, best effort.
type Send struct {
	To  NodeID
	Msg Message
}

// Reply answers the client request ID.
type Reply struct {
	ID     ReqID
	Result Result
}

// Persist appends Records to the node's log. The driver must run Then only after
// every record is durable, in order, and drop Then if the node crashes first or
// the write fails. With Notify, it also delivers Persisted{Token} (or
// PersistFailed) back to the node.
type Persist struct {
	Token   uint64
	Records []Record
	Then    []Effect
	Notify  bool
}

// WakeAt asks for a Wakeup once the node's monotonic clock reaches At. It
// replaces any earlier request.
type WakeAt struct{ At Time }

func (*Send) isEffect()    {}
func (*Reply) isEffect()   {}
func (*Persist) isEffect() {}
func (*WakeAt) isEffect()  {}

// Sibling is one version of a value as a client sees it.
type Sibling struct {
	Value   []byte
	Deleted bool
}

// Result is a client-visible outcome. Err is nil or one of the sentinels in
// errors.go. A get returns every causally concurrent sibling, tombstones
// included (a key whose siblings are all tombstones reads as not found), and one
// context that covers them all.
type Result struct {
	Err         error
	Siblings    []Sibling
	Context     []byte
	Coordinator NodeID
}

// Found reports whether a get result holds at least one live (non-deleted) value.
func (r Result) Found() bool {
	for _, s := range r.Siblings {
		if !s.Deleted {
			return true
		}
	}
	return false
}
