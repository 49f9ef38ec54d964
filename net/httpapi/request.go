package httpapi

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

const (
	contextHeader     = "X-Dynamo-Context"
	coordinatorHeader = "X-Dynamo-Coordinator"
	deletedHeader     = "X-Dynamo-Deleted"
)

// rawPath is the path as the client escaped it. RawPath, when set, is what
// the client sent; a server never sets an invalid one, but a caller building
// requests by hand may, and its bad escapes must be refused rather than
// silently replaced by Path.
func rawPath(r *http.Request) string {
	if r.URL.RawPath != "" {
		return r.URL.RawPath
	}
	return r.URL.EscapedPath()
}

// parseKey unescapes the path after /kv/ as a whole, so that "%2F" and "/"
// both stand for a slash inside the key.
func (s *Server) parseKey(r *http.Request) (string, *apiError) {
	raw, ok := strings.CutPrefix(rawPath(r), kvPrefix)
	if !ok {
		return "", errorf(http.StatusBadRequest, "missing key: use /kv/{key}")
	}
	key, err := url.PathUnescape(raw)
	if err != nil {
		return "", errorf(http.StatusBadRequest, "bad key escape: %v", err)
	}
	if key == "" {
		return "", errorf(http.StatusBadRequest, "empty key")
	}
	if len(key) > s.opts.MaxKeyBytes {
		return "", errorf(http.StatusBadRequest, "key of %d bytes exceeds the limit of %d", len(key), s.opts.MaxKeyBytes)
	}
	return key, nil
}

// parseQuery refuses unknown and repeated parameters: a typo such as ?W=2
// would otherwise run the request at the default quorum without a word.
// endpoint names the route in messages (never the key: it may be any bytes).
func parseQuery(r *http.Request, endpoint string, allowed ...string) (url.Values, *apiError) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "bad query string: %v", err)
	}
	var unknown []string
	for name, vals := range q {
		if !slices.Contains(allowed, name) {
			unknown = append(unknown, strconv.Quote(name))
			continue
		}
		if len(vals) > 1 {
			return nil, errorf(http.StatusBadRequest, "query parameter %s given %d times", name, len(vals))
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		takes := "no query parameters"
		if len(allowed) > 0 {
			takes = "only " + strings.Join(allowed, ", ")
		}
		noun := "parameter"
		if len(unknown) > 1 {
			noun = "parameters"
		}
		return nil, errorf(http.StatusBadRequest, "unknown query %s %s (%s takes %s)",
			noun, strings.Join(unknown, ", "), endpoint, takes)
	}
	return q, nil
}

// parseQuorum reads r or w: absent is 0 (the node's default), otherwise an
// integer from 1 to N. N is asked of the backend only when needed.
func (s *Server) parseQuorum(q url.Values, name string) (int, *apiError) {
	if !q.Has(name) {
		return 0, nil
	}
	text := q.Get(name)
	n := s.b.Info().N
	v, err := strconv.Atoi(text)
	// N <= 0 means the backend does not know it yet; the node checks then.
	if err != nil || v < 1 || (n > 0 && v > n) {
		want := "a positive integer"
		if n > 0 {
			want = fmt.Sprintf("an integer from 1 to N=%d", n)
		}
		return 0, errorf(http.StatusBadRequest, "bad %s %q: want %s", name, text, want)
	}
	return v, nil
}

// parseContext decodes X-Dynamo-Context; absent means a blind write.
func parseContext(r *http.Request) ([]byte, *apiError) {
	vals := r.Header.Values(contextHeader)
	switch len(vals) {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, errorf(http.StatusBadRequest, "bad %s: given %d times", contextHeader, len(vals))
	}
	ctx, err := base64.StdEncoding.DecodeString(vals[0])
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "bad %s: %v", contextHeader, err)
	}
	return ctx, nil
}

// readValue reads a PUT body of at most MaxValueBytes. A declared length
// over the limit is refused before reading anything; an undeclared one
// (chunked) stops at the limit. Either way the connection closes after the
// answer, or net/http would read up to 256 KiB of the unwanted body to reuse
// it. raw must be the server's own writer: MaxBytesReader only closes the
// connection when it sees that one.
func (s *Server) readValue(raw http.ResponseWriter, r *http.Request) ([]byte, *apiError) {
	limit := s.opts.MaxValueBytes
	tooLarge := func() *apiError {
		return errorf(http.StatusRequestEntityTooLarge, "value exceeds the limit of %d bytes", limit)
	}
	if r.ContentLength > limit {
		raw.Header().Set("Connection", "close")
		return nil, tooLarge()
	}
	if r.Body == nil {
		return []byte{}, nil
	}
	body := http.MaxBytesReader(raw, r.Body, limit)
	var v []byte
	var err error
	if r.ContentLength >= 0 {
		// The value is kept by the node for as long as it is stored: read
		// it into a slice of its exact size, not io.ReadAll's growing one
		// (512 bytes of capacity for a 100-byte value).
		v = make([]byte, r.ContentLength)
		_, err = io.ReadFull(body, v)
	} else if v, err = io.ReadAll(body); err == nil {
		v = bytes.Clone(v) // exact size, as above
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, tooLarge()
	}
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "reading the value: %v", err)
	}
	return v, nil
}
