package merkle

import (
	"fmt"
	"slices"
)

// Sizes behind Stats.BytesEstimate. They model a compact binary encoding;
// only the relative cost of hashes, indexes and keys matters to the sweep.
const (
	// msgHeaderBytes covers a message's range id, level and entry count.
	msgHeaderBytes = 16
	// indexBytes names one node of a level; 4 bytes reach MaxBuckets.
	indexBytes = 4
	// hashBytes is one Hash.
	hashBytes = len(Hash{})
	// keyLenBytes prefixes each key in a bucket listing.
	keyLenBytes = 2
)

// Stats is the cost of the comparison phase of one exchange, the part this
// package decides. Moving the differing keys' sibling sets afterwards is the
// node's business and is not counted, since only it knows their sizes.
type Stats struct {
	// Rounds counts one-way messages, i.e. network hops of latency: 1 when
	// the roots agree, Depth+2 otherwise (roots, Depth levels of children,
	// one batch of bucket listings).
	Rounds int
	// HashesSent counts hashes in all messages, the root included.
	HashesSent int
	// BucketsCompared counts buckets whose hashes differed, whose listings
	// were therefore sent.
	BucketsCompared int
	// KeysCompared counts distinct keys in those buckets on either side: the
	// keys whose digests had to be looked at.
	KeysCompared int
	// KeysDiffering counts keys to transfer either way: held by one side
	// only, or by both with different digests.
	KeysDiffering int
	// BytesEstimate sums the estimated size of every message.
	BytesEstimate int
}

// Delta is the outcome of a simulated exchange: which keys differ, from a's
// point of view, and what finding them cost. Key lists are sorted.
type Delta struct {
	OnlyA  []string // keys a holds and b lacks: a pushes them
	OnlyB  []string // keys b holds and a lacks: a pulls them
	Differ []string // keys both hold with different digests: both sides sync
	Stats  Stats
}

// Exchange simulates an exchange between a and b and returns its cost; see
// Compare.
func Exchange(a, b *Tree) Stats { return Compare(a, b).Stats }

// Compare simulates the protocol a node runs with a peer over one range,
// using only the calls a node would (Root, Children, DiffChildren, Bucket,
// DiffBucket), so it doubles as the reference for the message flow:
//
//  1. a sends its root. If b's root is equal, the exchange ends here.
//  2. b sends the children of the root; a diffs them against its own and
//     keeps the differing positions as the frontier, one level down.
//  3. The sides alternate: whoever received children last sends its own
//     children of every frontier node, and the receiver narrows the frontier
//     to the children that differ. After Depth such messages the frontier
//     is the set of differing buckets.
//  4. The next sender sends its listing of each frontier bucket; the
//     receiver runs DiffBucket and knows every key to push and to pull.
//
// A frontier is never empty, since a parent's hash is a function of its
// children's. Compare panics if the trees' Params differ: their hashes
// would not be comparable, and the node must not pair such trees.
func Compare(a, b *Tree) Delta {
	if a.p != b.p {
		panic(fmt.Sprintf("merkle: Compare of trees with Params %+v and %+v", a.p, b.p))
	}
	p := a.p
	var d Delta
	d.Stats.send(1, 0)
	if a.Root() == b.Root() {
		return d
	}
	// sender and receiver swap after each message; b answers a's root.
	sender, receiver := b, a
	frontier := []int{0}
	var mine, theirs []Hash
	for level := 0; level < p.Depth; level++ {
		var next []int
		for _, node := range frontier {
			theirs = sender.AppendChildren(theirs[:0], level, node)
			mine = receiver.AppendChildren(mine[:0], level, node)
			for _, c := range DiffChildren(mine, theirs) {
				next = append(next, p.Child(node, c))
			}
		}
		d.Stats.send(len(frontier)*p.Fanout, len(frontier))
		frontier = next
		sender, receiver = receiver, sender
	}
	d.compareBuckets(a, sender, receiver, frontier)
	return d
}

// compareBuckets runs step 4: sender lists each differing bucket, receiver
// diffs it against its own, and the results are turned to a's point of view.
func (d *Delta) compareBuckets(a, sender, receiver *Tree, buckets []int) {
	bytes := msgHeaderBytes
	for _, bi := range buckets {
		sent, own := sender.Bucket(bi), receiver.Bucket(bi)
		bytes += indexBytes
		for i := range sent {
			bytes += keyLenBytes + len(sent[i].Key) + hashBytes
		}
		onlyRecv, onlySend, differ := DiffBucket(own, sent)
		// Distinct keys: the receiver's own plus those only the sender has.
		d.Stats.KeysCompared += len(own) + len(onlySend)
		if receiver != a {
			onlyRecv, onlySend = onlySend, onlyRecv
		}
		d.OnlyA = append(d.OnlyA, onlyRecv...)
		d.OnlyB = append(d.OnlyB, onlySend...)
		d.Differ = append(d.Differ, differ...)
	}
	// Buckets are visited in tree order, not key order; sort for callers.
	slices.Sort(d.OnlyA)
	slices.Sort(d.OnlyB)
	slices.Sort(d.Differ)
	d.Stats.Rounds++
	d.Stats.BucketsCompared = len(buckets)
	d.Stats.KeysDiffering = len(d.OnlyA) + len(d.OnlyB) + len(d.Differ)
	d.Stats.BytesEstimate += bytes
}

// send accounts for one message of hashes naming nodes indexes.
func (s *Stats) send(hashes, nodes int) {
	s.Rounds++
	s.HashesSent += hashes
	s.BytesEstimate += msgHeaderBytes + nodes*indexBytes + hashes*hashBytes
}
