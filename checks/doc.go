// Package checks judges what clients saw. It holds the history format shared by
// the simulator and real clusters, a porcupine model of Dynamo's multi-value
// register partitioned by key, and invariant checkers: no value invented, no
// acknowledged write lost, replicas converge after a quiet period.
//
// It may import the standard library and porcupine. It must not import core/,
// sim/ or net/: a history is plain data, so a history saved by any world can be
// checked by any tool.
package checks
