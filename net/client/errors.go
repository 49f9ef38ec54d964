package client

import (
	"errors"
	"fmt"
	"net/http"
)

// Sentinels that errors.Is matches against what calls return, so that a
// caller can tell a failed quorum (worth retrying) from bad input (not).
// A missing key is not an error: Get reports it as Found == false.
var (
	// ErrUnavailable: a node answered 503, because the quorum could not be
	// met in time or the node cannot coordinate now. A put that failed so
	// may still take effect.
	ErrUnavailable = errors.New("unavailable")
	// ErrBadRequest: the request was refused as malformed (400) or too large
	// (413), by a node or before it was sent; it had no effect.
	ErrBadRequest = errors.New("bad request")
	// ErrUnreachable: no node could be reached at all.
	ErrUnreachable = errors.New("no node reachable")
	// ErrClosed: the Client was closed.
	ErrClosed = errors.New("client closed")
)

// Error is a node's refusal: the HTTP status and the one-line reason the
// node gave.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("node answered %d %s", e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("node answered %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

// Is maps the status to the sentinels.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrUnavailable:
		return e.Status == http.StatusServiceUnavailable
	case ErrBadRequest:
		return e.Status == http.StatusBadRequest || e.Status == http.StatusRequestEntityTooLarge
	}
	return false
}

// badRequestf is a refusal made before sending, worded like the node's.
func badRequestf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadRequest}, args...)...)
}
