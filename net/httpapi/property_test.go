package httpapi

import (
	"bytes"
	"net/http"
	"net/url"
	"testing"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// Any key a client escapes with url.PathEscape reaches the node byte for
// byte, and so does any value.
func TestAnyKeyReachesTheBackend(t *testing.T) {
	s, f := newTestServer(t, Options{})
	rapid.Check(t, func(rt *rapid.T) {
		// Bytes drawn from a small alphabet as well as from all 256 find
		// "." and ".." and runs of slashes, which uniform bytes rarely do.
		b := rapid.OneOf(
			rapid.SliceOfN(rapid.Byte(), 1, 1024),
			rapid.SliceOfN(rapid.SampledFrom([]byte("./%?#+ \x00\xff")), 1, 8),
		).Draw(rt, "key")
		key := string(b)
		value := rapid.SliceOfN(rapid.Byte(), 0, 64).Draw(rt, "value")
		before := len(f.received())

		w := serve(s, "PUT", "/kv/"+url.PathEscape(key), bytes.NewReader(value))

		require.Equal(rt, http.StatusNoContent, w.Code, w.Body.String())
		ops := f.received()
		require.Len(rt, ops, before+1)
		require.Equal(rt, core.Op{Kind: core.OpPut, Key: key, Value: value}, ops[before])
	})
}
