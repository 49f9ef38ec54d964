package client

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// maxSiblingsBody bounds a 300 answer: a few siblings of the largest value,
// base64-encoded.
const maxSiblingsBody = 64 << 20

// siblingsBody is a 300 answer's JSON.
type siblingsBody struct {
	Context  string `json:"context"`
	Siblings []struct {
		Value   []byte `json:"value"` // base64 in the JSON
		Deleted bool   `json:"deleted"`
	} `json:"siblings"`
}

func readGet(resp *http.Response) (GetResult, error) {
	res := GetResult{Coordinator: coordinator(resp.Header)}
	vctx, err := decodeContext(resp.Header.Get(ContextHeader))
	if err != nil {
		return GetResult{}, err
	}
	res.Context = vctx
	switch resp.StatusCode {
	case http.StatusOK:
		v, err := readAtMost(resp.Body, MaxValueBytes, "value")
		if err != nil {
			return GetResult{}, err
		}
		res.Values = [][]byte{v}
	case http.StatusNotFound:
		// Every /kv answer names its coordinator. A 404 without one came
		// from something else (a wrong address or path prefix), and taking
		// it for "not found" would hide that every key reads as missing.
		if resp.Header.Get(CoordinatorHeader) == "" {
			e := readError(resp)
			e.Message = "not a node's answer (no " + CoordinatorHeader + "; is the address a node's HTTP API?): " + e.Message
			return GetResult{}, e
		}
	case http.StatusMultipleChoices:
		b, err := readAtMost(resp.Body, maxSiblingsBody, "siblings")
		if err != nil {
			return GetResult{}, err
		}
		var body siblingsBody
		if err := json.Unmarshal(b, &body); err != nil {
			return GetResult{}, fmt.Errorf("the node sent a malformed siblings answer (300): %v", err)
		}
		for _, s := range body.Siblings {
			if s.Deleted {
				res.Deleted++
				continue
			}
			if s.Value == nil {
				s.Value = []byte{}
			}
			res.Values = append(res.Values, s.Value)
		}
		if res.Context == nil {
			if res.Context, err = decodeContext(body.Context); err != nil {
				return GetResult{}, err
			}
		}
	default:
		return GetResult{}, readError(resp)
	}
	res.Found = len(res.Values) > 0
	return res, nil
}

func decodeContext(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("the node sent a context that is not standard base64: %v", err)
	}
	return b, nil
}

func coordinator(h http.Header) int {
	id, err := strconv.ParseUint(h.Get(CoordinatorHeader), 10, 16)
	if err != nil {
		return -1
	}
	return int(id)
}

// readError turns a refusal into an *Error carrying the node's one line.
func readError(resp *http.Response) *Error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	line, _, _ := bufio.NewReader(bytes.NewReader(b)).ReadLine()
	return &Error{Status: resp.StatusCode, Message: strings.TrimSpace(string(line))}
}

func readAtMost(r io.Reader, limit int64, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading the %s: %w", what, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("the %s exceeds %d bytes", what, limit)
	}
	return b, nil
}

// drain reads what is left of a small body before closing it, so that the
// connection goes back to the pool instead of being torn down.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}
