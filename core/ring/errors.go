package ring

import "errors"

// Sentinels for errors.Is; the wrapped message names the offending field,
// node or token so that a failing config or seed is easy to diagnose.
var (
	// ErrInvalidParams wraps every error from Params.Validate and ParseStrategy.
	ErrInvalidParams = errors.New("ring: invalid params")
	// ErrInvalidMembers wraps every error New and Assign report about the
	// node set or its tokens.
	ErrInvalidMembers = errors.New("ring: invalid members")
)
