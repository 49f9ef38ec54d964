package core

// Input is one event delivered to a node, with the node's clock at that moment.
type Input struct {
	Now   Clock
	Event Event
}

// Event is one of *Boot, *Recv, *ClientRequest, *Wakeup, *Persisted,
// *PersistFailed. Events travel by pointer so that a driver can reuse one
// value per kind and deliver it without an allocation; the node never keeps an
// event after Step returns.
type Event interface{ isEvent() }

// Boot is delivered once after New, before any other event.
type Boot struct{}

// Recv is a message from a peer.
type Recv struct {
	From NodeID
	Msg  Message
}

// ClientRequest is a get, put or delete from a client.
type ClientRequest struct {
	ID ReqID
	Op Op
}

// Wakeup says a time requested with WakeAt has passed. Spurious wakeups are harmless.
type Wakeup struct{}

// Persisted reports that a Persist with Notify set is durable.
type Persisted struct{ Token uint64 }

// PersistFailed reports that a Persist failed (an I/O error); its Then effects
// were dropped.
type PersistFailed struct {
	Token uint64
	Err   error
}

func (*Boot) isEvent()          {}
func (*Recv) isEvent()          {}
func (*ClientRequest) isEvent() {}
func (*Wakeup) isEvent()        {}
func (*Persisted) isEvent()     {}
func (*PersistFailed) isEvent() {}

// OpKind is the kind of client operation.
type OpKind uint8

const (
	OpGet OpKind = iota + 1
	OpPut
	OpDelete
	// OpJoin and OpLeave are an administrator's membership changes for the
	// node that receives them (section 4.8.1). They take no key.
	OpJoin
	OpLeave
)

func (k OpKind) String() string {
	switch k {
	case OpGet:
		return "get"
	case OpPut:
		return "put"
	case OpDelete:
		return "delete"
	case OpJoin:
		return "join"
	case OpLeave:
		return "leave"
	}
	return "op?"
}

// Op is a client operation. R and W of zero mean the node's defaults.
type Op struct {
	Kind    OpKind
	Key     string
	Value   []byte // put only
	Context []byte // put and delete: the opaque context of an earlier get, or nil
	R, W    int
}
