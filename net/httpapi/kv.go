package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/dynamo-replay/dynamo/core"
)

const kvRoute = "/kv/{key}"

var kvOps = map[string]core.OpKind{
	http.MethodGet:    core.OpGet,
	http.MethodHead:   core.OpGet, // a GET whose body net/http discards
	http.MethodPut:    core.OpPut,
	http.MethodDelete: core.OpDelete,
}

func (s *Server) serveKV(w http.ResponseWriter, r *http.Request) {
	kind, ok := kvOps[r.Method]
	if !ok {
		methodNotAllowed(w, r, kvRoute, "GET, HEAD, PUT, DELETE")
		return
	}
	// rec counts the answer for /metrics; w itself goes to readValue.
	s.instrument(kind, w, func(rec http.ResponseWriter) {
		op, err := s.parseKV(w, r, kind)
		if err != nil {
			writeError(rec, err)
			return
		}
		res, err := s.do(r.Context(), op)
		if err != nil {
			writeError(rec, err)
			return
		}
		// Only a result the node produced names a coordinator; refusals of
		// malformed requests above never reach one.
		rec.Header().Set(coordinatorHeader, strconv.FormatUint(uint64(res.Coordinator), 10))
		if kind == core.OpGet {
			writeGet(rec, r, res)
			return
		}
		rec.WriteHeader(http.StatusNoContent)
	})
}

// parseKV builds the operation, checking everything the client controls
// before the backend sees it. w must be the server's own writer (see
// readValue).
func (s *Server) parseKV(w http.ResponseWriter, r *http.Request, kind core.OpKind) (core.Op, *apiError) {
	op := core.Op{Kind: kind}
	var err *apiError
	if op.Key, err = s.parseKey(r); err != nil {
		return op, err
	}
	param := "w"
	if kind == core.OpGet {
		param = "r"
	}
	q, err := parseQuery(r, r.Method+" "+kvRoute, param)
	if err != nil {
		return op, err
	}
	n, err := s.parseQuorum(q, param)
	if err != nil {
		return op, err
	}
	if kind == core.OpGet {
		op.R = n
		return op, nil
	}
	op.W = n
	if op.Context, err = parseContext(r); err != nil {
		return op, err
	}
	if kind == core.OpPut {
		if op.Value, err = s.readValue(w, r); err != nil {
			return op, err
		}
	}
	return op, nil
}

// do runs op under the request deadline and maps every failure to an
// answer, so that callers only write results.
func (s *Server) do(ctx context.Context, op core.Op) (core.Result, *apiError) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.RequestTimeout)
	defer cancel()
	res, err := s.b.Do(ctx, op)
	if err != nil {
		return res, s.doError(op.Kind, err, s.opts.RequestTimeout)
	}
	if res.Err != nil {
		return res, s.resultError(op.Kind, res.Err)
	}
	return res, nil
}
