package net

import (
	"bufio"
	"context"
	"fmt"
	"net"

	"github.com/dynamo-replay/dynamo/core"
)

// Probe asks the node listening at addr for its id, through the handshake: a
// node joining a cluster is told an address, and needs the id behind it (its
// seed) before it can gossip. self is the prober's id, which the acceptor
// checks as it would any dialer's.
func Probe(ctx context.Context, addr, cluster string, self core.NodeID) (core.NodeID, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return 0, fmt.Errorf("net: probing %s: %w", addr, err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	w := bufio.NewWriter(c)
	if err := writeHandshake(w, handshake{kind: kindHello, version: ProtocolVersion, cluster: cluster, node: self}); err != nil {
		return 0, fmt.Errorf("net: probing %s: sending hello: %w", addr, err)
	}
	h, err := readHandshake(bufio.NewReader(c))
	switch {
	case err != nil:
		return 0, fmt.Errorf("net: probing %s: reading the answer to hello: %w", addr, err)
	case h.kind == kindRefusal:
		return 0, fmt.Errorf("net: probing %s: %w: %s", addr, ErrRefused, h.reason)
	case h.version != ProtocolVersion || h.kind != kindWelcome:
		return 0, fmt.Errorf("net: probing %s: %w: answered with version %d, kind %d", addr, errHandshake, h.version, h.kind)
	}
	return h.node, nil
}
