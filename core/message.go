package core

// Message is a peer-to-peer message. Messages are plain data: the sim passes them
// by reference (never mutated after sending) and net/ encodes them.
type Message interface{ isMessage() }

// GetReq asks a replica for its versions of Key. Op identifies the request at
// the coordinator.
type GetReq struct {
	Op  uint64
	Key string
}

// GetResp answers a GetReq with the replica's whole sibling set.
type GetResp struct {
	Op       uint64
	Key      string
	Versions []Version
}

// PutReq asks a replica to merge Versions (the coordinator's whole sibling set
// for Key, so that a replica holding a dot also holds every version that dot's
// context claims) and to acknowledge with PutAck{Op} once durable. Op zero means
// no acknowledgement is wanted (read repair). Durable matters only with buffered
// writes: the one replica the coordinator chose must write to disk before acking.
//
// When Hinted, Hint names the top-N node a fallback stands in for (section
// 4.6); a node that receives a PutReq hinted for another keeps it in its hint
// store.
type PutReq struct {
	Op       uint64
	Key      string
	Versions []Version
	Durable  bool
	Hinted   bool
	Hint     NodeID
}

// PutAck acknowledges a PutReq.
type PutAck struct{ Op uint64 }

// Forward hands a client request to a node that can coordinate it.
type Forward struct {
	Op  uint64
	Req Op
}

// ForwardReply carries the outcome of a forwarded request back.
type ForwardReply struct {
	Op     uint64
	Result Result
}

// Ping asks a peer believed down whether it is up again; Pong answers.
type Ping struct{}

// Pong answers a Ping.
type Pong struct{}

// HandoffReq delivers a hinted replica to its owner, who acknowledges with
// HandoffAck once it is durable; only then may the fallback delete the hint.
type HandoffReq struct {
	Op       uint64
	Key      string
	Versions []Version
}

// HandoffAck confirms a HandoffReq.
type HandoffAck struct{ Op uint64 }

func (Ping) isMessage()         {}
func (Pong) isMessage()         {}
func (HandoffReq) isMessage()   {}
func (HandoffAck) isMessage()   {}
func (GetReq) isMessage()       {}
func (GetResp) isMessage()      {}
func (PutReq) isMessage()       {}
func (PutAck) isMessage()       {}
func (Forward) isMessage()      {}
func (ForwardReply) isMessage() {}
