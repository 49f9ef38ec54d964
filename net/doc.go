// Package net will hold the real-time world (issue 4): TCP between nodes with
// length-prefixed, versioned binary frames; the driver that runs one core.Node
// in one event-loop goroutine with real timers and never blocks it on I/O; the
// Riak-like HTTP API; and a Go client with client-driven routing.
//
// The wire (codec.go, frame.go, transport*.go): every message is one frame,
// a 4-byte big-endian length then a payload of at most Config.MaxFrame bytes;
// the payload is a format byte, a type byte and the message's fields, encoded
// canonically (DecodeMessage accepts exactly what AppendMessage produces). A
// connection opens with a handshake carrying the protocol version, the
// cluster name and the dialer's node id; other clusters are refused with a
// reason. Transport.Send never blocks: each peer has a bounded queue drained
// by its own writer goroutine, and whatever cannot be queued or written is
// dropped and counted, since the core tolerates loss. Per peer, messages
// arrive in Send order while a connection lasts; the transport never
// duplicates one.
//
// It may import the standard library, core/ and disk/; never sim/.
package net
