package core

import (
	"errors"
	"fmt"
)

// Client-visible outcomes, carried in Result.Err.
var (
	// ErrTimeout: too few replicas answered before the request's deadline. A put
	// that timed out may still take effect.
	ErrTimeout = errors.New("timeout: too few replicas answered")
	// ErrBadRequest: the request was malformed and had no effect.
	ErrBadRequest = errors.New("bad request")
	// ErrUnavailable: the node cannot coordinate the request now (it is still
	// booting); the request had no effect.
	ErrUnavailable = errors.New("node unavailable")
)

var errNotOwner = errors.New("forwarded put reached a node outside the key's top N")

// badRequestf builds an error that matches ErrBadRequest with errors.Is and says
// what was wrong.
func badRequestf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadRequest}, args...)...)
}

func wrapBadRequest(err error) error { return fmt.Errorf("%w: %w", ErrBadRequest, err) }
