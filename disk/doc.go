// Package disk is a node's durable local store: the log record format (a length,
// a CRC32C and a versioned payload per record) and the recovery that rebuilds a
// node from a log, truncating a torn tail and refusing corruption in the middle.
// The simulator's crash and restart feed the same Recover the bytes its
// simulated disk kept, so recovery is exercised in every simulated crash.
//
// The WAL is the real driver's log: a directory of segments, group commit
// (many appends, one fsync, completions only after it), snapshots with
// compaction by write-then-rename, and recovery of the directory through the
// same Recover. Hints and the membership table are records in it like any
// other, so they are as durable as the data.
//
// It may import the standard library and core/ (for core.Record); never sim/ or net/.
package disk
