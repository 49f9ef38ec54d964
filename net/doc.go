// Package net will hold the real-time world (issue 4): TCP between nodes with
// length-prefixed, versioned binary frames; the driver that runs one core.Node
// in one event-loop goroutine with real timers and never blocks it on I/O; the
// Riak-like HTTP API; and a Go client with client-driven routing.
//
// It may import the standard library, core/ and disk/; never sim/.
package net
