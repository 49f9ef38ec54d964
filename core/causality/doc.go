// Package causality tracks the causal history of one key's versions, so that
// replicas can tell a version that supersedes another from one written
// concurrently with it (Dynamo §4.4). Three mechanisms share one interface, so
// that experiments can compare them on the same runs:
//
//   - DVV, dotted version vectors: each version keeps the event that made it
//     (its Dot) apart from the causal past it overwrites (the client's
//     context). This is an exact multi-value register: two writes are
//     siblings unless one's writer had seen the other, even when one
//     coordinator serves both.
//   - VC, the paper's per-version vector clocks, with a wall-clock timestamp
//     per entry and truncation to a threshold (the paper's "say 10"). One
//     counter per coordinator cannot tell "this coordinator's later write"
//     from "a write that saw the earlier one", so concurrent puts with the
//     same context through one coordinator lose all but the last.
//   - LWW, last write wins by the coordinator's wall clock: the paper's
//     store-level resolution, which keeps a single version and drops
//     concurrent writes by design.
//
// Everything here is an immutable value. No function mutates its arguments;
// results may share backing arrays with them (Merge returns an input
// unchanged when it already is the answer, Version.Clock may be the caller's
// context, Value bytes are never copied except by the decoders), so callers
// must never modify a Clock, a []Version or a Value after handing it over.
//
// The package is pure and deterministic so that a simulator run can be
// replayed from its seed: no clock, no randomness, no concurrency, no map
// iteration. It may import only the standard library, because the disk log,
// the wire codec and the checkers all build on it.
package causality
