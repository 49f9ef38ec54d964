// Package disk is a node's durable local store: the log record format (a length,
// a CRC32C and a versioned payload per record) and the recovery that rebuilds a
// node from a log, truncating a torn tail and refusing corruption in the middle.
// The simulator's crash and restart feed the same Recover the bytes its
// simulated disk kept, so recovery is exercised in every simulated crash.
//
// Still to come here (issue 4): the log file with group commit, snapshots and
// compaction, and the durable hint store.
//
// It may import the standard library and core/ (for core.Record); never sim/ or net/.
package disk
