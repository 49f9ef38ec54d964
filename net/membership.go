package net

import "github.com/dynamo-replay/dynamo/core"

// AppendMembership appends a membership table in the encoding gossip uses.
// Clients fetch it from a node's /ring to route requests exactly as the nodes
// do. On error dst is returned unchanged.
func AppendMembership(dst []byte, m *core.Membership) ([]byte, error) {
	e := encoder{b: dst, msg: "Membership"}
	start := len(dst)
	e.membership(m)
	if e.err != nil {
		return dst[:start], e.err
	}
	return e.b, nil
}

// DecodeMembership decodes a table written by AppendMembership, as strictly
// as messages are decoded.
func DecodeMembership(b []byte) (*core.Membership, error) {
	return decodeWhole(b, "Membership", (*decoder).membership)
}
