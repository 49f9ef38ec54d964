package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/dynamo-replay/dynamo/core"
)

// writeGet answers a get: 200 for one live value and nothing else, 404 when
// no sibling is live, 300 otherwise. A live value beside a tombstone is a
// 300 too: the client must see that a delete raced with the write.
func writeGet(w http.ResponseWriter, r *http.Request, res core.Result) {
	live, dead := 0, 0
	for _, sib := range res.Siblings {
		if sib.Deleted {
			dead++
		} else {
			live++
		}
	}
	// Even a 404 carries the context when tombstones exist, so that a write
	// after a delete supersedes it instead of becoming its sibling.
	if len(res.Context) > 0 {
		w.Header().Set(contextHeader, base64.StdEncoding.EncodeToString(res.Context))
	}
	switch {
	case live == 0:
		msg := "key not found"
		if dead > 0 {
			msg = "key not found: every sibling is a tombstone"
		}
		writeError(w, errorf(http.StatusNotFound, "%s", msg))
	case live == 1 && dead == 0:
		v := res.Siblings[0].Value
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(len(v)))
		w.WriteHeader(http.StatusOK)
		w.Write(v) // an error means the client hung up: nobody to tell
	case wantsMultipart(r):
		writeMultipart(w, res.Siblings)
	default:
		writeSiblingsJSON(w, res)
	}
}

// siblingJSON is one sibling of a 300: the value in base64, or deleted.
// Value is a pointer so that an empty live value still shows as "".
type siblingJSON struct {
	Value   *string `json:"value,omitempty"`
	Deleted bool    `json:"deleted,omitempty"`
}

type siblingsJSON struct {
	Context  string        `json:"context"`
	Siblings []siblingJSON `json:"siblings"`
}

func writeSiblingsJSON(w http.ResponseWriter, res core.Result) {
	body := siblingsJSON{Context: base64.StdEncoding.EncodeToString(res.Context), Siblings: make([]siblingJSON, len(res.Siblings))}
	for i, sib := range res.Siblings {
		if sib.Deleted {
			body.Siblings[i].Deleted = true
			continue
		}
		v := base64.StdEncoding.EncodeToString(sib.Value)
		body.Siblings[i].Value = &v
	}
	b, err := json.Marshal(body)
	if err != nil {
		// Strings and bools always marshal.
		panic("httpapi: marshaling siblings: " + err.Error())
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusMultipleChoices)
	w.Write(append(b, '\n')) // an error means the client hung up
}

func writeMultipart(w http.ResponseWriter, siblings []core.Sibling) {
	mw := multipart.NewWriter(w)
	w.Header().Set("Content-Type", "multipart/mixed; boundary="+mw.Boundary())
	w.WriteHeader(http.StatusMultipleChoices)
	for _, sib := range siblings {
		h := textproto.MIMEHeader{"Content-Type": {"application/octet-stream"}}
		if sib.Deleted {
			h.Set(deletedHeader, "true")
		}
		part, err := mw.CreatePart(h)
		if err != nil {
			return // the client hung up
		}
		if !sib.Deleted {
			if _, err := part.Write(sib.Value); err != nil {
				return
			}
		}
	}
	mw.Close() // an error means the client hung up
}

// wantsMultipart reports whether Accept lists multipart/mixed and does not
// prefer application/json to it.
func wantsMultipart(r *http.Request) bool {
	multi, js := -1.0, -1.0
	for _, accept := range r.Header.Values("Accept") {
		for _, rng := range strings.Split(accept, ",") {
			typ, params, err := mime.ParseMediaType(strings.TrimSpace(rng))
			if err != nil {
				continue
			}
			q := 1.0
			if v, ok := params["q"]; ok {
				if q, err = strconv.ParseFloat(v, 64); err != nil {
					continue
				}
			}
			switch typ {
			case "multipart/mixed":
				multi = max(multi, q)
			case "application/json":
				js = max(js, q)
			}
		}
	}
	return multi > 0 && multi >= js
}
