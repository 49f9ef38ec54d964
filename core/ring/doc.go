// Package ring decides which nodes store a key: consistent hashing over the
// 128-bit MD5 space with virtual nodes and preference lists (Dynamo §4.2 and
// §4.3), under each of the three partitioning strategies of §6.2.
//
// The package is pure and deterministic so that a simulator run can be
// replayed from its seed: randomness comes in as a *rand.Rand argument, there
// is no clock, no concurrency and no map iteration, and it may import only the
// standard library.
//
// Conventions, shared by every strategy so that RangeIndex, Ranges and
// Preference always agree:
//
//   - A Token is a point on the ring [0, 2^128), read big-endian from an MD5
//     digest. Clockwise means increasing, wrapping from 2^128-1 to 0.
//   - A Range is the half-open arc (Start, End]. A key belongs to the range
//     whose End is the first boundary at or after the key's position.
//   - With Q equal partitions, b(i) = floor(i * 2^128 / Q) exactly, and
//     partition i is (b(i), b(i+1)]. The last end, b(Q) = 2^128, is written
//     as the token 0, so position 0 falls in partition Q-1 and partition 0
//     starts at 0 but does not contain it.
//   - Ranges are listed by increasing Start, so the last one wraps past 0.
//   - A preference list is the walk clockwise from a position, taking the
//     first token at or after it and skipping tokens of nodes already listed.
//     Strategy 1 walks from the key itself; strategies 2 and 3 walk from the
//     end of the key's partition, so every key of a partition shares a list.
//
// A Ring is immutable once built and may be shared freely; Preference does
// not allocate when the caller's buffer can hold Size() nodes.
package ring
