package net

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/dynamo-replay/dynamo/core"
)

// The handshake opens every connection. The dialer sends a hello frame; the
// acceptor answers with a welcome frame, or with a refusal frame naming the
// reason and closes the connection. Each frame's payload is
//
//	magic "DYNW", protocol version byte, kind byte, then
//	hello:   cluster (uvarint length, bytes), node id (uvarint), the
//	         address the dialer listens on (uvarint length, bytes; may be
//	         empty), so that a node can answer one that is not yet a member
//	         (a joining node gossiping with its seed)
//	welcome: node id (uvarint)
//	refusal: reason (uvarint length, bytes)
//
// The first six bytes keep this layout in every protocol version, so that a
// node can always read a refusal, whatever version sent it.

// ProtocolVersion is the handshake's version. Peers with another version are
// refused: the message codec's format byte (FormatV1) is tied to it.
const ProtocolVersion byte = 1

const handshakeMagic = "DYNW"

const (
	kindHello   byte = 1
	kindWelcome byte = 2
	kindRefusal byte = 3
)

// Bounds on handshake fields; a handshake frame is small, so the acceptor
// reads it with a small frame limit before it knows who is calling.
const (
	MaxClusterName    = 255
	maxRefusalReason  = 1024
	maxHandshakeFrame = len(handshakeMagic) + 2 + 2 + maxRefusalReason + 8 + 2 + core.MaxAddrBytes
)

// ErrRefused is wrapped by the dialer's error when the acceptor refused the
// handshake; the error text carries the acceptor's reason.
var ErrRefused = errors.New("net: handshake refused")

// errHandshake wraps malformed handshake frames.
var errHandshake = errors.New("net: bad handshake")

type handshake struct {
	kind    byte
	version byte
	cluster string // hello
	node    core.NodeID
	addr    string // hello
	reason  string // refusal
}

func appendHandshake(dst []byte, h handshake) []byte {
	dst = append(dst, handshakeMagic...)
	dst = append(dst, h.version, h.kind)
	switch h.kind {
	case kindHello:
		dst = binary.AppendUvarint(dst, uint64(len(h.cluster)))
		dst = append(dst, h.cluster...)
		dst = binary.AppendUvarint(dst, uint64(h.node))
		dst = binary.AppendUvarint(dst, uint64(len(h.addr)))
		dst = append(dst, h.addr...)
	case kindWelcome:
		dst = binary.AppendUvarint(dst, uint64(h.node))
	case kindRefusal:
		dst = binary.AppendUvarint(dst, uint64(len(h.reason)))
		dst = append(dst, h.reason...)
	}
	return dst
}

// decodeHandshake parses a handshake payload as strictly as messages are
// parsed. A version other than ours is reported in h.version and decoded only
// as far as a refusal, whose layout never changes.
func decodeHandshake(b []byte) (handshake, error) {
	var h handshake
	if len(b) < len(handshakeMagic)+2 || string(b[:len(handshakeMagic)]) != handshakeMagic {
		return h, fmt.Errorf("%w: not a dynamo handshake (no %q magic)", errHandshake, handshakeMagic)
	}
	h.version, h.kind = b[len(handshakeMagic)], b[len(handshakeMagic)+1]
	d := decoder{b: b, off: len(handshakeMagic) + 2, msg: "handshake"}
	if h.version != ProtocolVersion && h.kind != kindRefusal {
		return h, nil // the caller refuses it, naming both versions
	}
	switch h.kind {
	case kindHello:
		h.cluster = string(d.raw("cluster"))
		if d.err == nil && len(h.cluster) > MaxClusterName {
			d.fail("cluster", "%d bytes, over the limit of %d", len(h.cluster), MaxClusterName)
		}
		h.node = d.nodeID("node id")
		h.addr = d.boundedString("address", core.MaxAddrBytes)
	case kindWelcome:
		h.node = d.nodeID("node id")
	case kindRefusal:
		h.reason = string(d.raw("reason"))
	default:
		d.off--
		d.fail("kind", "unknown handshake kind %d", h.kind)
	}
	if d.err == nil && d.rest() != 0 {
		d.fail("", "%d trailing bytes", d.rest())
	}
	if d.err != nil {
		return h, fmt.Errorf("%w: %w", errHandshake, d.err)
	}
	return h, nil
}

func writeHandshake(w *bufio.Writer, h handshake) error {
	if err := WriteFrame(w, appendHandshake(nil, h), maxHandshakeFrame); err != nil {
		return err
	}
	return w.Flush()
}

func readHandshake(r *bufio.Reader) (handshake, error) {
	payload, err := ReadFrame(r, nil, maxHandshakeFrame)
	if err != nil {
		return handshake{}, err
	}
	return decodeHandshake(payload)
}

// dialHandshake runs the dialer's side: hello, then a welcome from node want.
func dialHandshake(r *bufio.Reader, w *bufio.Writer, cluster string, self, want core.NodeID, advertise string) error {
	if err := writeHandshake(w, handshake{kind: kindHello, version: ProtocolVersion, cluster: cluster, node: self, addr: advertise}); err != nil {
		return fmt.Errorf("sending hello: %w", err)
	}
	h, err := readHandshake(r)
	if err != nil {
		return fmt.Errorf("reading the answer to hello: %w", err)
	}
	switch {
	case h.kind == kindRefusal:
		return fmt.Errorf("%w: %s", ErrRefused, h.reason)
	case h.version != ProtocolVersion:
		return fmt.Errorf("%w: peer answered with protocol version %d, this node speaks %d", errHandshake, h.version, ProtocolVersion)
	case h.kind != kindWelcome:
		return fmt.Errorf("%w: peer answered hello with handshake kind %d", errHandshake, h.kind)
	case h.node != want:
		return fmt.Errorf("%w: the address answers as node %d, not node %d", errHandshake, h.node, want)
	}
	return nil
}

// refusal is the acceptor's reason for turning a dialer away.
type refusal struct{ reason string }

func (r *refusal) Error() string { return "refused a peer: " + r.reason }

// acceptHandshake runs the acceptor's side and returns the dialer's node id.
// A refused dialer is sent the reason and the error is a *refusal.
func acceptHandshake(r *bufio.Reader, w *bufio.Writer, cluster string, self core.NodeID) (handshake, error) {
	h, err := readHandshake(r)
	var reason string
	switch {
	case err != nil:
		if errors.Is(err, ErrFrameTooLarge) || errors.Is(err, errHandshake) {
			reason = err.Error()
			break
		}
		return handshake{}, fmt.Errorf("reading hello: %w", err)
	case h.version != ProtocolVersion:
		reason = fmt.Sprintf("protocol version %d, this node speaks %d", h.version, ProtocolVersion)
	case h.kind != kindHello:
		reason = fmt.Sprintf("expected a hello, got handshake kind %d", h.kind)
	case h.cluster != cluster:
		reason = fmt.Sprintf("cluster %q is not this node's cluster %q", h.cluster, cluster)
	case h.node == self:
		reason = fmt.Sprintf("node id %d is this node's own id", self)
	}
	if reason != "" {
		if len(reason) > maxRefusalReason {
			reason = reason[:maxRefusalReason]
		}
		// Best effort: the dialer may be gone, or not a dynamo node at all.
		_ = writeHandshake(w, handshake{kind: kindRefusal, version: ProtocolVersion, reason: reason})
		return handshake{}, &refusal{reason}
	}
	if err := writeHandshake(w, handshake{kind: kindWelcome, version: ProtocolVersion, node: self}); err != nil {
		return handshake{}, fmt.Errorf("sending welcome to node %d: %w", h.node, err)
	}
	return h, nil
}
