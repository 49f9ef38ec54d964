package core

import "github.com/dynamo-replay/dynamo/core/ring"

// Key-range transfer (section 4.9). When the ring changes, a node that held a
// range offers it to each node that gained it; the receiver confirms the first
// offer for a range and refuses the others, so that no range is transferred
// twice ("by adding a confirmation round between the source and the
// destination"); the data then moves in batches, each acknowledged once
// durable.

// TransferOffer offers range Range of the ring with epoch Epoch.
type TransferOffer struct {
	Op    uint64
	Epoch uint64
	Range uint32
}

// TransferStatus is a receiver's answer to an offer.
type TransferStatus uint8

const (
	// TransferAccepted: send the data.
	TransferAccepted TransferStatus = iota + 1
	// TransferTaken: another node is sending this range, or has sent it all.
	TransferTaken
	// TransferNotYet: the receiver has not adopted that ring yet; offer again.
	TransferNotYet
)

// TransferReply answers a TransferOffer.
type TransferReply struct {
	Op     uint64
	Status TransferStatus
}

// TransferData carries one batch of a range: keys and their sibling sets.
type TransferData struct {
	Op       uint64
	Epoch    uint64
	Range    uint32
	Offset   int // index of Keys[0] in the whole range's key list
	Keys     []string
	Versions [][]Version
	Last     bool
}

// TransferAck confirms a batch durable.
type TransferAck struct {
	Op   uint64
	Next int // index of the first key not yet confirmed
}

func (TransferOffer) isMessage() {}
func (TransferReply) isMessage() {}
func (TransferData) isMessage()  {}
func (TransferAck) isMessage()   {}

type outState uint8

const (
	outIdle outState = iota
	outOffered
	outSending
)

// outTransfer is one range this node must hand to one new owner.
type outTransfer struct {
	id     uint64
	epoch  uint64
	to     NodeID
	rng    uint32
	keys   []string
	next   int
	state  outState
	sentAt Time
}

// inTransfer is a range this node accepted from a sender.
type inTransfer struct {
	from      NodeID
	lastHeard Time
	done      bool
}

type transferKey struct {
	epoch uint64
	rng   uint32
}

// planTransfers lists, for every key this node owned under the old ring, the
// nodes that own it under the new one and did not before, grouped by range.
// Without an old ring (a leaving node that restarted and forgot its plan),
// every key it holds goes to all of its current owners; receivers refuse what
// they already have.
func (n *Node) planTransfers(old *ring.Ring) {
	n.outgoing = n.outgoing[:0]
	if old == nil && !n.leaving {
		return
	}
	if n.curRing == nil {
		return
	}
	N := n.cfg.N
	var oldBuf []NodeID
	if old != nil {
		oldBuf = make([]NodeID, 0, old.Size())
	}
	type dest struct {
		to  NodeID
		rng uint32
	}
	byDest := map[dest]*outTransfer{} // lookups only; order lives in n.outgoing
	n.store.ascend(func(key string, _ []Version) bool {
		oldTop := []NodeID{n.id}
		if old != nil {
			oldTop = old.PreferenceForKey(key, oldBuf)
			oldTop = oldTop[:min(N, len(oldTop))]
		}
		if indexOf(oldTop, n.id) < 0 {
			return true
		}
		newTop := n.preference(key)
		newTop = newTop[:min(N, len(newTop))]
		tok := ring.HashKey(key)
		rng := uint32(n.curRing.RangeIndex(tok))
		for _, y := range newTop {
			if y == n.id || indexOf(oldTop, y) >= 0 {
				continue
			}
			k := dest{to: y, rng: rng}
			t, ok := byDest[k]
			if !ok {
				t = &outTransfer{id: n.newOp(), epoch: n.epoch, to: y, rng: rng}
				byDest[k] = t
				n.outgoing = append(n.outgoing, t)
			}
			t.keys = append(t.keys, key)
		}
		return true
	})
	if len(n.outgoing) > 0 {
		n.probe("transfer_planned")
	}
	n.maybeFinishLeaving()
}

// runTransfers (re)starts transfers that are idle or whose last message went
// unanswered, as far as admission control allows.
func (n *Node) runTransfers() {
	for _, t := range n.outgoing {
		stalled := t.state != outIdle && n.now.Mono-t.sentAt > n.cfg.RequestTimeout
		if t.state != outIdle && !stalled {
			continue
		}
		if !n.admit() {
			return
		}
		if t.state == outSending {
			n.sendBatch(t)
			continue
		}
		t.state, t.sentAt = outOffered, n.now.Mono
		n.sendExpectingReply(t.to, TransferOffer{Op: t.id, Epoch: t.epoch, Range: t.rng})
	}
}

func (n *Node) sendBatch(t *outTransfer) {
	end := min(t.next+n.cfg.TransferBatch, len(t.keys))
	m := TransferData{Op: t.id, Epoch: t.epoch, Range: t.rng, Offset: t.next, Keys: t.keys[t.next:end], Last: end == len(t.keys)}
	m.Versions = make([][]Version, len(m.Keys))
	for i, k := range m.Keys {
		m.Versions[i] = n.store.get(k)
	}
	t.state, t.sentAt = outSending, n.now.Mono
	n.sendExpectingReply(t.to, m)
}

func (n *Node) findOutgoing(op uint64) int {
	for i, t := range n.outgoing {
		if t.id == op {
			return i
		}
	}
	return -1
}

func (n *Node) dropOutgoing(i int) {
	n.outgoing = append(n.outgoing[:i], n.outgoing[i+1:]...)
	n.maybeFinishLeaving()
}

func (n *Node) handleTransferReply(m TransferReply) {
	i := n.findOutgoing(m.Op)
	if i < 0 {
		return
	}
	t := n.outgoing[i]
	switch m.Status {
	case TransferAccepted:
		if t.state == outOffered {
			n.sendBatch(t)
		}
	case TransferTaken:
		n.probe("transfer_refused_duplicate")
		n.dropOutgoing(i)
	case TransferNotYet:
		t.state = outIdle
		t.sentAt = n.now.Mono
	}
}

func (n *Node) handleTransferAck(m TransferAck) {
	i := n.findOutgoing(m.Op)
	if i < 0 {
		return
	}
	t := n.outgoing[i]
	if m.Next > t.next {
		t.next = m.Next
	}
	if t.next >= len(t.keys) {
		n.stats.TransfersDone++
		n.stats.KeysTransferred += uint64(len(t.keys))
		n.probe("transfer_confirmed")
		n.dropOutgoing(i)
		return
	}
	if n.admit() {
		n.sendBatch(t)
	} else {
		t.sentAt = n.now.Mono - n.cfg.RequestTimeout - 1 // retried at the next tick
	}
}

func (n *Node) handleTransferOffer(from NodeID, m TransferOffer) {
	status := TransferAccepted
	k := transferKey{epoch: m.Epoch, rng: m.Range}
	in := n.incoming[k]
	switch {
	case m.Epoch != n.epoch:
		status = TransferNotYet
	case in == nil:
		n.incoming[k] = &inTransfer{from: from, lastHeard: n.now.Mono}
	case in.done:
		status = TransferTaken
	case in.from == from:
		in.lastHeard = n.now.Mono
	case n.now.Mono-in.lastHeard > 4*n.cfg.RequestTimeout:
		// The sender we confirmed went quiet: let this one take over.
		in.from, in.lastHeard = from, n.now.Mono
		n.probe("transfer_taken_over")
	default:
		status = TransferNotYet // another sender is busy with it; ask again later
	}
	n.send(from, TransferReply{Op: m.Op, Status: status})
}

func (n *Node) handleTransferData(from NodeID, m TransferData) {
	if len(m.Keys) != len(m.Versions) {
		n.stats.BadMessages++
		return
	}
	in := n.incoming[transferKey{epoch: m.Epoch, rng: m.Range}]
	switch {
	case in == nil:
		// This node forgot the confirmation (it restarted): the sender
		// must offer again.
		n.send(from, TransferReply{Op: m.Op, Status: TransferNotYet})
		return
	case in.from != from:
		// Another sender took the range over: this one must stop, or it
		// would resend its batch for ever.
		n.send(from, TransferReply{Op: m.Op, Status: TransferTaken})
		return
	}
	in.lastHeard = n.now.Mono
	recs := make([]Record, 0, len(m.Keys))
	for i, key := range m.Keys {
		local := n.store.get(key)
		merged := n.mech.Merge(local, m.Versions[i])
		if !n.sameSet(local, merged) {
			n.setLocal(key, merged)
		}
		recs = append(recs, versionsRecord(key, n.store.get(key)))
	}
	if m.Last {
		in.done = true
	}
	ack := &Send{To: from, Msg: TransferAck{Op: m.Op, Next: m.Offset + len(m.Keys)}}
	n.emit(&Persist{Token: n.newOp(), Records: recs, Then: []Effect{ack}})
}
