package disk

import (
	"encoding/binary"
	"fmt"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/core/ring"
)

// appendMembership encodes a membership table: the ring parameters, then
// (id, status, version, peer address, HTTP address) per member, then (token, owner, removed, version) per
// token, both in the table's sorted order.
func appendMembership(dst []byte, m *core.Membership) []byte {
	dst = binary.AppendUvarint(dst, uint64(m.Params.Strategy))
	dst = binary.AppendUvarint(dst, uint64(m.Params.T))
	dst = binary.AppendUvarint(dst, uint64(m.Params.Q))
	dst = binary.AppendUvarint(dst, uint64(len(m.Members)))
	for _, x := range m.Members {
		dst = binary.AppendUvarint(dst, uint64(x.ID))
		dst = append(dst, byte(x.Status))
		dst = binary.AppendUvarint(dst, x.Version)
		dst = binary.AppendUvarint(dst, uint64(len(x.Addr)))
		dst = append(dst, x.Addr...)
		dst = binary.AppendUvarint(dst, uint64(len(x.HTTPAddr)))
		dst = append(dst, x.HTTPAddr...)
	}
	dst = binary.AppendUvarint(dst, uint64(len(m.Tokens)))
	for _, t := range m.Tokens {
		dst = binary.BigEndian.AppendUint64(dst, t.Token.Hi)
		dst = binary.BigEndian.AppendUint64(dst, t.Token.Lo)
		dst = binary.AppendUvarint(dst, uint64(t.Owner))
		removed := byte(0)
		if t.Removed {
			removed = 1
		}
		dst = append(dst, removed)
		dst = binary.AppendUvarint(dst, t.Version)
	}
	return dst
}

// membershipReader decodes fields in order and remembers the first error, so
// the decoder reads as a list of fields rather than a ladder of checks.
type membershipReader struct {
	b   []byte
	err error
}

func (r *membershipReader) uvarint(what string, limit uint64) uint64 {
	if r.err != nil {
		return 0
	}
	v, k, err := uvarint(r.b, what, limit)
	if err != nil {
		r.err = fmt.Errorf("membership: %w", err)
		return 0
	}
	r.b = r.b[k:]
	return v
}

func (r *membershipReader) bytes(what string, n int) []byte {
	if r.err != nil {
		return nil
	}
	if len(r.b) < n {
		r.err = fmt.Errorf("membership: truncated %s", what)
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func decodeMembership(b []byte) (*core.Membership, []byte, error) {
	r := &membershipReader{b: b}
	m := &core.Membership{}
	m.Params.Strategy = ring.Strategy(r.uvarint("strategy", 3))
	m.Params.T = int(r.uvarint("tokens per node", 1<<24))
	m.Params.Q = int(r.uvarint("partitions", 1<<24))
	nm := r.uvarint("member count", uint64(len(r.b))/5)
	for i := uint64(0); i < nm && r.err == nil; i++ {
		id := core.NodeID(r.uvarint("member id", uint64(^core.NodeID(0))))
		st := r.bytes("member status", 1)
		ver := r.uvarint("member version", ^uint64(0))
		addr := r.bytes("member address", int(r.uvarint("member address length", core.MaxAddrBytes)))
		httpAddr := r.bytes("member HTTP address", int(r.uvarint("member HTTP address length", core.MaxAddrBytes)))
		if r.err == nil {
			status := core.MemberStatus(st[0])
			if status < core.StatusJoined || status > core.StatusLeft {
				return nil, nil, fmt.Errorf("membership: member %d has unknown status %d", id, st[0])
			}
			if len(m.Members) > 0 && m.Members[len(m.Members)-1].ID >= id {
				return nil, nil, fmt.Errorf("membership: members out of order at %d", id)
			}
			m.Members = append(m.Members, core.Member{ID: id, Status: status, Version: ver, Addr: string(addr), HTTPAddr: string(httpAddr)})
		}
	}
	nt := r.uvarint("token count", uint64(len(r.b))/19)
	for i := uint64(0); i < nt && r.err == nil; i++ {
		raw := r.bytes("token", 16)
		owner := core.NodeID(r.uvarint("token owner", uint64(^core.NodeID(0))))
		removed := r.bytes("token removed flag", 1)
		ver := r.uvarint("token version", ^uint64(0))
		if r.err == nil {
			if removed[0] > 1 {
				return nil, nil, fmt.Errorf("membership: bad removed flag %d", removed[0])
			}
			t := core.TokenEntry{
				Token:   ring.Token{Hi: binary.BigEndian.Uint64(raw), Lo: binary.BigEndian.Uint64(raw[8:])},
				Owner:   owner,
				Removed: removed[0] == 1,
				Version: ver,
			}
			if len(m.Tokens) > 0 && m.Tokens[len(m.Tokens)-1].Token.Compare(t.Token) >= 0 {
				return nil, nil, fmt.Errorf("membership: tokens out of order")
			}
			m.Tokens = append(m.Tokens, t)
		}
	}
	if r.err != nil {
		return nil, nil, r.err
	}
	return m, r.b, nil
}
