package core

import (
	"github.com/dynamo-replay/dynamo/core/causality"
	"github.com/dynamo-replay/dynamo/core/ring"
)

// Stats counts what a node has done since it booted.
type Stats struct {
	Gets, Puts      uint64
	SiblingsServed  uint64 // summed over answered gets
	Timeouts        uint64
	Forwarded       uint64
	ReadRepairs     uint64
	Flushes         uint64
	BadRequests     uint64
	BadMessages     uint64
	PersistFailures uint64
	// PeersDown and PeersRecovered count this node's changes of opinion.
	PeersDown, PeersRecovered uint64
	// HintsStored counts hints created here; HintsDelivered those confirmed by
	// their owners.
	HintsStored, HintsDelivered uint64
	// MembershipChanges counts tables adopted; TransfersDone and
	// KeysTransferred the key ranges this node handed over, confirmed.
	MembershipChanges, TransfersDone, KeysTransferred uint64
	// BackgroundDeferred counts background batches admission control held back.
	BackgroundDeferred uint64
	// Anti-entropy: exchanges opened here, keys found differing at the
	// buckets, keys pushed to a peer, and the bytes of tree comparison sent.
	AEExchanges, AEKeysDiffered, AEKeysMoved, AEBytes uint64
}

// Status is a read-only snapshot of a node, for checks, experiments and /status.
type Status struct {
	ID          NodeID
	Incarnation uint32
	Ready       bool
	Keys        int
	PendingGets int
	PendingPuts int
	Buffered    int
	Hints       int
	Member      Member // this node's own entry in its membership table
	Epoch       uint64 // digest of the ring this node routes with
	Transfers   int    // key ranges still to hand over
	Stats       Stats
}

// Status returns a snapshot; it changes nothing.
func (n *Node) Status() Status {
	self, _ := n.members.Member(n.id)
	return Status{
		Member:      self,
		ID:          n.id,
		Incarnation: n.incarnation,
		Ready:       n.ready,
		Keys:        n.store.len(),
		PendingGets: len(n.gets),
		PendingPuts: len(n.puts),
		Buffered:    len(n.buffer.keys),
		Hints:       n.hints.tree.Len(),
		Epoch:       n.epoch,
		Transfers:   len(n.outgoing),
		Stats:       n.stats,
	}
}

// Membership returns the node's membership table; it must not be modified.
func (n *Node) Membership() *Membership { return n.members }

// Ring returns the ring the node routes with, nil before it knows one.
func (n *Node) Ring() *ring.Ring { return n.curRing }

// Versions returns the node's sibling set for key. The slice must not be
// modified.
func (n *Node) Versions(key string) []Version { return n.store.get(key) }

// Ascend calls fn for every stored key in key order until fn returns false. fn
// must not modify the versions.
func (n *Node) Ascend(fn func(key string, versions []Version) bool) { n.store.ascend(fn) }

func causalitySameSet(a, b []Version) bool { return causality.SameSet(a, b) }
