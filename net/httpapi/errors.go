package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/dynamo-replay/dynamo/core"
)

// apiError is an answer other than success: a status code and the one line
// that tells the client what was wrong.
type apiError struct {
	code int
	msg  string
}

func (e *apiError) Error() string { return e.msg }

func errorf(code int, format string, args ...any) *apiError {
	return &apiError{code: code, msg: fmt.Sprintf(format, args...)}
}

// writeError answers with e as text/plain. Retry-After accompanies every
// 503, since all of them (quorum missed, node booting or stopping) are
// worth retrying shortly.
func writeError(w http.ResponseWriter, e *apiError) {
	if e.code == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	// Error texts can come from anywhere (wrapped errors, decoders); the
	// contract is one line.
	msg := strings.Join(strings.Fields(e.msg), " ")
	http.Error(w, msg, e.code)
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request, route, allow string) {
	w.Header().Set("Allow", allow)
	writeError(w, errorf(http.StatusMethodNotAllowed, "method %s not allowed on %s; allowed: %s", r.Method, route, allow))
}

// resultError maps a protocol outcome (core.Result.Err) to an answer.
func (s *Server) resultError(op core.OpKind, err error) *apiError {
	switch {
	case errors.Is(err, core.ErrBadRequest):
		return errorf(http.StatusBadRequest, "%v", err)
	case errors.Is(err, core.ErrTimeout), errors.Is(err, core.ErrUnavailable):
		return errorf(http.StatusServiceUnavailable, "%v", err)
	}
	s.opts.Logf("httpapi: %v: unexpected result error: %v", op, err)
	return errorf(http.StatusInternalServerError, "%v failed: %v", op, err)
}

// doError maps Backend.Do's own error: no result came at all.
func (s *Server) doError(op core.OpKind, err error, timeout time.Duration) *apiError {
	s.opts.Logf("httpapi: %v: no result: %v", op, err)
	if errors.Is(err, context.DeadlineExceeded) {
		return errorf(http.StatusServiceUnavailable, "%v: no result within %v: %v", op, timeout, err)
	}
	return errorf(http.StatusServiceUnavailable, "%v: node cannot answer: %v", op, err)
}
