package core

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBadRequestsChangeNothing(t *testing.T) {
	r := testRing(t)
	key := keyWithTop(t, r, 1, 2, 3)
	ctx := func(b ...byte) []byte { return b }
	uv := func(prefix []byte, x uint64, suffix ...byte) []byte {
		return append(binary.AppendUvarint(append([]byte(nil), prefix...), x), suffix...)
	}
	tests := []struct {
		name string
		op   Op
		want string // a substring of the error message
	}{
		{"no kind", Op{Key: key}, "unknown operation 0"},
		{"unknown kind", Op{Kind: 9, Key: key}, "unknown operation 9"},
		{"empty key get", Op{Kind: OpGet}, "empty key"},
		{"empty key put", Op{Kind: OpPut, Value: []byte("v")}, "empty key"},
		{"empty key delete", Op{Kind: OpDelete}, "empty key"},
		{"key too long", Op{Kind: OpGet, Key: strings.Repeat("k", 1025)}, "key of 1025 bytes exceeds the limit of 1024"},
		{"key too long put", Op{Kind: OpPut, Key: strings.Repeat("k", 4096)}, "key of 4096 bytes exceeds the limit of 1024"},
		{"value too long", Op{Kind: OpPut, Key: key, Value: make([]byte, 1<<20+1)}, "value of 1048577 bytes exceeds the limit of 1048576"},
		{"r negative", Op{Kind: OpGet, Key: key, R: -1}, "r=-1"},
		{"r above n", Op{Kind: OpGet, Key: key, R: 4}, "r=4"},
		{"w negative", Op{Kind: OpPut, Key: key, W: -1}, "w=-1"},
		{"w above n", Op{Kind: OpPut, Key: key, W: 4}, "w=4"},
		{"w above n on delete", Op{Kind: OpDelete, Key: key, W: 100}, "w=100"},
		{"context format", Op{Kind: OpPut, Key: key, Context: ctx(2, 0, 1, 0)}, "context: unknown format 2"},
		{"context format zero", Op{Kind: OpDelete, Key: key, Context: ctx(0)}, "context: unknown format 0"},
		{"context only format", Op{Kind: OpPut, Key: key, Context: ctx(1)}, "context: truncated coordinator field"},
		{"context cut varint", Op{Kind: OpPut, Key: key, Context: ctx(1, 0x80)}, "context: truncated coordinator field"},
		{"context coordinator overflow", Op{Kind: OpPut, Key: key, Context: ctx(1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)}, "context: coordinator field overflows 64 bits"},
		{"context coordinator range", Op{Kind: OpPut, Key: key, Context: uv([]byte{1}, 1<<16+1, 1, 0)}, "context: coordinator 65536 out of range"},
		{"context no clock", Op{Kind: OpPut, Key: key, Context: ctx(1, 0)}, "empty input"},
		{"context clock format", Op{Kind: OpPut, Key: key, Context: ctx(1, 0, 7, 0)}, "unsupported format byte 0x7"},
		{"context trailing", Op{Kind: OpPut, Key: key, Context: ctx(1, 0, 1, 0, 0)}, "context: 1 trailing bytes"},
		{"context clock count", Op{Kind: OpPut, Key: key, Context: ctx(1, 0, 1, 5, 1, 1, 0)}, "clock entry count"},
		{"context zero counter", Op{Kind: OpPut, Key: key, Context: ctx(1, 0, 1, 1, 5, 0, 0)}, "zero counter"},
		{"context unsorted", Op{Kind: OpPut, Key: key, Context: ctx(1, 0, 1, 2, 5, 1, 0, 4, 1, 0)}, "does not follow"},
		{"context non-minimal counter", Op{Kind: OpPut, Key: key, Context: ctx(1, 0, 1, 1, 5, 0x81, 0x00, 0)}, "non-minimal varint"},
	}
	for _, tt := range tests {
		for _, coord := range []NodeID{1, 4} { // a replica, and a node that would forward
			t.Run(fmt.Sprintf("%s/coord=%d", tt.name, coord), func(t *testing.T) {
				c := newReadyCluster(t)
				c.plant(coord, key, version(2, 1, nil, nil, "keep"))
				before := renderVersions(c.nodes[coord].Versions(key))
				effs := c.client(coord, 3, tt.op)
				require.Len(t, effs, 1, "only a reply: %v", renderEffects(effs))
				reply, ok := effs[0].(*Reply)
				require.True(t, ok, "%s", render(effs[0]))
				require.Equal(t, ReqID(3), reply.ID)
				require.True(t, errors.Is(reply.Result.Err, ErrBadRequest), "%v", reply.Result.Err)
				require.Contains(t, reply.Result.Err.Error(), tt.want)
				require.True(t, strings.HasPrefix(reply.Result.Err.Error(), "bad request: "), reply.Result.Err.Error())
				require.Nil(t, reply.Result.Siblings)

				st := c.nodes[coord].Status()
				require.Equal(t, uint64(1), st.Stats.BadRequests)
				require.Equal(t, 1, st.Keys)
				require.Zero(t, st.PendingGets+st.PendingPuts)
				require.Equal(t, before, renderVersions(c.nodes[coord].Versions(key)))
				require.Empty(t, c.inflight)
				require.Empty(t, c.writes)
			})
		}
	}
}

// TestContextIgnoredByGet: a get never reads the context, so malformed bytes
// there are harmless.
func TestContextIgnoredByGet(t *testing.T) {
	c := newReadyCluster(t)
	key := keyWithTop(t, c.ring, 1, 2, 3)
	effs := c.client(1, 3, Op{Kind: OpGet, Key: key, Context: []byte{0xff}})
	require.Equal(t, []string{
		`send 2 GetReq{op=2 ` + key + `}`,
		`send 3 GetReq{op=2 ` + key + `}`,
		"wake 500ms",
	}, renderEffects(effs))
}

func TestLimitsAreInclusive(t *testing.T) {
	c := newReadyCluster(t, func(cfg *Config) { cfg.MaxKeyBytes, cfg.MaxValueBytes = 8, 4 })
	res := c.do(1, 1, Op{Kind: OpPut, Key: "12345678", Value: []byte("1234"), W: 3})
	require.NoError(t, res.Err)
	res = c.do(1, 2, Op{Kind: OpGet, Key: "12345678", R: 3})
	require.Equal(t, []string{"1234"}, values(res))
}
