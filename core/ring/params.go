package ring

import "fmt"

// Limits that keep the precomputed lookup tables indexable by int32 and
// their memory bounded (maxListEntries NodeIDs is 256 MiB); the paper's
// largest setting, S=30 with T=1024 or Q=30720, needs under 1M entries.
const (
	maxNodes       = 1 << 16 // every NodeID value
	maxQ           = 1 << 24
	maxTokens      = 1 << 24
	maxListEntries = 1 << 27
)

// Params chooses a partitioning strategy and its sizes.
type Params struct {
	// Strategy is 1, 2 or 3 (paper §6.2).
	Strategy Strategy
	// T is the number of random tokens Assign gives each node under
	// strategies 1 and 2. New accepts members with other token counts, so
	// that a node's share can follow its capacity (§4.2). Strategy 3
	// ignores T.
	T int
	// Q is the number of equal partitions under strategies 2 and 3.
	// Strategy 1 ignores Q.
	Q int
}

// DefaultParams returns strategy 3 with Q=256.
//
// Strategy 3 is where Dynamo ended up: it balances load best for the least
// membership metadata (Figure 8) and its fixed partitions make per-range
// Merkle trees stable across joins. Q=256 gives about 8 partitions per node
// at the paper's S=30, where Figure 8 already shows efficiency near 0.9,
// keeps the partition table small enough to gossip, and admits clusters of
// up to 256 nodes (strategy 3 needs Q >= S). T=8 is only used if the
// strategy is switched to 1 or 2; at S=30 it makes 240 tokens, the same
// order of metadata as Q.
func DefaultParams() Params {
	return Params{Strategy: Strategy3, T: 8, Q: 256}
}

// Validate checks p for a ring of the given number of physical nodes.
func (p Params) Validate(nodes int) error {
	if nodes < 1 {
		return fmt.Errorf("%w: node count %d: need at least one node", ErrInvalidParams, nodes)
	}
	if nodes > maxNodes {
		return fmt.Errorf("%w: node count %d: exceeds the NodeID space of %d", ErrInvalidParams, nodes, maxNodes)
	}
	if !p.Strategy.valid() {
		return fmt.Errorf("%w: Params.Strategy = %d: want 1, 2 or 3", ErrInvalidParams, int(p.Strategy))
	}
	if p.Strategy == Strategy1 || p.Strategy == Strategy2 {
		if p.T < 1 {
			return fmt.Errorf("%w: Params.T = %d: strategy %v needs at least one token per node", ErrInvalidParams, p.T, p.Strategy)
		}
		if p.T > maxTokens/nodes || p.T > maxListEntries/nodes/nodes {
			return fmt.Errorf("%w: Params.T = %d: too many tokens for %d nodes (at most %d tokens and %d preference-table entries)",
				ErrInvalidParams, p.T, nodes, maxTokens, maxListEntries)
		}
	}
	if p.Strategy == Strategy2 || p.Strategy == Strategy3 {
		if p.Q < 1 {
			return fmt.Errorf("%w: Params.Q = %d: strategy %v needs at least one partition", ErrInvalidParams, p.Q, p.Strategy)
		}
		if p.Q > maxQ {
			return fmt.Errorf("%w: Params.Q = %d: more than %d partitions", ErrInvalidParams, p.Q, maxQ)
		}
	}
	if p.Strategy == Strategy3 {
		if p.Q < nodes {
			return fmt.Errorf("%w: Params.Q = %d: strategy 3 needs Q >= node count %d so every node owns a partition", ErrInvalidParams, p.Q, nodes)
		}
		if p.Q > maxListEntries/nodes {
			return fmt.Errorf("%w: Params.Q = %d: too many partitions for %d nodes (at most %d preference-table entries)",
				ErrInvalidParams, p.Q, nodes, maxListEntries)
		}
	}
	return nil
}
