package ring

import (
	"fmt"
	"slices"
)

// Ring maps key positions to preference lists. It is immutable after New,
// so one Ring may be shared by every node of a simulation.
type Ring struct {
	params  Params
	members []Member // sorted by ID, tokens sorted; owned by the Ring
	nodes   []NodeID // sorted

	tokens []Token // every token of every member, sorted
	index  tokenIndex

	// lists holds, for each token j, the preference list that starts at
	// tokens[j]: lists[j*size : (j+1)*size]. Lists are per token rather than
	// per range because under strategy 2 many partitions share a first
	// token, and the table stays S*T*S entries instead of Q*S.
	lists []NodeID
	size  int

	ranges   []Range
	rangeTok []int32 // range i takes its preference list from token rangeTok[i]
	q        uint64  // partition count for strategies 2 and 3; 0 for strategy 1
}

// New builds a ring from members, which may come from Assign or from a
// membership view. It copies its input. Members may hold different numbers
// of tokens under strategies 1 and 2 (capacity weighting, §4.2); under
// strategy 3 the tokens must be exactly the Q partition ends, each held by
// one member.
func New(p Params, members []Member) (*Ring, error) {
	if len(members) == 0 {
		return nil, fmt.Errorf("%w: no members", ErrInvalidMembers)
	}
	if err := p.Validate(len(members)); err != nil {
		return nil, err
	}
	r := &Ring{params: p, size: len(members)}
	if err := r.copyMembers(members); err != nil {
		return nil, err
	}
	owners, err := r.collectTokens()
	if err != nil {
		return nil, err
	}
	r.index = newTokenIndex(r.tokens)
	if p.Strategy == Strategy1 {
		r.buildTokenRanges()
	} else {
		r.q = uint64(p.Q)
		if p.Strategy == Strategy3 {
			if err := r.checkPartitionEnds(owners); err != nil {
				return nil, err
			}
		}
		r.buildPartitionRanges()
	}
	r.buildLists(owners)
	return r, nil
}

// copyMembers takes a sorted deep copy so that later changes to the
// caller's slices cannot reach a shared Ring.
func (r *Ring) copyMembers(members []Member) error {
	r.members = make([]Member, len(members))
	for i, m := range members {
		if len(m.Tokens) == 0 {
			return fmt.Errorf("%w: node %d has no tokens", ErrInvalidMembers, m.ID)
		}
		r.members[i] = Member{ID: m.ID, Tokens: slices.Clone(m.Tokens)}
		slices.SortFunc(r.members[i].Tokens, Token.Compare)
	}
	slices.SortFunc(r.members, func(a, b Member) int { return int(a.ID) - int(b.ID) })
	r.nodes = make([]NodeID, len(r.members))
	for i, m := range r.members {
		if i > 0 && m.ID == r.members[i-1].ID {
			return fmt.Errorf("%w: duplicate node id %d", ErrInvalidMembers, m.ID)
		}
		r.nodes[i] = m.ID
	}
	return nil
}

// collectTokens fills r.tokens and returns, for each token, the index in
// r.nodes of its member.
func (r *Ring) collectTokens() ([]int32, error) {
	type vnode struct {
		tok  Token
		node int32
	}
	n := 0
	for _, m := range r.members {
		n += len(m.Tokens)
	}
	if n > maxTokens {
		return nil, fmt.Errorf("%w: %d tokens in all, more than %d", ErrInvalidMembers, n, maxTokens)
	}
	if n > maxListEntries/r.size {
		return nil, fmt.Errorf("%w: %d tokens × %d nodes exceeds the %d-entry preference table", ErrInvalidMembers, n, r.size, maxListEntries)
	}
	all := make([]vnode, 0, n)
	for i, m := range r.members {
		for _, t := range m.Tokens {
			all = append(all, vnode{tok: t, node: int32(i)})
		}
	}
	slices.SortFunc(all, func(a, b vnode) int { return a.tok.Compare(b.tok) })
	r.tokens = make([]Token, n)
	owners := make([]int32, n)
	for j, v := range all {
		if j > 0 && v.tok == all[j-1].tok {
			return nil, fmt.Errorf("%w: duplicate token %v held by nodes %d and %d",
				ErrInvalidMembers, v.tok, r.nodes[all[j-1].node], r.nodes[v.node])
		}
		r.tokens[j] = v.tok
		owners[j] = v.node
	}
	return owners, nil
}

// checkPartitionEnds enforces strategy 3's shape: tokens are partition ends
// and every partition has exactly one. Tokens are already distinct.
func (r *Ring) checkPartitionEnds(owners []int32) error {
	owned := make([]bool, r.q)
	for j, t := range r.tokens {
		i := partitionOf(t, r.q)
		if partitionEnd(i, r.q) != t {
			return fmt.Errorf("%w: node %d token %v is not a partition end (Q=%d); strategy 3 tokens must be",
				ErrInvalidMembers, r.nodes[owners[j]], t, r.q)
		}
		owned[i] = true
	}
	for i, ok := range owned {
		if !ok {
			return fmt.Errorf("%w: partition %d of Q=%d has no owner; strategy 3 needs every partition end as a token",
				ErrInvalidMembers, i, r.q)
		}
	}
	return nil
}

// buildTokenRanges makes strategy 1's ranges (t[i], t[i+1]]; each takes the
// preference list of the token that ends it.
func (r *Ring) buildTokenRanges() {
	m := len(r.tokens)
	r.ranges = make([]Range, m)
	r.rangeTok = make([]int32, m)
	for i := range m {
		next := (i + 1) % m
		r.ranges[i] = Range{Start: r.tokens[i], End: r.tokens[next]}
		r.rangeTok[i] = int32(next)
	}
}

// buildPartitionRanges makes the Q equal partitions of strategies 2 and 3;
// each takes the preference list of the first token at or after its end.
func (r *Ring) buildPartitionRanges() {
	r.ranges = make([]Range, r.q)
	r.rangeTok = make([]int32, r.q)
	start := Token{}
	for i := range r.q {
		end := partitionEnd(i, r.q)
		r.ranges[i] = Range{Start: start, End: end}
		r.rangeTok[i] = int32(r.index.atOrAfter(end))
		start = end
	}
}

// buildLists fills the per-token preference lists. Walking the ring from
// every token would cost O(tokens²) on a lopsided assignment; instead the
// sweep runs backwards, since the list at token j is its owner followed by
// the list at j+1 without that owner. Only the last token needs a walk.
func (r *Ring) buildLists(owners []int32) {
	m, s := len(r.tokens), r.size
	r.lists = make([]NodeID, m*s)

	last := r.lists[(m-1)*s:]
	seen := make([]bool, s)
	k := 0
	for j := m - 1; k < s; j = (j + 1) % m {
		if o := owners[j]; !seen[o] {
			seen[o] = true
			last[k] = r.nodes[o]
			k++
		}
	}

	for j := m - 2; j >= 0; j-- {
		out, next := r.lists[j*s:(j+1)*s], r.lists[(j+1)*s:(j+2)*s]
		head := r.nodes[owners[j]]
		out[0] = head
		k := 1
		for _, id := range next {
			if id != head {
				out[k] = id
				k++
			}
		}
	}
}

// Params returns the parameters the ring was built with.
func (r *Ring) Params() Params { return r.params }

// Size returns the number of physical nodes.
func (r *Ring) Size() int { return r.size }

// Nodes returns the node ids in increasing order, as a fresh slice.
func (r *Ring) Nodes() []NodeID { return slices.Clone(r.nodes) }

// Members returns the members sorted by ID with sorted tokens, as a deep
// copy so that callers cannot mutate the shared Ring.
func (r *Ring) Members() []Member {
	out := make([]Member, len(r.members))
	for i, m := range r.members {
		out[i] = Member{ID: m.ID, Tokens: slices.Clone(m.Tokens)}
	}
	return out
}
