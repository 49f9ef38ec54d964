package httpapi

import (
	"net/http"
	"testing"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/stretchr/testify/require"
)

func TestAdminJoinAndLeave(t *testing.T) {
	s, f := newTestServer(t, Options{AllowAdmin: true})
	w := serve(s, "POST", "/admin/join", nil)
	require.Equal(t, http.StatusNoContent, w.Code, w.Body.String())
	w = serve(s, "POST", "/admin/leave", nil)
	require.Equal(t, http.StatusNoContent, w.Code, w.Body.String())
	require.Equal(t, []core.Op{{Kind: core.OpJoin}, {Kind: core.OpLeave}}, f.received())
}

func TestAdminErrors(t *testing.T) {
	s, f := newTestServer(t, Options{AllowAdmin: true})

	f.returns(core.Result{Err: core.ErrUnavailable}, nil)
	requireError(t, serve(s, "POST", "/admin/join", nil), http.StatusServiceUnavailable, "node unavailable")

	f.returns(core.Result{Err: core.ErrBadRequest}, nil)
	requireError(t, serve(s, "POST", "/admin/leave", nil), http.StatusBadRequest, "bad request")
	require.Len(t, f.received(), 2)

	requireError(t, serve(s, "POST", "/admin/leave?node=3", nil), http.StatusBadRequest,
		`unknown query parameter "node" (POST /admin/leave takes no query parameters)`)
	require.Len(t, f.received(), 2, "a refused request never reaches the node")
}

func TestAdminDisabledByDefault(t *testing.T) {
	s, f := newTestServer(t, Options{})
	requireError(t, serve(s, "POST", "/admin/join", nil), http.StatusForbidden, "admin endpoints are disabled")
	requireError(t, serve(s, "POST", "/admin/leave", nil), http.StatusForbidden, "admin endpoints are disabled")
	require.Empty(t, f.received())
}
