package merkle

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
)

// Hash is the hash of a bucket or subtree. The zero Hash means empty, so
// that two trees missing the same keys agree without hashing anything.
type Hash [16]byte

// IsZero reports whether h is the empty-subtree hash.
func (h Hash) IsZero() bool { return h == Hash{} }

// String renders h as 32 hex digits, for transcripts and failure messages.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// KeyDigest is one key and the digest of its sibling set, as held in a
// bucket and sent to a peer at the bottom of an exchange.
type KeyDigest struct {
	Key    string
	Digest Hash
}

// Domain tags keep a bucket's encoding from ever equalling an inner node's,
// so a hash names one kind of thing.
const (
	tagBucket = 'B'
	tagInner  = 'I'
)

// hashBucket hashes a bucket's entries, already sorted by key. Keys are
// length-prefixed so that ("ab", d) and ("a", "b"+d...) cannot collide by
// concatenation. MD5 matches the ring and causality.Digest: a collision costs
// a missed repair that the next digest change fixes, not safety. scratch is
// reused across calls to keep refresh allocation-free; the grown buffer is
// returned.
func hashBucket(scratch []byte, entries []KeyDigest) (Hash, []byte) {
	if len(entries) == 0 {
		return Hash{}, scratch
	}
	buf := append(scratch[:0], tagBucket)
	for i := range entries {
		buf = binary.AppendUvarint(buf, uint64(len(entries[i].Key)))
		buf = append(buf, entries[i].Key...)
		buf = append(buf, entries[i].Digest[:]...)
	}
	return md5.Sum(buf), buf
}

// hashInner hashes an inner node's children in index order; position in the
// concatenation stands for the child index. All-empty children give the
// zero Hash, so a subtree is empty exactly when it holds no keys.
func hashInner(scratch []byte, children []Hash) (Hash, []byte) {
	buf := append(scratch[:0], tagInner)
	empty := true
	for i := range children {
		empty = empty && children[i].IsZero()
		buf = append(buf, children[i][:]...)
	}
	if empty {
		return Hash{}, buf
	}
	return md5.Sum(buf), buf
}
