// Package merkle keeps one Merkle tree per key range so that two replicas
// can find the keys on which they disagree by exchanging a few hashes
// instead of every key (Dynamo §4.7, anti-entropy for permanent failures).
//
// Shape. A Tree has Params.Depth levels of inner nodes with Params.Fanout
// children each; level 0 is the root and level Depth holds Fanout^Depth leaf
// buckets. A key's bucket is read from the low 64 bits of its MD5 ring
// position (ring.HashKey): the high bits decide which range a key falls in,
// so all keys of a range share them, while the low bits stay uniform inside
// any range wider than 2^64 (every realistic range). The choice needs no
// knowledge of the range and is the same on every node, so two trees of the
// same range compare bucket by bucket.
//
// Hashes. The paper's leaves are "hashes of individual keys' values"; here a
// key's value hash is the digest the caller passes in (causality.Digest of
// its sibling set), a bucket hashes the (key, digest) pairs it holds in key
// order, and an inner node hashes its children in index order. An empty
// bucket or subtree hashes to the zero Hash, so an empty tree costs nothing
// to compare. Since every hash depends only on the current (key, digest)
// set, trees built in any order, with any history of updates and deletes,
// agree on every hash.
//
// Cost. Set and Delete only mark the bucket stale; hashes are recomputed on
// the next Root, HashAt or Children, walking up from the stale buckets only,
// so a burst of writes pays for each touched bucket once. Buckets live in a
// map and exist only while they hold keys; the inner levels are one flat
// slice of (Fanout^Depth-1)/(Fanout-1) hashes, allocated on the first Set
// and released when the tree empties, so an empty tree is a few words.
//
// Protocol. The package does no I/O: Children and Bucket produce what a node
// puts in its messages, DiffChildren and DiffBucket decide where to descend
// and which keys to move, and Compare/Exchange simulate a whole exchange
// with the same calls to count what it costs.
//
// The package is pure and deterministic so that a simulator run can be
// replayed from its seed: no clock, no randomness, no concurrency and no map
// iteration. It may import only the standard library and core/ring (for the
// key positions).
package merkle
