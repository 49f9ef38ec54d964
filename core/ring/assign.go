package ring

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Member is a physical node and its tokens (virtual nodes), sorted.
type Member struct {
	ID     NodeID
	Tokens []Token
}

// Assign chooses token sets for nodes, returned sorted by ID. The result
// depends only on p, the set of ids and the state of rng: nodes are
// processed in ID order, so the caller's order does not matter.
//
//   - Strategies 1 and 2: each node draws p.T tokens uniformly from the whole
//     128-bit space.
//   - Strategy 3: a random permutation of the p.Q partitions is dealt out
//     round-robin, so each node gets floor(Q/S) or ceil(Q/S) partitions
//     (exactly Q/S when S divides Q) and its tokens are their ends.
func Assign(p Params, nodes []NodeID, rng *rand.Rand) ([]Member, error) {
	if err := p.Validate(len(nodes)); err != nil {
		return nil, err
	}
	if rng == nil {
		return nil, fmt.Errorf("%w: Assign needs a non-nil *rand.Rand", ErrInvalidMembers)
	}
	ids := slices.Clone(nodes)
	slices.Sort(ids)
	for i := 1; i < len(ids); i++ {
		if ids[i] == ids[i-1] {
			return nil, fmt.Errorf("%w: node %d listed twice", ErrInvalidMembers, ids[i])
		}
	}
	members := make([]Member, len(ids))
	for i, id := range ids {
		members[i].ID = id
	}
	if p.Strategy == Strategy3 {
		assignPartitions(members, uint64(p.Q), rng)
	} else {
		assignRandomTokens(members, p.T, rng)
	}
	for i := range members {
		slices.SortFunc(members[i].Tokens, Token.Compare)
	}
	return members, nil
}

// assignRandomTokens draws t tokens per member. A repeated token would make
// New fail, so the rare collision is redrawn rather than returned.
func assignRandomTokens(members []Member, t int, rng *rand.Rand) {
	seen := make(map[Token]struct{}, len(members)*t)
	for i := range members {
		members[i].Tokens = make([]Token, 0, t)
		for len(members[i].Tokens) < t {
			tok := Token{Hi: rng.Uint64(), Lo: rng.Uint64()}
			if _, dup := seen[tok]; dup {
				continue
			}
			seen[tok] = struct{}{}
			members[i].Tokens = append(members[i].Tokens, tok)
		}
	}
}

// assignPartitions deals a random permutation of the q partitions to the
// members in turn, which is a uniformly random balanced assignment.
func assignPartitions(members []Member, q uint64, rng *rand.Rand) {
	s := uint64(len(members))
	for i := range members {
		n := q / s
		if uint64(i) < q%s {
			n++
		}
		members[i].Tokens = make([]Token, 0, n)
	}
	for k, part := range rng.Perm(int(q)) {
		m := &members[uint64(k)%s]
		m.Tokens = append(m.Tokens, partitionEnd(uint64(part), q))
	}
}
