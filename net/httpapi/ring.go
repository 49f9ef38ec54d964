package httpapi

import (
	"net/http"
	"strconv"

	dnet "github.com/dynamo-replay/dynamo/net"
)

// serveRing hands out the membership table in the codec gossip uses, so that
// a client builds the very ring the nodes route with.
func (s *Server) serveRing(w http.ResponseWriter, r *http.Request) {
	if _, err := parseQuery(r, "GET /ring"); err != nil {
		writeError(w, err)
		return
	}
	m := s.b.Info().Membership
	if m == nil {
		writeError(w, errorf(http.StatusServiceUnavailable, "no membership table yet: the node has not booted or joined"))
		return
	}
	b, err := dnet.AppendMembership(nil, m)
	if err != nil {
		s.opts.Logf("httpapi: /ring: %v", err)
		writeError(w, errorf(http.StatusInternalServerError, "encoding the membership table: %v", err))
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b) // an error means the client hung up
}
