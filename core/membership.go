package core

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/dynamo-replay/dynamo/core/ring"
)

// MemberStatus is where a node is in its life in the ring (section 4.8.1:
// membership changes are explicit, never inferred from failures).
type MemberStatus uint8

const (
	// StatusJoined: the node owns the tokens the table gives it.
	StatusJoined MemberStatus = iota + 1
	// StatusLeaving: the node gave its tokens away and is handing its data over.
	StatusLeaving
	// StatusLeft: the hand-over is done; the node holds nothing it must keep.
	StatusLeft
)

func (s MemberStatus) String() string {
	switch s {
	case StatusJoined:
		return "joined"
	case StatusLeaving:
		return "leaving"
	case StatusLeft:
		return "left"
	}
	return fmt.Sprintf("status(%d)", s)
}

// MaxAddrBytes bounds a member's addresses, which codecs check.
const MaxAddrBytes = 255

// Member is one node's entry in the membership table.
type Member struct {
	ID      NodeID
	Status  MemberStatus
	Version uint64 // bumped by every change to this entry
	// Addr and HTTPAddr are where a real-mode driver reaches the node: its
	// peer (TCP) and client (HTTP) addresses. The core never reads them; it
	// only carries them in the entry, so that gossip spreads a node's
	// addresses with its membership and the log keeps them across restarts,
	// as memberlist carries a node's address with its state. Empty in the
	// simulator.
	Addr, HTTPAddr string
}

// TokenEntry says who owns one token. A removed token stays in the table, so
// that its removal wins over older copies that still list it.
type TokenEntry struct {
	Token   ring.Token
	Owner   NodeID
	Removed bool
	Version uint64
}

// Membership is the persisted membership history that nodes reconcile by
// gossip (section 4.8.1): who is a member and which tokens each owns. Every
// entry carries a version; merging keeps the higher version of each entry, so
// any two nodes that have exchanged tables hold the same one. Tables are
// treated as immutable: changes build a new one.
type Membership struct {
	Params  ring.Params
	Members []Member     // sorted by ID
	Tokens  []TokenEntry // sorted by Token
}

// BootstrapMembership turns a ring into a table, every entry at version 1: the
// cluster an operator configured at first start.
func BootstrapMembership(r *ring.Ring) *Membership {
	m := &Membership{Params: r.Params()}
	for _, mem := range r.Members() {
		m.Members = append(m.Members, Member{ID: mem.ID, Status: StatusJoined, Version: 1})
		for _, t := range mem.Tokens {
			m.Tokens = append(m.Tokens, TokenEntry{Token: t, Owner: mem.ID, Version: 1})
		}
	}
	slices.SortFunc(m.Tokens, func(a, b TokenEntry) int { return a.Token.Compare(b.Token) })
	return m
}

// newer reports whether entry a should replace b: a higher version, and on a
// tie (two nodes changed the same entry at once) a fixed order, so that every
// node picks the same winner.
func newerMember(a, b Member) bool {
	if a.Version != b.Version {
		return a.Version > b.Version
	}
	if a.Status != b.Status {
		return a.Status > b.Status
	}
	if a.Addr != b.Addr {
		return a.Addr > b.Addr
	}
	return a.HTTPAddr > b.HTTPAddr
}

func newerToken(a, b TokenEntry) bool {
	if a.Version != b.Version {
		return a.Version > b.Version
	}
	if a.Removed != b.Removed {
		return a.Removed
	}
	return a.Owner > b.Owner
}

// Merge returns the union of two tables, the newer entry winning, and whether
// the result differs from m. ignoreNewer plants the "merge ignores newer
// entries" bug: entries m already has are never replaced.
func (m *Membership) Merge(o *Membership, ignoreNewer bool) (*Membership, bool) {
	out := &Membership{Params: m.Params}
	changed := false
	i, j := 0, 0
	for i < len(m.Members) || j < len(o.Members) {
		switch {
		case j == len(o.Members) || (i < len(m.Members) && m.Members[i].ID < o.Members[j].ID):
			out.Members = append(out.Members, m.Members[i])
			i++
		case i == len(m.Members) || o.Members[j].ID < m.Members[i].ID:
			out.Members = append(out.Members, o.Members[j])
			changed = true
			j++
		default:
			a, b := m.Members[i], o.Members[j]
			if newerMember(b, a) && !ignoreNewer {
				a, changed = b, true
			}
			out.Members = append(out.Members, a)
			i++
			j++
		}
	}
	i, j = 0, 0
	for i < len(m.Tokens) || j < len(o.Tokens) {
		switch {
		case j == len(o.Tokens) || (i < len(m.Tokens) && m.Tokens[i].Token.Compare(o.Tokens[j].Token) < 0):
			out.Tokens = append(out.Tokens, m.Tokens[i])
			i++
		case i == len(m.Tokens) || o.Tokens[j].Token.Compare(m.Tokens[i].Token) < 0:
			out.Tokens = append(out.Tokens, o.Tokens[j])
			changed = true
			j++
		default:
			a, b := m.Tokens[i], o.Tokens[j]
			if newerToken(b, a) && !ignoreNewer {
				a, changed = b, true
			}
			out.Tokens = append(out.Tokens, a)
			i++
			j++
		}
	}
	return out, changed
}

// Ring builds the ring of the live tokens. It fails while the table is
// inconsistent (strategy 3 with a partition nobody owns), which gossip mends.
func (m *Membership) Ring() (*ring.Ring, error) {
	var members []ring.Member
	for _, t := range m.Tokens {
		if t.Removed {
			continue
		}
		k := slices.IndexFunc(members, func(x ring.Member) bool { return x.ID == t.Owner })
		if k < 0 {
			members = append(members, ring.Member{ID: t.Owner})
			k = len(members) - 1
		}
		members[k].Tokens = append(members[k].Tokens, t.Token)
	}
	slices.SortFunc(members, func(a, b ring.Member) int { return int(a.ID) - int(b.ID) })
	return ring.New(m.Params, members)
}

// Member returns id's entry.
func (m *Membership) Member(id NodeID) (Member, bool) {
	k, ok := slices.BinarySearchFunc(m.Members, id, func(x Member, id NodeID) int { return int(x.ID) - int(id) })
	if !ok {
		return Member{}, false
	}
	return m.Members[k], true
}

// Epoch is a digest of the live ownership: two nodes with the same epoch route
// keys alike. Key-range transfers are named by it.
func (m *Membership) Epoch() uint64 {
	h := uint64(14695981039346656037)
	mix := func(x uint64) { h = (h ^ x) * 1099511628211 }
	for _, t := range m.Tokens {
		if t.Removed {
			continue
		}
		mix(t.Token.Hi)
		mix(t.Token.Lo)
		mix(uint64(t.Owner))
	}
	return h
}

func (m *Membership) clone() *Membership {
	return &Membership{Params: m.Params, Members: slices.Clone(m.Members), Tokens: slices.Clone(m.Tokens)}
}

func (m *Membership) setMember(e Member) {
	k, ok := slices.BinarySearchFunc(m.Members, e.ID, func(x Member, id NodeID) int { return int(x.ID) - int(id) })
	if ok {
		m.Members[k] = e
		return
	}
	m.Members = slices.Insert(m.Members, k, e)
}

func (m *Membership) setToken(e TokenEntry) {
	k, ok := slices.BinarySearchFunc(m.Tokens, e.Token, func(x TokenEntry, t ring.Token) int { return x.Token.Compare(t) })
	if ok {
		m.Tokens[k] = e
		return
	}
	m.Tokens = slices.Insert(m.Tokens, k, e)
}

// owned counts each owner's live tokens, in ID order.
func (m *Membership) owned() (ids []NodeID, counts []int) {
	for _, mem := range m.Members {
		if mem.Status == StatusJoined {
			ids = append(ids, mem.ID)
			counts = append(counts, 0)
		}
	}
	for _, t := range m.Tokens {
		if k := slices.Index(ids, t.Owner); k >= 0 && !t.Removed {
			counts[k]++
		}
	}
	return ids, counts
}

// WithJoin is the table after id joins (section 4.9). Under strategies 1 and 2
// the node draws T random tokens; under strategy 3 it steals whole partitions,
// one at a time from whichever node owns the most, until it owns its share
// Q/S, which keeps the assignment balanced.
func (m *Membership) WithJoin(id NodeID, rng *rand.Rand) *Membership {
	out := m.clone()
	out.setMember(out.changed(id, StatusJoined))
	if m.Params.Strategy != ring.Strategy3 {
		for added := 0; added < m.Params.T; {
			t := ring.Token{Hi: rng.Uint64(), Lo: rng.Uint64()}
			if _, taken := slices.BinarySearchFunc(out.Tokens, t, func(x TokenEntry, t ring.Token) int { return x.Token.Compare(t) }); taken {
				continue
			}
			out.setToken(TokenEntry{Token: t, Owner: id, Version: 1})
			added++
		}
		return out
	}
	ids, counts := out.owned()
	share := m.Params.Q / len(ids) // ids includes the joiner
	mine := counts[slices.Index(ids, id)]
	for ; mine < share; mine++ {
		top := -1
		for k := range ids {
			if ids[k] != id && (top < 0 || counts[k] > counts[top]) {
				top = k
			}
		}
		var theirs []int
		for x, t := range out.Tokens {
			if !t.Removed && t.Owner == ids[top] {
				theirs = append(theirs, x)
			}
		}
		x := theirs[rng.IntN(len(theirs))]
		t := out.Tokens[x]
		out.Tokens[x] = TokenEntry{Token: t.Token, Owner: id, Version: t.Version + 1}
		counts[top]--
	}
	return out
}

// WithLeave is the table after id starts leaving: its tokens are removed
// (strategies 1 and 2) or its partitions dealt to the remaining nodes, each to
// whichever owns the fewest (strategy 3).
func (m *Membership) WithLeave(id NodeID) *Membership {
	out := m.clone()
	out.setMember(out.changed(id, StatusLeaving))
	out.giveAway(id)
	return out
}

// OwnsTokens reports whether id owns any live token.
func (m *Membership) OwnsTokens(id NodeID) bool {
	for _, t := range m.Tokens {
		if !t.Removed && t.Owner == id {
			return true
		}
	}
	return false
}

// WithoutTokensOf is the table with id's live tokens given away, its status
// unchanged: a leaving node that learns it was dealt tokens (by a node that
// left at the same time and did not know it was leaving) gives them away too.
func (m *Membership) WithoutTokensOf(id NodeID) *Membership {
	out := m.clone()
	out.giveAway(id)
	return out
}

// giveAway removes id's tokens or deals its partitions to the joined nodes
// that own the fewest, in place.
func (m *Membership) giveAway(id NodeID) {
	ids, counts := m.owned()
	for x, t := range m.Tokens {
		if t.Removed || t.Owner != id {
			continue
		}
		if m.Params.Strategy != ring.Strategy3 || len(ids) == 0 {
			m.Tokens[x] = TokenEntry{Token: t.Token, Owner: id, Removed: true, Version: t.Version + 1}
			continue
		}
		low := 0
		for k := range ids {
			if counts[k] < counts[low] {
				low = k
			}
		}
		m.Tokens[x] = TokenEntry{Token: t.Token, Owner: ids[low], Version: t.Version + 1}
		counts[low]++
	}
}

// WithStatus is the table with id's status changed.
func (m *Membership) WithStatus(id NodeID, s MemberStatus) *Membership {
	out := m.clone()
	out.setMember(out.changed(id, s))
	return out
}

// WithAddrs is the table with id's addresses changed, its status kept; id
// must be a member (a joining node records its addresses with its join).
func (m *Membership) WithAddrs(id NodeID, addr, httpAddr string) *Membership {
	out := m.clone()
	e, _ := out.Member(id)
	e.Addr, e.HTTPAddr, e.Version = addr, httpAddr, e.Version+1
	out.setMember(e)
	return out
}

// changed is id's entry with status s and the next version; the addresses
// stay.
func (m *Membership) changed(id NodeID, s MemberStatus) Member {
	e, _ := m.Member(id)
	e.ID, e.Status, e.Version = id, s, e.Version+1
	return e
}
