package httpapi

import (
	"net/http"

	"github.com/dynamo-replay/dynamo/core"
)

// admin serves an explicit membership change of this node (section
// 4.8.1). It takes no parameters: a stray ?node=3 must not look as if it
// removed another node while it removes this one.
func (s *Server) admin(kind core.OpKind, route string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.instrument(kind, w, func(rec http.ResponseWriter) {
			if _, err := parseQuery(r, "POST "+route); err != nil {
				writeError(rec, err)
				return
			}
			if _, err := s.do(r.Context(), core.Op{Kind: kind}); err != nil {
				writeError(rec, err)
				return
			}
			rec.WriteHeader(http.StatusNoContent)
		})
	}
}
