package merkle

import (
	"errors"
	"fmt"
	"math/bits"
)

// ErrInvalidParams wraps every error from Params.Validate; the message names
// the offending field.
var ErrInvalidParams = errors.New("merkle: invalid params")

// Limits on the tree shape. Fanout is capped so that a Children message stays
// a few KiB; MaxBuckets caps the inner-node slice at about 1.1M hashes
// (17 MiB at Fanout 2), far above any useful tree.
const (
	MaxFanout     = 256
	maxBucketBits = 20
	MaxBuckets    = 1 << maxBucketBits
)

// Params fixes the shape of a tree. Both sides of an exchange must use equal
// Params, or their hashes mean different things; a node should use one
// Params for all its ranges and carry it in its cluster config.
type Params struct {
	// Fanout is the number of children of every inner node: a power of two
	// in [2, MaxFanout], because a bucket index is a run of key-position
	// bits and each level consumes log2(Fanout) of them.
	Fanout int
	// Depth is the number of inner levels above the buckets, at least 1. A
	// tree has Fanout^Depth buckets, at most MaxBuckets. Each level adds one
	// message to an exchange that finds a difference.
	Depth int
}

// DefaultParams returns Fanout 16 and Depth 3: 4096 buckets.
//
// With the ring's default of 256 partitions, a node holding 100M keys has
// about 400k keys per range and so about 100 per bucket; at a few hundred
// keys per range most buckets hold none or one. A difference then costs
// 1+16+16+16 hashes per differing bucket plus one bucket listing, and an
// exchange needs five one-way messages. Fanout 16 keeps each Children reply
// to 256 bytes; the inner levels of a tree take 273 hashes (4.3 KiB).
func DefaultParams() Params {
	return Params{Fanout: 16, Depth: 3}
}

// Validate reports the first field that makes p unusable.
func (p Params) Validate() error {
	if p.Fanout < 2 || p.Fanout > MaxFanout || p.Fanout&(p.Fanout-1) != 0 {
		return fmt.Errorf("%w: Params.Fanout = %d: want a power of two in [2, %d]", ErrInvalidParams, p.Fanout, MaxFanout)
	}
	if p.Depth < 1 {
		return fmt.Errorf("%w: Params.Depth = %d: want at least 1", ErrInvalidParams, p.Depth)
	}
	if p.Depth > maxBucketBits/p.fanoutBits() {
		return fmt.Errorf("%w: Params.Depth = %d: Fanout^Depth = %d^%d exceeds %d buckets",
			ErrInvalidParams, p.Depth, p.Fanout, p.Depth, MaxBuckets)
	}
	return nil
}

// Width returns the number of nodes at level: 1 at the root (level 0),
// Fanout^Depth buckets at level Depth. Nodes use it to reject indexes from a
// peer before calling Children or Bucket, which panic on them.
func (p Params) Width(level int) int {
	if level < 0 || level > p.Depth {
		panic(fmt.Sprintf("merkle: level %d outside [0, %d]", level, p.Depth))
	}
	return 1 << (level * p.fanoutBits())
}

// Buckets returns the number of leaf buckets, Width(Depth).
func (p Params) Buckets() int { return p.Width(p.Depth) }

// Child returns the index, one level down, of child c of the node at index:
// the nodes under (level, index) are (level+1, index*Fanout+c) for c in
// [0, Fanout), so children lists and DiffChildren positions map to indexes
// without any per-level bookkeeping.
func (p Params) Child(index, c int) int { return index*p.Fanout + c }

// fanoutBits is log2(Fanout), the key-position bits one level consumes.
func (p Params) fanoutBits() int { return bits.TrailingZeros(uint(p.Fanout)) }

// innerSize is the number of inner nodes, levels 0..Depth-1.
func (p Params) innerSize() int { return (p.Buckets() - 1) / (p.Fanout - 1) }

// offset is where level starts in the flat inner-node slice.
func (p Params) offset(level int) int { return (p.Width(level) - 1) / (p.Fanout - 1) }
