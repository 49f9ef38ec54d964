package net

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/core/causality"
	"github.com/dynamo-replay/dynamo/core/merkle"
	"github.com/dynamo-replay/dynamo/core/ring"
)

// ---------------------------------------------------------------------------
// Generators: arbitrary canonical values, extremes included, not realistic
// traffic. Empty slices are nil, as the decoder gives them back.

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

func genBytes(t *rapid.T, label string) []byte {
	return nilIfEmpty(rapid.SliceOfN(rapid.Byte(), 0, 40).Draw(t, label))
}

func genString(t *rapid.T, label string) string {
	return string(rapid.SliceOfN(rapid.Byte(), 0, 24).Draw(t, label))
}

func genStrings(t *rapid.T, label string) []string {
	var out []string
	for range rapid.IntRange(0, 4).Draw(t, label+" count") {
		out = append(out, genString(t, label))
	}
	return out
}

func genClock(t *rapid.T) causality.Clock {
	actors := rapid.SliceOfNDistinct(rapid.Uint64(), 0, 4, rapid.ID[uint64]).Draw(t, "clock actors")
	slices.Sort(actors)
	var c causality.Clock
	for _, a := range actors {
		c = append(c, causality.Entry{
			Actor:   causality.Actor(a),
			Counter: rapid.Uint64Min(1).Draw(t, "clock counter"),
			Wall:    rapid.Int64().Draw(t, "clock wall"),
		})
	}
	return c
}

func genVersions(t *rapid.T) []core.Version {
	var vs []core.Version
	for range rapid.IntRange(0, 3).Draw(t, "versions") {
		vs = append(vs, core.Version{
			Dot:     causality.Dot{Actor: causality.Actor(rapid.Uint64().Draw(t, "actor")), Counter: rapid.Uint64Min(1).Draw(t, "counter")},
			Clock:   genClock(t),
			Wall:    rapid.Int64().Draw(t, "wall"),
			Deleted: rapid.Bool().Draw(t, "deleted"),
			Value:   genBytes(t, "value"),
		})
	}
	return vs
}

func genNodeID(t *rapid.T, label string) core.NodeID {
	return core.NodeID(rapid.Uint16().Draw(t, label))
}

func genIndex(t *rapid.T, label string) int {
	return rapid.OneOf(rapid.IntRange(0, 1000), rapid.IntRange(0, math.MaxInt)).Draw(t, label)
}

func genHash(t *rapid.T, label string) merkle.Hash {
	var h merkle.Hash
	copy(h[:], rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, label))
	return h
}

func genError(t *rapid.T) error {
	return rapid.SampledFrom([]error{
		nil,
		core.ErrTimeout,
		core.ErrBadRequest,
		core.ErrUnavailable,
		fmt.Errorf("%w: key of 2000 bytes exceeds the limit of 1024", core.ErrBadRequest),
		fmt.Errorf("%w: %w", core.ErrBadRequest, errors.New("context: truncated coordinator field")),
		errors.New("something no sentinel covers"),
		errors.New(""),
	}).Draw(t, "error")
}

func genMembership(t *rapid.T) *core.Membership {
	m := &core.Membership{Params: ring.Params{
		Strategy: ring.Strategy(rapid.IntRange(0, 3).Draw(t, "strategy")),
		T:        rapid.IntRange(0, 1<<20).Draw(t, "T"),
		Q:        rapid.IntRange(0, 1<<20).Draw(t, "Q"),
	}}
	ids := rapid.SliceOfNDistinct(rapid.Uint16(), 0, 5, rapid.ID[uint16]).Draw(t, "member ids")
	slices.Sort(ids)
	for _, id := range ids {
		m.Members = append(m.Members, core.Member{
			ID:       core.NodeID(id),
			Status:   core.MemberStatus(rapid.IntRange(int(core.StatusJoined), int(core.StatusLeft)).Draw(t, "status")),
			Version:  rapid.Uint64().Draw(t, "member version"),
			Addr:     rapid.StringN(0, 20, core.MaxAddrBytes).Draw(t, "addr"),
			HTTPAddr: rapid.StringN(0, 20, core.MaxAddrBytes).Draw(t, "http addr"),
		})
	}
	his := rapid.SliceOfNDistinct(rapid.Uint64(), 0, 6, rapid.ID[uint64]).Draw(t, "token his")
	for _, hi := range his {
		m.Tokens = append(m.Tokens, core.TokenEntry{
			Token:   ring.Token{Hi: hi, Lo: rapid.Uint64().Draw(t, "token lo")},
			Owner:   genNodeID(t, "owner"),
			Removed: rapid.Bool().Draw(t, "removed"),
			Version: rapid.Uint64().Draw(t, "token version"),
		})
	}
	slices.SortFunc(m.Tokens, func(a, b core.TokenEntry) int { return a.Token.Compare(b.Token) })
	return m
}

// messageGen draws every message type, so that one property covers them all.
var messageGen = rapid.Custom(func(t *rapid.T) core.Message {
	u64 := func(label string) uint64 { return rapid.Uint64().Draw(t, label) }
	switch rapid.IntRange(1, len(typeNames)-1).Draw(t, "type") {
	case 1:
		return core.GetReq{Op: u64("op"), Key: genString(t, "key")}
	case 2:
		return core.GetResp{Op: u64("op"), Key: genString(t, "key"), Versions: genVersions(t)}
	case 3:
		return core.PutReq{Op: u64("op"), Key: genString(t, "key"), Versions: genVersions(t),
			Durable: rapid.Bool().Draw(t, "durable"), Hinted: rapid.Bool().Draw(t, "hinted"), Hint: genNodeID(t, "hint")}
	case 4:
		return core.PutAck{Op: u64("op")}
	case 5:
		return core.Forward{Op: u64("op"), Req: core.Op{
			Kind:    core.OpKind(rapid.IntRange(int(core.OpGet), int(core.OpLeave)).Draw(t, "kind")),
			Key:     genString(t, "key"),
			Value:   genBytes(t, "value"),
			Context: genBytes(t, "context"),
			R:       rapid.Int().Draw(t, "r"),
			W:       rapid.Int().Draw(t, "w"),
		}}
	case 6:
		r := core.Result{Err: genError(t), Context: genBytes(t, "context"), Coordinator: genNodeID(t, "coordinator")}
		for range rapid.IntRange(0, 3).Draw(t, "siblings") {
			r.Siblings = append(r.Siblings, core.Sibling{Value: genBytes(t, "sibling"), Deleted: rapid.Bool().Draw(t, "deleted")})
		}
		return core.ForwardReply{Op: u64("op"), Result: r}
	case 7:
		return core.Ping{}
	case 8:
		return core.Pong{}
	case 9:
		return core.HandoffReq{Op: u64("op"), Key: genString(t, "key"), Versions: genVersions(t)}
	case 10:
		return core.HandoffAck{Op: u64("op")}
	case 11:
		return core.Gossip{Table: genMembership(t)}
	case 12:
		return core.GossipReply{Table: genMembership(t)}
	case 13:
		return core.TransferOffer{Op: u64("op"), Epoch: u64("epoch"), Range: rapid.Uint32().Draw(t, "range")}
	case 14:
		return core.TransferReply{Op: u64("op"),
			Status: core.TransferStatus(rapid.IntRange(int(core.TransferAccepted), int(core.TransferNotYet)).Draw(t, "status"))}
	case 15:
		m := core.TransferData{Op: u64("op"), Epoch: u64("epoch"), Range: rapid.Uint32().Draw(t, "range"),
			Offset: genIndex(t, "offset"), Last: rapid.Bool().Draw(t, "last")}
		m.Keys = genStrings(t, "keys")
		for range m.Keys {
			m.Versions = append(m.Versions, genVersions(t))
		}
		return m
	case 16:
		return core.TransferAck{Op: u64("op"), Next: genIndex(t, "next")}
	case 17:
		m := core.AERoots{Op: u64("op"), Epoch: u64("epoch")}
		for range rapid.IntRange(0, 4).Draw(t, "ranges") {
			m.Ranges = append(m.Ranges, rapid.Uint32().Draw(t, "range"))
			m.Roots = append(m.Roots, genHash(t, "root"))
		}
		return m
	case 18:
		m := core.AENodes{Op: u64("op"), Epoch: u64("epoch"), Level: genIndex(t, "level")}
		for range rapid.IntRange(0, 3).Draw(t, "items") {
			it := core.AENode{Range: rapid.Uint32().Draw(t, "range"), Index: genIndex(t, "index")}
			for range rapid.IntRange(0, 3).Draw(t, "hashes") {
				it.Hashes = append(it.Hashes, genHash(t, "hash"))
			}
			m.Items = append(m.Items, it)
		}
		return m
	case 19:
		m := core.AEBuckets{Op: u64("op"), Epoch: u64("epoch")}
		for range rapid.IntRange(0, 3).Draw(t, "items") {
			it := core.AEBucket{Range: rapid.Uint32().Draw(t, "range"), Index: genIndex(t, "index")}
			for range rapid.IntRange(0, 3).Draw(t, "keys") {
				it.Keys = append(it.Keys, merkle.KeyDigest{Key: genString(t, "key"), Digest: genHash(t, "digest")})
			}
			m.Items = append(m.Items, it)
		}
		return m
	case 20:
		return core.AEPull{Keys: genStrings(t, "keys")}
	}
	panic("messageGen does not cover every type")
})

// requireSameMessage compares a message with its decoded copy. Errors in a
// Result cannot be compared with ==: a wrapped sentinel comes back as a
// *RemoteError with the same text that matches the same sentinel.
func requireSameMessage(t require.TestingT, want, got core.Message) {
	if w, ok := want.(core.ForwardReply); ok {
		g, ok := got.(core.ForwardReply)
		require.True(t, ok, "decoded %T, want ForwardReply", got)
		if w.Result.Err == nil {
			require.NoError(t, g.Result.Err)
		} else {
			require.Error(t, g.Result.Err)
			require.Equal(t, w.Result.Err.Error(), g.Result.Err.Error())
			wc, ws := errorCode(w.Result.Err)
			gc, gs := errorCode(g.Result.Err)
			require.Equal(t, wc, gc)
			require.Equal(t, ws, gs)
			if ws != nil && w.Result.Err == ws {
				require.True(t, g.Result.Err == ws, "a bare sentinel must come back as itself, got %#v", g.Result.Err)
			}
		}
		w.Result.Err, g.Result.Err = nil, nil
		want, got = w, g
	}
	require.Equal(t, want, got)
}

func TestCodecRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := messageGen.Draw(t, "message")
		prefix := rapid.SliceOfN(rapid.Byte(), 0, 3).Draw(t, "prefix")
		b, err := AppendMessage(slices.Clone(prefix), m)
		require.NoError(t, err)
		require.Equal(t, prefix, b[:len(prefix)], "AppendMessage must append")
		b = b[len(prefix):]
		got, err := DecodeMessage(b)
		require.NoError(t, err)
		requireSameMessage(t, m, got)
		again, err := AppendMessage(nil, got)
		require.NoError(t, err)
		require.Equal(t, b, again, "re-encoding must give back the bytes")
		// Every strict prefix is an error, never a panic or a shorter message.
		for i := range b {
			_, err := DecodeMessage(b[:i])
			require.ErrorIs(t, err, ErrMalformed, "prefix of %d bytes", i)
		}
	})
}

// sampleMessages holds one realistic message of every type, with every field
// set; the fuzz seeds and the frame tests use them.
func sampleMessages() []core.Message {
	vs := []core.Version{
		{Dot: causality.Dot{Actor: 1 << 48, Counter: 3}, Clock: causality.Clock{{Actor: 1 << 48, Counter: 2, Wall: 1700000000000000000}, {Actor: 2 << 48, Counter: 1, Wall: -5}}, Wall: 1700000000000000001, Value: []byte("cart:apple")},
		{Dot: causality.Dot{Actor: 2 << 48, Counter: 2}, Wall: 1700000000000000002, Deleted: true},
	}
	table := &core.Membership{
		Params:  ring.Params{Strategy: ring.Strategy3, T: 8, Q: 256},
		Members: []core.Member{{ID: 1, Status: core.StatusJoined, Version: 1}, {ID: 2, Status: core.StatusLeaving, Version: 4}, {ID: 9, Status: core.StatusLeft, Version: 7}},
		Tokens:  []core.TokenEntry{{Token: ring.Token{Hi: 1, Lo: 2}, Owner: 1, Version: 1}, {Token: ring.Token{Hi: 1 << 63}, Owner: 2, Removed: true, Version: 2}},
	}
	h := merkle.Hash{0: 0xde, 15: 0xad}
	return []core.Message{
		core.GetReq{Op: 1, Key: "cart:7"},
		core.GetResp{Op: 2, Key: "cart:7", Versions: vs},
		core.PutReq{Op: 3, Key: "cart:7", Versions: vs, Durable: true, Hinted: true, Hint: 4},
		core.PutAck{Op: 3},
		core.Forward{Op: 5, Req: core.Op{Kind: core.OpPut, Key: "cart:7", Value: []byte("v"), Context: []byte{1, 2, 3}, R: 2, W: -1}},
		core.ForwardReply{Op: 5, Result: core.Result{Siblings: []core.Sibling{{Value: []byte("a")}, {Deleted: true}}, Context: []byte{1, 9}, Coordinator: 3}},
		core.ForwardReply{Op: 6, Result: core.Result{Err: fmt.Errorf("%w: key of 2000 bytes exceeds the limit of 1024", core.ErrBadRequest)}},
		core.Ping{},
		core.Pong{},
		core.HandoffReq{Op: 7, Key: "k", Versions: vs[:1]},
		core.HandoffAck{Op: 7},
		core.Gossip{Table: table},
		core.GossipReply{Table: table},
		core.TransferOffer{Op: 8, Epoch: 99, Range: 17},
		core.TransferReply{Op: 8, Status: core.TransferTaken},
		core.TransferData{Op: 8, Epoch: 99, Range: 17, Offset: 40, Keys: []string{"a", "b"}, Versions: [][]core.Version{vs, nil}, Last: true},
		core.TransferAck{Op: 8, Next: 42},
		core.AERoots{Op: 9, Epoch: 99, Ranges: []uint32{0, 5}, Roots: []merkle.Hash{h, {}}},
		core.AENodes{Op: 9, Epoch: 99, Level: 2, Items: []core.AENode{{Range: 5, Index: 3, Hashes: []merkle.Hash{h, h}}}},
		core.AEBuckets{Op: 9, Epoch: 99, Items: []core.AEBucket{{Range: 5, Index: 12, Keys: []merkle.KeyDigest{{Key: "k", Digest: h}}}, {Range: 6}}},
		core.AEPull{Keys: []string{"k", ""}},
	}
}

func TestSampleMessagesCoverEveryType(t *testing.T) {
	seen := map[byte]bool{}
	for _, m := range sampleMessages() {
		b, err := AppendMessage(nil, m)
		require.NoError(t, err, "%T", m)
		require.Equal(t, FormatV1, b[0])
		seen[b[1]] = true
		got, err := DecodeMessage(b)
		require.NoError(t, err, "%T", m)
		requireSameMessage(t, m, got)
	}
	for typ, name := range typeNames {
		if name != "" {
			require.True(t, seen[byte(typ)], "no sample of %s", name)
		}
	}
}

func TestResultErrorCodes(t *testing.T) {
	other := errors.New("disk on fire")
	for _, tc := range []struct {
		err      error
		sentinel error
		bare     bool // comes back as the sentinel itself
	}{
		{core.ErrTimeout, core.ErrTimeout, true},
		{core.ErrBadRequest, core.ErrBadRequest, true},
		{core.ErrUnavailable, core.ErrUnavailable, true},
		{fmt.Errorf("%w: node 3 is already a member", core.ErrBadRequest), core.ErrBadRequest, false},
		{fmt.Errorf("%w: booting", core.ErrUnavailable), core.ErrUnavailable, false},
		{fmt.Errorf("wrapped twice: %w", fmt.Errorf("%w: late", core.ErrTimeout)), core.ErrTimeout, false},
		{other, nil, false},
	} {
		b, err := AppendMessage(nil, core.ForwardReply{Op: 1, Result: core.Result{Err: tc.err}})
		require.NoError(t, err)
		m, err := DecodeMessage(b)
		require.NoError(t, err)
		got := m.(core.ForwardReply).Result.Err
		require.Equal(t, tc.err.Error(), got.Error(), "the text travels")
		if tc.bare {
			require.True(t, got == tc.sentinel, "%v must come back as the sentinel itself", tc.err)
			continue
		}
		var re *RemoteError
		require.ErrorAs(t, got, &re)
		require.Equal(t, tc.sentinel, re.Sentinel)
		if tc.sentinel != nil {
			require.ErrorIs(t, got, tc.sentinel)
		}
		for _, s := range []error{core.ErrTimeout, core.ErrBadRequest, core.ErrUnavailable} {
			if s != tc.sentinel {
				require.NotErrorIs(t, got, s)
			}
		}
	}
}

// enc builds wire bytes by hand for the malformed-input table.
type enc []byte

func (e enc) u(x uint64) enc      { return binary.AppendUvarint(e, x) }
func (e enc) s(x string) enc      { return append(e.u(uint64(len(x))), x...) }
func (e enc) raw(b ...byte) enc   { return append(e, b...) }
func (e enc) z(n int) enc         { return append(e, make([]byte, n)...) }
func head(typ byte) enc           { return enc{FormatV1, typ} }
func versions0(e enc) enc         { return e.raw(1, 0) } // causality format, no versions
func member(e enc, id uint64) enc { return e.u(id).raw(byte(core.StatusJoined)).u(1).u(0).u(0) }

func TestDecodeMalformed(t *testing.T) {
	valid := func(m core.Message) []byte {
		b, err := AppendMessage(nil, m)
		require.NoError(t, err)
		return b
	}
	// A version whose dot counter is zero: actor 1, counter 0, wall 0, flags, clock, value.
	zeroDot := enc{1, 1}.raw(1, 0, 0, 0, 0, 0)
	unsortedClock := enc{1, 1}.raw(1, 1, 0, 0).raw(2).raw(5, 1, 0).raw(5, 1, 0).raw(0)
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "format: input ends"},
		{"format only", enc{FormatV1}, "type: input ends"},
		{"future format", enc{2, typePing}, "unsupported format byte 0x2"},
		{"type zero", head(0), "unknown message type 0"},
		{"type past the end", head(byte(len(typeNames))), fmt.Sprintf("unknown message type %d", len(typeNames))},
		{"trailing byte", head(typePing).raw(0), "Ping: 1 trailing bytes"},
		{"trailing after a valid GetReq", append(valid(core.GetReq{Op: 1, Key: "k"}), 7), "GetReq: 1 trailing bytes"},
		{"truncated varint", head(typePutAck).raw(0x80), "PutAck.Op: input ends inside a varint"},
		{"non-minimal varint", head(typePutAck).raw(0x81, 0x00), "PutAck.Op: non-minimal varint"},
		{"non-minimal zero", head(typeHandoffAck).raw(0x80, 0x80, 0x00), "HandoffAck.Op: non-minimal varint"},
		{"varint overflow", head(typePutAck).raw(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02), "varint overflows 64 bits"},
		{"key longer than input", head(typeGetReq).u(1).u(10).raw('a', 'b'), "GetReq.Key: length 10 exceeds the 2 remaining bytes"},
		{"key length huge", head(typeGetReq).u(1).u(math.MaxUint64), "GetReq.Key: length 18446744073709551615 exceeds"},
		{"no key", head(typeGetReq).u(1), "GetReq.Key: input ends inside a varint"},
		{"versions truncated", head(typeGetResp).u(1).s("k"), "GetResp.Versions: causality: malformed encoding"},
		{"versions bad format", head(typeGetResp).u(1).s("k").raw(9, 0), "unsupported format byte 0x9"},
		{"version count too large", head(typeGetResp).u(1).s("k").raw(1).u(1000), "version count: 1000 exceeds"},
		{"version zero dot", append(head(typeHandoffReq).u(1).s("k"), zeroDot...), "HandoffReq.Versions: causality: malformed encoding at byte 3: version 0 dot counter: zero counter"},
		{"version unsorted clock", append(head(typeHandoffReq).u(1).s("k"), unsortedClock...), "does not follow actor 5"},
		{"put flags unknown", versions0(head(typePutReq).u(1).s("k")).raw(4).u(0), "PutReq.flags: unknown flags 0x4"},
		{"put hint over 16 bits", versions0(head(typePutReq).u(1).s("k")).raw(0).u(1 << 16), "PutReq.Hint: 65536 exceeds the maximum 65535"},
		{"op kind zero", head(typeForward).u(1).raw(0), "Forward.Req.Kind: unknown op kind 0"},
		{"op kind unknown", head(typeForward).u(1).raw(byte(core.OpLeave) + 1), "Forward.Req.Kind: unknown op kind 6"},
		{"op R non-minimal", head(typeForward).u(1).raw(1).s("k").u(0).u(0).raw(0x80, 0x00), "Forward.Req.R: non-minimal varint"},
		{"op W missing", head(typeForward).u(1).raw(1).s("k").u(0).u(0).raw(2), "Forward.Req.W: input ends inside a varint"},
		{"error code unknown", head(typeForwardReply).u(1).raw(5), "ForwardReply.Result.Err code: unknown error code 5"},
		{"error text missing", head(typeForwardReply).u(1).raw(errCodeTimeout), "ForwardReply.Result.Err text: input ends"},
		{"sibling count too large", head(typeForwardReply).u(1).raw(0).u(100).raw(0, 0), "Result.Siblings count: count 100 exceeds the 1 that the remaining 2 bytes can hold"},
		{"sibling deleted not a bool", head(typeForwardReply).u(1).raw(0).u(1).raw(2, 0).u(0).u(0), "Result.Siblings[0].Deleted: boolean byte 0x2"},
		{"coordinator over 16 bits", head(typeForwardReply).u(1).raw(0).u(0).u(0).u(70000), "Result.Coordinator: 70000 exceeds the maximum 65535"},
		{"table truncated", head(typeGossip).u(3), "Gossip.Table.Params.T: input ends"},
		{"member status zero", head(typeGossip).u(3).u(1).u(8).u(1).u(1).raw(0).u(1).u(0).u(0).u(0), "Gossip.Table.Members[0].Status: unknown status 0"},
		{"member status four", head(typeGossip).u(3).u(1).u(8).u(1).u(1).raw(4).u(1).u(0).u(0).u(0), "Members[0].Status: unknown status 4"},
		{"member address too long", head(typeGossip).u(3).u(1).u(8).u(1).u(1).raw(1).u(1).u(256).z(256).u(0).u(0), "Gossip.Table.Members[0].Addr: length 256 exceeds the limit of 255"},
		{"members unsorted", member(member(head(typeGossipReply).u(3).u(1).u(8).u(2), 5), 5).u(0), "GossipReply.Table.Members[1].ID: member 5 does not follow member 5"},
		{"token count too large", member(head(typeGossip).u(3).u(1).u(8).u(1), 1).u(2).z(19), "Gossip.Table.Tokens count: count 2 exceeds the 1"},
		{"tokens unsorted", member(head(typeGossip).u(3).u(1).u(8).u(1), 1).u(2).z(16).u(1).raw(0).u(1).z(16).u(1).raw(0).u(1), "Gossip.Table.Tokens[1].Token: token does not follow"},
		{"token removed not a bool", member(head(typeGossip).u(3).u(1).u(8).u(1), 1).u(1).z(16).u(1).raw(3).u(1), "Tokens[0].Removed: boolean byte 0x3"},
		{"strategy huge", head(typeGossip).u(1 << 40), "Gossip.Table.Params.Strategy: 1099511627776 exceeds the maximum"},
		{"range over 32 bits", head(typeTransferOffer).u(1).u(1).u(1 << 32), "TransferOffer.Range: 4294967296 exceeds the maximum 4294967295"},
		{"transfer status zero", head(typeTransferReply).u(1).raw(0), "TransferReply.Status: unknown transfer status 0"},
		{"transfer status four", head(typeTransferReply).u(1).raw(4), "TransferReply.Status: unknown transfer status 4"},
		{"transfer offset over MaxInt", head(typeTransferData).u(1).u(1).u(1).u(math.MaxUint64), "TransferData.Offset: 18446744073709551615 exceeds the maximum"},
		{"transfer keys count too large", head(typeTransferData).u(1).u(1).u(1).u(0).u(50).z(5), "TransferData.Keys count: count 50 exceeds"},
		{"transfer second versions bad", versions0(head(typeTransferData).u(1).u(1).u(1).u(0).u(2).s("a")).s("b").raw(1, 1).z(2), "TransferData.Versions[1]: causality"},
		{"transfer last not a bool", versions0(head(typeTransferData).u(1).u(1).u(1).u(0).u(1).s("a")).raw(9), "TransferData.Last: boolean byte 0x9"},
		{"transfer last missing", head(typeTransferData).u(1).u(1).u(1).u(0).u(0), "TransferData.Last: input ends"},
		{"roots hash truncated", head(typeAERoots).u(1).u(1).u(1).u(1 << 31).z(12), "AERoots.Roots[0]: hash needs 16 bytes, 12 remain"},
		{"roots count too large", head(typeAERoots).u(1).u(1).u(2).u(0).z(16), "AERoots.Ranges count: count 2 exceeds the 1"},
		{"ae nodes hash truncated", head(typeAENodes).u(1).u(1).u(0).u(1).u(0).u(0).u(1).z(15), "AENodes.Items[0].Hashes count: count 1 exceeds the 0"},
		{"ae nodes second item index huge", head(typeAENodes).u(1).u(1).u(0).u(2).u(0).u(0).u(0).u(0).u(math.MaxUint64).u(0), "AENodes.Items[1].Index: 18446744073709551615 exceeds"},
		{"ae buckets digest truncated", head(typeAEBuckets).u(1).u(1).u(1).u(0).u(0).u(1).s("kkkk").z(12), "AEBuckets.Items[0].Keys[0].Digest: hash needs 16 bytes, 12 remain"},
		{"ae buckets key past end", head(typeAEBuckets).u(1).u(1).u(1).u(0).u(0).u(1).u(30).z(16), "AEBuckets.Items[0].Keys[0].Key: length 30 exceeds the 16 remaining bytes"},
		{"pull count too large", head(typeAEPull).u(3).u(0).u(0), "AEPull.Keys count: count 3 exceeds the 2"},
		{"pull key truncated", head(typeAEPull).u(1).u(2).raw('x'), "AEPull.Keys[0]: length 2 exceeds the 1 remaining bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := DecodeMessage(tc.in)
			require.Error(t, err, "decoded %#v", m)
			require.ErrorIs(t, err, ErrMalformed)
			require.Nil(t, m)
			require.Contains(t, err.Error(), tc.want)
			require.Contains(t, err.Error(), "at byte ", "errors say where")
		})
	}
}

func TestAppendRefusesWhatDecodeWould(t *testing.T) {
	badClock := causality.Clock{{Actor: 5, Counter: 1}, {Actor: 5, Counter: 2}}
	for _, tc := range []struct {
		name string
		m    core.Message
		want string
	}{
		{"nil message", nil, "unsupported message type <nil>"},
		{"pointer", &core.GetReq{Op: 1}, "unsupported message type *core.GetReq"},
		{"zero dot counter", core.PutReq{Versions: []core.Version{{Dot: causality.Dot{Actor: 1}}}}, "PutReq.Versions: version 0 has a zero dot counter"},
		{"unsorted clock", core.GetResp{Versions: []core.Version{{Dot: causality.Dot{Actor: 1, Counter: 1}, Clock: badClock}}}, "GetResp.Versions: version 0: clock entry 1"},
		{"bad clock in a batch", core.TransferData{Keys: []string{"a", "b"}, Versions: [][]core.Version{nil, {{Dot: causality.Dot{Actor: 1, Counter: 1}, Clock: badClock}}}}, "TransferData.Versions[1]"},
		{"negative offset", core.TransferData{Offset: -1}, "TransferData.Offset: negative value -1"},
		{"keys without versions", core.TransferData{Keys: []string{"a"}}, "0 sibling sets for 1 keys"},
		{"negative next", core.TransferAck{Next: -2}, "TransferAck.Next: negative value -2"},
		{"roots without ranges", core.AERoots{Roots: []merkle.Hash{{}}}, "1 roots for 0 ranges"},
		{"negative level", core.AENodes{Level: -1}, "AENodes.Level: negative"},
		{"negative node index", core.AENodes{Items: []core.AENode{{}, {Index: -1}}}, "AENodes.Items[1].Index: negative"},
		{"negative bucket index", core.AEBuckets{Items: []core.AEBucket{{Index: -3}}}, "AEBuckets.Items[0].Index: negative"},
		{"nil table", core.Gossip{}, "Gossip.Table: nil table"},
		{"negative params", core.GossipReply{Table: &core.Membership{Params: ring.Params{Strategy: 3, Q: -1}}}, "GossipReply.Table.Params: negative"},
		{"member status", core.Gossip{Table: &core.Membership{Members: []core.Member{{ID: 1}}}}, "member 1 has unknown status 0"},
		{"members unsorted", core.Gossip{Table: &core.Membership{Members: []core.Member{{ID: 2, Status: 1}, {ID: 1, Status: 1}}}}, "member 1 does not follow member 2"},
		{"tokens duplicated", core.Gossip{Table: &core.Membership{Tokens: []core.TokenEntry{{}, {}}}}, "token 1 does not follow"},
		{"op kind", core.Forward{Req: core.Op{Kind: 0}}, "Forward.Req.Kind: unknown op kind 0"},
		{"transfer status", core.TransferReply{Status: 9}, "TransferReply.Status: unknown transfer status 9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := []byte("keep")
			got, err := AppendMessage(dst, tc.m)
			require.ErrorIs(t, err, ErrUnencodable)
			require.Contains(t, err.Error(), tc.want)
			require.Equal(t, "keep", string(got), "dst comes back unchanged")
		})
	}
}

func TestDecodeDoesNotAlias(t *testing.T) {
	b, err := AppendMessage(nil, core.PutReq{Op: 1, Key: "key", Versions: []core.Version{{Dot: causality.Dot{Actor: 1, Counter: 1}, Value: []byte("value")}}})
	require.NoError(t, err)
	m, err := DecodeMessage(b)
	require.NoError(t, err)
	for i := range b {
		b[i] = 0xff
	}
	p := m.(core.PutReq)
	require.Equal(t, "key", p.Key)
	require.Equal(t, "value", string(p.Versions[0].Value))
}

// A forged count must not make the decoder allocate much more than its input.
func TestDecodeForgedCountsAllocateLittle(t *testing.T) {
	inputs := [][]byte{
		head(typeAEPull).u(1 << 40),
		head(typeAEPull).u(100).z(100),
		head(typeTransferData).u(1).u(1).u(1).u(0).u(1000).z(3000),
		head(typeAENodes).u(1).u(1).u(0).u(1).u(0).u(0).u(1 << 30),
	}
	// TotalAlloc counts every goroutine's allocations (a transport test's
	// goroutines may still be winding down), so average over many decodes.
	const runs = 100
	for _, in := range inputs {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range runs {
			_, _ = DecodeMessage(in)
		}
		runtime.ReadMemStats(&after)
		perRun := (after.TotalAlloc - before.TotalAlloc) / runs
		require.Less(t, perRun, uint64(64*len(in)+4096), "input %x", in[:min(len(in), 16)])
	}
}

func TestDecodeRejectsEveryBitFlipOrRoundTrips(t *testing.T) {
	// Flipping any bit of a valid message gives an error or another message
	// that re-encodes to exactly the flipped bytes: nothing is accepted
	// loosely.
	for _, m := range sampleMessages() {
		b, err := AppendMessage(nil, m)
		require.NoError(t, err)
		for i := range b {
			for bit := range 8 {
				c := slices.Clone(b)
				c[i] ^= 1 << bit
				got, err := DecodeMessage(c)
				if err != nil {
					require.ErrorIs(t, err, ErrMalformed)
					continue
				}
				again, err := AppendMessage(nil, got)
				require.NoError(t, err)
				require.True(t, bytes.Equal(c, again), "%T byte %d bit %d: accepted %x, re-encodes to %x", m, i, bit, c, again)
			}
		}
	}
}

// A PutReq with two 100-byte siblings, the common case on the write path.
func benchPutReq() core.Message {
	v := func(a uint64) core.Version {
		return core.Version{Dot: causality.Dot{Actor: causality.Actor(a << 48), Counter: 7},
			Clock: causality.Clock{{Actor: 1 << 48, Counter: 6, Wall: 1700000000000000000}, {Actor: 2 << 48, Counter: 3, Wall: 1700000000000000000}},
			Wall:  1700000000000000000, Value: bytes.Repeat([]byte("v"), 100)}
	}
	return core.PutReq{Op: 12345, Key: "user:0000012345", Versions: []core.Version{v(1), v(2)}, Durable: true}
}

func BenchmarkAppendMessage(b *testing.B) {
	m := benchPutReq()
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		buf, err = AppendMessage(buf[:0], m)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecodeMessage(b *testing.B) {
	buf, err := AppendMessage(nil, benchPutReq())
	require.NoError(b, err)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeMessage(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func TestMembershipRoundTripsAndRejectsDamage(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := genMembership(t)
		b, err := AppendMembership(nil, m)
		require.NoError(t, err)
		got, err := DecodeMembership(b)
		require.NoError(t, err)
		require.Equal(t, m, got)
		if len(b) > 0 {
			_, err = DecodeMembership(b[:len(b)-1])
			require.ErrorIs(t, err, ErrMalformed)
		}
		_, err = DecodeMembership(append(b, 0))
		require.ErrorIs(t, err, ErrMalformed)
	})
}
