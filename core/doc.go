// Package core implements a Dynamo storage node (DeCandia et al., SOSP 2007) as a
// deterministic state machine.
//
// A Node never blocks, reads a clock, draws global randomness, starts a goroutine or
// performs I/O. A driver (the simulator in sim/, or the real-time loop in net/)
// feeds it one Input at a time through Step and carries out the returned Effects in
// order. Everything that varies comes in through Config (a seeded *rand.Rand) or
// through inputs (the node's clock readings, peer messages, disk completions), so a
// seed is a complete description of a simulated run.
//
// The contract between the node and its driver:
//
//   - Deliver Boot once, first, after New. Until the incarnation record it asks
//     for is durable, the node refuses to coordinate writes (ErrUnavailable).
//   - Send is best effort: the network may drop, duplicate, delay or reorder it.
//   - Persist appends Records to the node's log, in order. Its Then effects run
//     only after the records are durable, and are dropped if the node crashes or
//     the write fails: that is how a replica acknowledges only durable writes.
//   - Reply answers the client request with the given ID.
//   - WakeAt asks for a Wakeup at a monotonic time; each replaces the previous one.
//   - The slice Step returns is valid until the next call to Step.
//
// Memory is authoritative for reads: the node serves gets from its in-memory
// btree, and the log is read only at boot, by disk recovery, to build Recovered.
//
// Package core may import the standard library (never os, net or sync, and
// nothing that reads the real clock),
// github.com/google/btree, its own sub-packages (ring, causality, merkle), and
// internal/wire (the canonical varint reader every decoder shares).
package core
