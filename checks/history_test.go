package checks

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHistoryJSONRoundTrip(t *testing.T) {
	h := healthy()
	h.Seed = 1<<63 + 12345 // above float64 precision: must survive exactly
	h.Config = map[string]string{"n": "3", "r": "2", "w": "2"}
	h.Annotations = []Annotation{{Tag: "nemesis", Start: 5, End: 50, Description: "partition"}}
	var buf bytes.Buffer
	require.NoError(t, h.WriteJSON(&buf))
	back, err := ReadJSON(&buf)
	require.NoError(t, err)
	require.Equal(t, h, back)

	path := filepath.Join(t.TempDir(), "h.json")
	require.NoError(t, Save(path, h))
	loaded, err := Load(path)
	require.NoError(t, err)
	require.Equal(t, h, loaded)
}

func TestReadJSONRejectsMalformed(t *testing.T) {
	for name, tc := range map[string]struct{ json, want string }{
		"unknown kind":      {`{"ops":[{"kind":"append","key":"k","call":0,"return":1,"outcome":"ok","value":"v"}]}`, `unknown kind "append"`},
		"unknown outcome":   {`{"ops":[{"kind":"get","key":"k","call":0,"return":1,"outcome":"maybe"}]}`, `unknown outcome "maybe"`},
		"return before":     {`{"ops":[{"kind":"get","key":"k","call":10,"return":5,"outcome":"ok"}]}`, "returns at 5 before its call at 10"},
		"unknown field":     {`{"ops":[],"colour":"blue"}`, `unknown field "colour"`},
		"write no value":    {`{"ops":[{"kind":"put","key":"k","call":0,"return":1,"outcome":"ok"}]}`, "put without a value"},
		"duplicate value":   {`{"ops":[{"kind":"put","key":"k","value":"v","call":0,"return":1,"outcome":"ok"},{"kind":"delete","key":"k","value":"v","call":2,"return":3,"outcome":"ok"}]}`, `value "v" already written by op 0`},
		"trailing data":     {`{"ops":[]} {"ops":[]}`, "trailing data"},
		"not json":          {`ops: []`, "decoding history"},
		"negative client":   {`{"ops":[{"client":-1,"kind":"get","key":"k","call":0,"return":1,"outcome":"ok"}]}`, "negative client"},
		"wrong type":        {`{"ops":[{"kind":"get","key":"k","call":"soon","return":1,"outcome":"ok"}]}`, "decoding history"},
		"truncated":         {`{"ops":[{"kind":"get"`, "decoding history"},
		"unknown op field":  {`{"ops":[{"kind":"get","key":"k","call":0,"return":1,"outcome":"ok","vals":[]}]}`, `unknown field "vals"`},
		"unknown final fld": {`{"final":[{"key":"k","owner":[1]}]}`, `unknown field "owner"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ReadJSON(strings.NewReader(tc.json))
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.json")
	h := history([]Op{{Kind: "scan", Key: "k", Outcome: Ok}})
	require.NoError(t, Save(path, h)) // Save does not validate; Load does
	_, err := Load(path)
	require.ErrorContains(t, err, "bad.json")
	require.ErrorContains(t, err, `unknown kind "scan"`)
}

func TestSortOps(t *testing.T) {
	h := history([]Op{get(2, "k", 5, 6), get(1, "k", 5, 7), get(0, "k", 1, 2)})
	h.SortOps()
	require.Equal(t, []int{0, 1, 2}, []int{h.Ops[0].Client, h.Ops[1].Client, h.Ops[2].Client})
}
