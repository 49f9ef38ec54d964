package core

import (
	"fmt"

	"github.com/dynamo-replay/dynamo/core/causality"
	"github.com/dynamo-replay/dynamo/core/ring"
)

// NodeID names a physical node. Node ids are small and dense so that per-node
// tables can be slices.
type NodeID = ring.NodeID

// Time is nanoseconds. Monotonic readings start wherever the driver likes; wall
// readings are Unix nanoseconds in real mode and skewable virtual time in the sim.
type Time int64

// Common durations, so that configuration reads naturally.
const (
	Nanosecond  Time = 1
	Microsecond      = 1000 * Nanosecond
	Millisecond      = 1000 * Microsecond
	Second           = 1000 * Millisecond
)

// Clock is this node's view of time when an input is delivered.
type Clock struct {
	// Mono is monotonic and drives every timeout.
	Mono Time
	// Wall may jump and drift; it stamps versions (vector-clock truncation, lww).
	Wall Time
}

// ReqID identifies a client request at the driver that delivered it.
type ReqID uint64

// Version is one sibling of a key, as stored and replicated.
type Version = causality.Version

// An actor is (node, incarnation, epoch) packed in 16, 24 and 24 bits. The
// incarnation changes at every boot, so dots created before a crash that lost
// unsynced writes can never be created again with other values. The epoch is
// zero for writes a node coordinates as one of the key's owners, and fresh for
// every write it coordinates as a sloppy-quorum fallback: a fallback forgets
// the key once it hands its hint over, and a counter derived from what it
// remembers could then repeat a dot (the bug Riak knew as KV679).
const (
	actorEpochBits       = 24
	actorIncarnationBits = 24
	maxActorField        = 1<<24 - 1
)

func actorOf(id NodeID, incarnation, epoch uint32) causality.Actor {
	if incarnation > maxActorField || epoch > maxActorField {
		panic(fmt.Sprintf("node %d: incarnation %d or actor epoch %d exceeds 24 bits", id, incarnation, epoch))
	}
	return causality.Actor(uint64(id)<<(actorIncarnationBits+actorEpochBits) | uint64(incarnation)<<actorEpochBits | uint64(epoch))
}

// ActorNode returns the node that an actor belongs to.
func ActorNode(a causality.Actor) NodeID {
	return NodeID(uint64(a) >> (actorIncarnationBits + actorEpochBits))
}
