// Package net is the wire between real nodes: TCP with length-prefixed,
// versioned binary frames, a handshake, and a transport that never blocks its
// caller. The driver that runs a core.Node on it is in net/driver, the client
// HTTP API in net/httpapi, and the Go client in net/client.
//
// The wire (codec.go, frame.go, transport*.go): every message is one frame,
// a 4-byte big-endian length then a payload of at most Config.MaxFrame bytes;
// the payload is a format byte, a type byte and the message's fields, encoded
// canonically (DecodeMessage accepts exactly what AppendMessage produces). A
// connection opens with a handshake carrying the protocol version, the
// cluster name, the dialer's node id and the address it listens on (so that
// a node can answer a joiner it has no address for yet); other clusters are
// refused with a reason. Transport.Send never blocks: each peer has a bounded queue drained
// by its own writer goroutine, and whatever cannot be queued or written is
// dropped and counted, since the core tolerates loss. Per peer, messages
// arrive in Send order while a connection lasts; the transport never
// duplicates one.
//
// It may import the standard library, core/ and disk/; never sim/.
package net
