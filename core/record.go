package core

// RecordKind says what a log record holds.
type RecordKind uint8

const (
	// RecordVersions: versions to merge into Key's sibling set.
	RecordVersions RecordKind = iota + 1
	// RecordIncarnation: the node booted as Incarnation.
	RecordIncarnation
	// RecordHint: versions of Key kept for Owner, a node believed down.
	RecordHint
	// RecordHintDelete: Owner confirmed the hint for Key; it is gone.
	RecordHintDelete
	// RecordMembership: the node's membership table, whole.
	RecordMembership
)

// Record is one entry of a node's log. Replaying records in order through Merge
// rebuilds the store: merging is idempotent, so a record replayed twice, or a
// buffered flush that repeats versions already logged, changes nothing.
type Record struct {
	Kind        RecordKind
	Key         string
	Versions    []Version
	Incarnation uint32
	Owner       NodeID      // RecordHint and RecordHintDelete
	Membership  *Membership // RecordMembership
}

// Recovered is what disk recovery found in a node's log, in log order.
type Recovered struct {
	Records []Record
}
