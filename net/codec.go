package net

import (
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/dynamo-replay/dynamo/internal/wire"
	"math"
	"strings"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/core/causality"
	"github.com/dynamo-replay/dynamo/core/merkle"
	"github.com/dynamo-replay/dynamo/core/ring"
)

// The message codec. A message is a format byte, a type byte and the fields
// of the message in declaration order:
//
//	uint64, int (indexes)  uvarint, minimal
//	int (R, W)             zigzag varint, minimal
//	uint32, NodeID         uvarint, minimal, range-checked
//	bool                   one byte, 0 or 1; PutReq packs Durable and Hinted in one flags byte
//	string, []byte         uvarint length, then the bytes; empty decodes as "" / nil
//	[]Version              causality.AppendVersions (its own format byte, count, versions)
//	merkle.Hash            16 raw bytes
//	lists                  uvarint count, then the elements
//	error                  code byte (0 none, 1 timeout, 2 bad request, 3 unavailable,
//	                       4 other), then, unless 0, the error text as a string
//
// Parallel slices (AERoots.Ranges and Roots, TransferData.Keys and Versions)
// travel as one list of pairs, so that lengths that differ cannot be encoded.
//
// The decoder is strict: it accepts exactly the bytes the encoder produces
// (minimal varints, flags without unknown bits, sorted membership tables,
// canonical clocks, no trailing bytes), so decoding and re-encoding gives back
// the input, and it checks every count against the bytes left before it
// allocates, so a forged count cannot make it allocate much more than its
// input. The encoder refuses what the decoder would refuse.

// FormatV1 is the leading byte of every message this version writes and reads.
const FormatV1 byte = 1

// Message type bytes. They are part of the wire format: never renumber.
const (
	typeGetReq        byte = 1
	typeGetResp       byte = 2
	typePutReq        byte = 3
	typePutAck        byte = 4
	typeForward       byte = 5
	typeForwardReply  byte = 6
	typePing          byte = 7
	typePong          byte = 8
	typeHandoffReq    byte = 9
	typeHandoffAck    byte = 10
	typeGossip        byte = 11
	typeGossipReply   byte = 12
	typeTransferOffer byte = 13
	typeTransferReply byte = 14
	typeTransferData  byte = 15
	typeTransferAck   byte = 16
	typeAERoots       byte = 17
	typeAENodes       byte = 18
	typeAEBuckets     byte = 19
	typeAEPull        byte = 20
)

var typeNames = [...]string{
	typeGetReq: "GetReq", typeGetResp: "GetResp", typePutReq: "PutReq", typePutAck: "PutAck",
	typeForward: "Forward", typeForwardReply: "ForwardReply", typePing: "Ping", typePong: "Pong",
	typeHandoffReq: "HandoffReq", typeHandoffAck: "HandoffAck", typeGossip: "Gossip",
	typeGossipReply: "GossipReply", typeTransferOffer: "TransferOffer",
	typeTransferReply: "TransferReply", typeTransferData: "TransferData",
	typeTransferAck: "TransferAck", typeAERoots: "AERoots", typeAENodes: "AENodes",
	typeAEBuckets: "AEBuckets", typeAEPull: "AEPull",
}

// Error codes of Result.Err. Part of the wire format.
const (
	errCodeNone        byte = 0
	errCodeTimeout     byte = 1
	errCodeBadRequest  byte = 2
	errCodeUnavailable byte = 3
	errCodeOther       byte = 4
)

// The fewest bytes an element of each list can take, for checking counts.
const (
	minStringSize   = 1      // length
	minSiblingSize  = 2      // flags, value length
	minMemberSize   = 5      // id, status, version, two address lengths
	minTokenSize    = 16 + 3 // token, owner, removed, version
	minRootSize     = 1 + 16 // range, hash
	minHashSize     = 16
	minAENodeSize   = 3      // range, index, hash count
	minAEBucketSize = 3      // range, index, key count
	minDigestSize   = 1 + 16 // key length, digest
	minTransferItem = 1 + 2  // key length, versions format and count
)

// ErrMalformed wraps every DecodeMessage error, for errors.Is; the message
// says which message type, which field, at which byte and what was wrong.
var ErrMalformed = errors.New("net: malformed message")

// ErrUnencodable wraps every AppendMessage error: the message cannot be put
// on the wire as it is (an unknown type, a negative index, lists that should
// be parallel and are not, a non-canonical clock, an unsorted table).
var ErrUnencodable = errors.New("net: unencodable message")

// RemoteError is a Result.Err that came over the wire. Error returns the text
// the remote node produced; Unwrap returns the core sentinel it matched
// (ErrTimeout, ErrBadRequest or ErrUnavailable), or nil when it matched none,
// so errors.Is works across the network as it does in one process.
type RemoteError struct {
	Sentinel error
	Text     string
}

func (e *RemoteError) Error() string { return e.Text }
func (e *RemoteError) Unwrap() error { return e.Sentinel }

// errorCode maps an error to its wire code and the sentinel behind it.
func errorCode(err error) (byte, error) {
	switch {
	case err == nil:
		return errCodeNone, nil
	case errors.Is(err, core.ErrTimeout):
		return errCodeTimeout, core.ErrTimeout
	case errors.Is(err, core.ErrBadRequest):
		return errCodeBadRequest, core.ErrBadRequest
	case errors.Is(err, core.ErrUnavailable):
		return errCodeUnavailable, core.ErrUnavailable
	}
	return errCodeOther, nil
}

func sentinelOf(code byte) error {
	switch code {
	case errCodeTimeout:
		return core.ErrTimeout
	case errCodeBadRequest:
		return core.ErrBadRequest
	case errCodeUnavailable:
		return core.ErrUnavailable
	}
	return nil
}

// ---------------------------------------------------------------------------
// Encoding

// AppendMessage appends m's encoding to dst. m must be one of the core
// message types, by value. On error dst is returned unchanged.
func AppendMessage(dst []byte, m core.Message) ([]byte, error) {
	e := encoder{b: dst}
	start := len(dst)
	e.message(m)
	if e.err != nil {
		return dst[:start], e.err
	}
	return e.b, nil
}

// encoder appends fields and keeps the first error, like the decoder.
type encoder struct {
	b   []byte
	err error
	msg string // message type, for errors
	i   int    // the list element being written, for %d in field names
}

func (e *encoder) fail(field, format string, args ...any) {
	if e.err == nil {
		e.err = fmt.Errorf("%w: %s.%s: %s", ErrUnencodable, e.msg, fillIndexes(field, e.i, 0), fmt.Sprintf(format, args...))
	}
}

func (e *encoder) head(t byte) {
	e.msg = typeNames[t]
	e.b = append(e.b, FormatV1, t)
}

func (e *encoder) uvarint(x uint64) { e.b = binary.AppendUvarint(e.b, x) }
func (e *encoder) varint(x int64)   { e.b = binary.AppendVarint(e.b, x) }
func (e *encoder) nodeID(x core.NodeID) {
	e.uvarint(uint64(x))
}

func (e *encoder) index(field string, x int) {
	if x < 0 {
		e.fail(field, "negative value %d", x)
		return
	}
	e.uvarint(uint64(x))
}

func (e *encoder) bool(x bool) {
	if x {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

func (e *encoder) string(s string) {
	e.uvarint(uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) bytes(s []byte) {
	e.uvarint(uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) hash(h merkle.Hash) { e.b = append(e.b, h[:]...) }

// versions checks what DecodeVersions would refuse (a zero dot counter, a
// non-canonical clock) so that a bad version fails here, at the sender,
// rather than as a malformed message at the receiver.
func (e *encoder) versions(field string, vs []core.Version) {
	for i := range vs {
		if vs[i].Dot.Counter == 0 {
			e.fail(field, "version %d has a zero dot counter", i)
			return
		}
		if err := vs[i].Clock.Validate(); err != nil {
			e.fail(field, "version %d: %v", i, err)
			return
		}
	}
	e.b = causality.AppendVersions(e.b, vs)
}

func (e *encoder) result(r *core.Result) {
	code, _ := errorCode(r.Err)
	e.b = append(e.b, code)
	if code != errCodeNone {
		e.string(r.Err.Error())
	}
	e.uvarint(uint64(len(r.Siblings)))
	for _, s := range r.Siblings {
		e.bool(s.Deleted)
		e.bytes(s.Value)
	}
	e.bytes(r.Context)
	e.nodeID(r.Coordinator)
}

func (e *encoder) op(o *core.Op) {
	if o.Kind < core.OpGet || o.Kind > core.OpLeave {
		e.fail("Req.Kind", "unknown op kind %d", o.Kind)
		return
	}
	e.b = append(e.b, byte(o.Kind))
	e.string(o.Key)
	e.bytes(o.Value)
	e.bytes(o.Context)
	e.varint(int64(o.R))
	e.varint(int64(o.W))
}

func (e *encoder) membership(m *core.Membership) {
	if m == nil {
		e.fail("Table", "nil table")
		return
	}
	p := m.Params
	if p.Strategy < 0 || p.T < 0 || p.Q < 0 {
		e.fail("Table.Params", "negative parameter in %+v", p)
		return
	}
	e.uvarint(uint64(p.Strategy))
	e.uvarint(uint64(p.T))
	e.uvarint(uint64(p.Q))
	e.uvarint(uint64(len(m.Members)))
	for i, x := range m.Members {
		if x.Status < core.StatusJoined || x.Status > core.StatusLeft {
			e.fail("Table.Members", "member %d has unknown status %d", x.ID, x.Status)
			return
		}
		if i > 0 && x.ID <= m.Members[i-1].ID {
			e.fail("Table.Members", "member %d does not follow member %d (sorted by id, without duplicates)", x.ID, m.Members[i-1].ID)
			return
		}
		if len(x.Addr) > core.MaxAddrBytes || len(x.HTTPAddr) > core.MaxAddrBytes {
			e.fail("Table.Members", "member %d has an address over %d bytes", x.ID, core.MaxAddrBytes)
			return
		}
		e.nodeID(x.ID)
		e.b = append(e.b, byte(x.Status))
		e.uvarint(x.Version)
		e.string(x.Addr)
		e.string(x.HTTPAddr)
	}
	e.uvarint(uint64(len(m.Tokens)))
	for i, t := range m.Tokens {
		if i > 0 && t.Token.Compare(m.Tokens[i-1].Token) <= 0 {
			e.fail("Table.Tokens", "token %d does not follow the one before (sorted, without duplicates)", i)
			return
		}
		e.b = binary.BigEndian.AppendUint64(e.b, t.Token.Hi)
		e.b = binary.BigEndian.AppendUint64(e.b, t.Token.Lo)
		e.nodeID(t.Owner)
		e.bool(t.Removed)
		e.uvarint(t.Version)
	}
}

func (e *encoder) message(m core.Message) {
	switch m := m.(type) {
	case core.GetReq:
		e.head(typeGetReq)
		e.uvarint(m.Op)
		e.string(m.Key)
	case core.GetResp:
		e.head(typeGetResp)
		e.uvarint(m.Op)
		e.string(m.Key)
		e.versions("Versions", m.Versions)
	case core.PutReq:
		e.head(typePutReq)
		e.uvarint(m.Op)
		e.string(m.Key)
		e.versions("Versions", m.Versions)
		var flags byte
		if m.Durable {
			flags |= putDurable
		}
		if m.Hinted {
			flags |= putHinted
		}
		e.b = append(e.b, flags)
		e.nodeID(m.Hint)
	case core.PutAck:
		e.head(typePutAck)
		e.uvarint(m.Op)
	case core.Forward:
		e.head(typeForward)
		e.uvarint(m.Op)
		e.op(&m.Req)
	case core.ForwardReply:
		e.head(typeForwardReply)
		e.uvarint(m.Op)
		e.result(&m.Result)
	case core.Ping:
		e.head(typePing)
	case core.Pong:
		e.head(typePong)
	case core.HandoffReq:
		e.head(typeHandoffReq)
		e.uvarint(m.Op)
		e.string(m.Key)
		e.versions("Versions", m.Versions)
	case core.HandoffAck:
		e.head(typeHandoffAck)
		e.uvarint(m.Op)
	case core.Gossip:
		e.head(typeGossip)
		e.membership(m.Table)
	case core.GossipReply:
		e.head(typeGossipReply)
		e.membership(m.Table)
	case core.TransferOffer:
		e.head(typeTransferOffer)
		e.uvarint(m.Op)
		e.uvarint(m.Epoch)
		e.uvarint(uint64(m.Range))
	case core.TransferReply:
		e.head(typeTransferReply)
		e.uvarint(m.Op)
		if m.Status < core.TransferAccepted || m.Status > core.TransferNotYet {
			e.fail("Status", "unknown transfer status %d", m.Status)
		}
		e.b = append(e.b, byte(m.Status))
	case core.TransferData:
		e.head(typeTransferData)
		e.uvarint(m.Op)
		e.uvarint(m.Epoch)
		e.uvarint(uint64(m.Range))
		e.index("Offset", m.Offset)
		if len(m.Keys) != len(m.Versions) {
			e.fail("Versions", "%d sibling sets for %d keys", len(m.Versions), len(m.Keys))
			return
		}
		e.uvarint(uint64(len(m.Keys)))
		for i, k := range m.Keys {
			e.i = i
			e.string(k)
			e.versions("Versions[%d]", m.Versions[i])
		}
		e.bool(m.Last)
	case core.TransferAck:
		e.head(typeTransferAck)
		e.uvarint(m.Op)
		e.index("Next", m.Next)
	case core.AERoots:
		e.head(typeAERoots)
		e.uvarint(m.Op)
		e.uvarint(m.Epoch)
		if len(m.Ranges) != len(m.Roots) {
			e.fail("Roots", "%d roots for %d ranges", len(m.Roots), len(m.Ranges))
			return
		}
		e.uvarint(uint64(len(m.Ranges)))
		for i, r := range m.Ranges {
			e.uvarint(uint64(r))
			e.hash(m.Roots[i])
		}
	case core.AENodes:
		e.head(typeAENodes)
		e.uvarint(m.Op)
		e.uvarint(m.Epoch)
		e.index("Level", m.Level)
		e.uvarint(uint64(len(m.Items)))
		for i, it := range m.Items {
			e.i = i
			e.uvarint(uint64(it.Range))
			e.index("Items[%d].Index", it.Index)
			e.uvarint(uint64(len(it.Hashes)))
			for _, h := range it.Hashes {
				e.hash(h)
			}
		}
	case core.AEBuckets:
		e.head(typeAEBuckets)
		e.uvarint(m.Op)
		e.uvarint(m.Epoch)
		e.uvarint(uint64(len(m.Items)))
		for i, it := range m.Items {
			e.i = i
			e.uvarint(uint64(it.Range))
			e.index("Items[%d].Index", it.Index)
			e.uvarint(uint64(len(it.Keys)))
			for _, k := range it.Keys {
				e.string(k.Key)
				e.hash(k.Digest)
			}
		}
	case core.AEPull:
		e.head(typeAEPull)
		e.uvarint(uint64(len(m.Keys)))
		for _, k := range m.Keys {
			e.string(k)
		}
	default:
		e.err = fmt.Errorf("%w: unsupported message type %T (messages travel by value)", ErrUnencodable, m)
	}
}

const (
	putDurable byte = 1 << iota
	putHinted
	putKnownFlags = putDurable | putHinted
)

// ---------------------------------------------------------------------------
// Decoding

// DecodeMessage decodes one message that fills b exactly. The result shares
// no memory with b, so b may be reused. Empty strings, byte slices and lists
// decode as "" and nil.
func DecodeMessage(b []byte) (core.Message, error) {
	return decodeWhole(b, "", (*decoder).message)
}

// decodeWhole reads one value with read and requires that it use every byte.
// msg names what is read, for errors ("" when read names it itself).
func decodeWhole[T any](b []byte, msg string, read func(*decoder) T) (T, error) {
	d := decoder{b: b, msg: msg}
	v := read(&d)
	if d.err == nil && d.rest() != 0 {
		d.fail("", "%d trailing bytes", d.rest())
	}
	if d.err != nil {
		var zero T
		return zero, d.err
	}
	return v, nil
}

// decoder reads fields in order and keeps the first error; every read after
// an error is a no-op, so that decoding code reads as a list of fields.
type decoder struct {
	b   []byte
	off int
	err error
	msg string // message type, once known
	// The list elements being read; fields name them with %d verbs that
	// fail fills in, so that the happy path formats nothing.
	i, j int
}

func (d *decoder) fail(field, format string, args ...any) {
	if d.err != nil {
		return
	}
	what := d.msg
	switch field = fillIndexes(field, d.i, d.j); {
	case what == "" && field == "":
		what = "message"
	case what == "":
		what = field
	case field != "":
		what += "." + field
	}
	d.err = fmt.Errorf("%w at byte %d: %s: %s", ErrMalformed, d.off, what, fmt.Sprintf(format, args...))
}

func (d *decoder) rest() int { return len(d.b) - d.off }

func (d *decoder) byte(field string) byte {
	if d.err != nil {
		return 0
	}
	if d.rest() < 1 {
		d.fail(field, "input ends")
		return 0
	}
	x := d.b[d.off]
	d.off++
	return x
}

func (d *decoder) uvarint(field string) uint64 {
	if d.err != nil {
		return 0
	}
	x, n, err := wire.Uvarint(d.b[d.off:])
	if err != nil {
		d.fail(field, "%v", err)
		return 0
	}
	d.off += n
	return x
}

func (d *decoder) varint(field string) int64 {
	if d.err != nil {
		return 0
	}
	x, n, err := wire.Varint(d.b[d.off:])
	if err != nil {
		d.fail(field, "%v", err)
		return 0
	}
	d.off += n
	return x
}

// bounded reads a uvarint no greater than limit.
func (d *decoder) bounded(field string, limit uint64) uint64 {
	start := d.off
	x := d.uvarint(field)
	if d.err == nil && x > limit {
		d.off = start
		d.fail(field, "%d exceeds the maximum %d", x, limit)
		return 0
	}
	return x
}

func (d *decoder) index(field string) int { return int(d.bounded(field, math.MaxInt)) }
func (d *decoder) u32(field string) uint32 {
	return uint32(d.bounded(field, math.MaxUint32))
}
func (d *decoder) nodeID(field string) core.NodeID {
	return core.NodeID(d.bounded(field, uint64(^core.NodeID(0))))
}

func (d *decoder) int(field string) int {
	start := d.off
	x := d.varint(field)
	if d.err == nil && (x < math.MinInt || x > math.MaxInt) {
		d.off = start
		d.fail(field, "%d does not fit an int", x)
		return 0
	}
	return int(x)
}

func (d *decoder) bool(field string) bool {
	start := d.off
	x := d.byte(field)
	if d.err == nil && x > 1 {
		d.off = start
		d.fail(field, "boolean byte %#x, want 0 or 1", x)
	}
	return x == 1
}

// count reads a list length and refuses one that the remaining input could
// not hold at minSize bytes per element.
func (d *decoder) count(field string, minSize int) int {
	start := d.off
	x := d.uvarint(field)
	if d.err != nil {
		return 0
	}
	if rest := d.rest(); x > uint64(rest/minSize) {
		d.off = start
		d.fail(field, "count %d exceeds the %d that the remaining %d bytes can hold", x, rest/minSize, rest)
		return 0
	}
	return int(x)
}

func (d *decoder) raw(field string) []byte {
	start := d.off
	n := d.uvarint(field)
	if d.err != nil {
		return nil
	}
	if rest := d.rest(); n > uint64(rest) {
		d.off = start
		d.fail(field, "length %d exceeds the %d remaining bytes", n, rest)
		return nil
	}
	s := d.b[d.off : d.off+int(n)]
	d.off += int(n)
	return s
}

func (d *decoder) string(field string) string { return string(d.raw(field)) }

func (d *decoder) boundedString(field string, limit int) string {
	start := d.off
	s := d.raw(field)
	if d.err == nil && len(s) > limit {
		d.off = start
		d.fail(field, "length %d exceeds the limit of %d", len(s), limit)
		return ""
	}
	return string(s)
}

func (d *decoder) bytes(field string) []byte {
	s := d.raw(field)
	if len(s) == 0 {
		return nil
	}
	return append([]byte(nil), s...)
}

func (d *decoder) hash(field string) (h merkle.Hash) {
	if d.err != nil {
		return h
	}
	if d.rest() < len(h) {
		d.fail(field, "hash needs %d bytes, %d remain", len(h), d.rest())
		return h
	}
	copy(h[:], d.b[d.off:])
	d.off += len(h)
	return h
}

func (d *decoder) versions(field string) []core.Version {
	if d.err != nil {
		return nil
	}
	vs, n, err := causality.DecodeVersions(d.b[d.off:])
	if err != nil {
		d.fail(field, "%v", err)
		return nil
	}
	d.off += n
	return vs
}

func (d *decoder) result() core.Result {
	var r core.Result
	start := d.off
	code := d.byte("Result.Err code")
	switch {
	case d.err != nil:
	case code == errCodeNone:
	case code > errCodeOther:
		d.off = start
		d.fail("Result.Err code", "unknown error code %d", code)
	default:
		text := d.string("Result.Err text")
		if s := sentinelOf(code); s != nil && text == s.Error() {
			r.Err = s // the bare sentinel, so that == comparisons work too
		} else {
			r.Err = &RemoteError{Sentinel: s, Text: text}
		}
	}
	n := d.count("Result.Siblings count", minSiblingSize)
	if n > 0 {
		r.Siblings = make([]core.Sibling, n)
	}
	for i := 0; i < n && d.err == nil; i++ {
		d.i = i
		r.Siblings[i].Deleted = d.bool("Result.Siblings[%d].Deleted")
		r.Siblings[i].Value = d.bytes("Result.Siblings[%d].Value")
	}
	r.Context = d.bytes("Result.Context")
	r.Coordinator = d.nodeID("Result.Coordinator")
	return r
}

func (d *decoder) op() core.Op {
	var o core.Op
	start := d.off
	k := core.OpKind(d.byte("Req.Kind"))
	if d.err == nil && (k < core.OpGet || k > core.OpLeave) {
		d.off = start
		d.fail("Req.Kind", "unknown op kind %d", k)
	}
	o.Kind = k
	o.Key = d.string("Req.Key")
	o.Value = d.bytes("Req.Value")
	o.Context = d.bytes("Req.Context")
	o.R = d.int("Req.R")
	o.W = d.int("Req.W")
	return o
}

func (d *decoder) membership() *core.Membership {
	m := &core.Membership{}
	m.Params.Strategy = ring.Strategy(d.bounded("Table.Params.Strategy", math.MaxInt32))
	m.Params.T = int(d.bounded("Table.Params.T", math.MaxInt32))
	m.Params.Q = int(d.bounded("Table.Params.Q", math.MaxInt32))
	n := d.count("Table.Members count", minMemberSize)
	if n > 0 {
		m.Members = make([]core.Member, 0, n)
	}
	for i := 0; i < n && d.err == nil; i++ {
		d.i = i
		start := d.off
		x := core.Member{ID: d.nodeID("Table.Members[%d].ID")}
		statusAt := d.off
		x.Status = core.MemberStatus(d.byte("Table.Members[%d].Status"))
		x.Version = d.uvarint("Table.Members[%d].Version")
		x.Addr = d.boundedString("Table.Members[%d].Addr", core.MaxAddrBytes)
		x.HTTPAddr = d.boundedString("Table.Members[%d].HTTPAddr", core.MaxAddrBytes)
		if d.err != nil {
			break
		}
		if x.Status < core.StatusJoined || x.Status > core.StatusLeft {
			d.off = statusAt
			d.fail("Table.Members[%d].Status", "unknown status %d", x.Status)
		} else if i > 0 && x.ID <= m.Members[i-1].ID {
			d.off = start
			d.fail("Table.Members[%d].ID", "member %d does not follow member %d (sorted by id, without duplicates)", x.ID, m.Members[i-1].ID)
		}
		m.Members = append(m.Members, x)
	}
	n = d.count("Table.Tokens count", minTokenSize)
	if n > 0 {
		m.Tokens = make([]core.TokenEntry, 0, n)
	}
	for i := 0; i < n && d.err == nil; i++ {
		d.i = i
		start := d.off
		h := d.hash("Table.Tokens[%d].Token")
		t := core.TokenEntry{Token: ring.Token{Hi: binary.BigEndian.Uint64(h[:8]), Lo: binary.BigEndian.Uint64(h[8:])}}
		t.Owner = d.nodeID("Table.Tokens[%d].Owner")
		t.Removed = d.bool("Table.Tokens[%d].Removed")
		t.Version = d.uvarint("Table.Tokens[%d].Version")
		if d.err == nil && i > 0 && t.Token.Compare(m.Tokens[i-1].Token) <= 0 {
			d.off = start
			d.fail("Table.Tokens[%d].Token", "token does not follow the one before (sorted, without duplicates)")
		}
		m.Tokens = append(m.Tokens, t)
	}
	return m
}

func (d *decoder) message() core.Message {
	f := d.byte("format")
	if d.err == nil && f != FormatV1 {
		d.off--
		d.fail("format", "unsupported format byte %#x (this version reads %#x)", f, FormatV1)
	}
	t := d.byte("type")
	if d.err != nil {
		return nil
	}
	if int(t) >= len(typeNames) || typeNames[t] == "" {
		d.off--
		d.fail("type", "unknown message type %d", t)
		return nil
	}
	d.msg = typeNames[t]
	switch t {
	case typeGetReq:
		var m core.GetReq
		m.Op = d.uvarint("Op")
		m.Key = d.string("Key")
		return m
	case typeGetResp:
		var m core.GetResp
		m.Op = d.uvarint("Op")
		m.Key = d.string("Key")
		m.Versions = d.versions("Versions")
		return m
	case typePutReq:
		var m core.PutReq
		m.Op = d.uvarint("Op")
		m.Key = d.string("Key")
		m.Versions = d.versions("Versions")
		start := d.off
		flags := d.byte("flags")
		if d.err == nil && flags&^putKnownFlags != 0 {
			d.off = start
			d.fail("flags", "unknown flags %#x", flags&^putKnownFlags)
		}
		m.Durable = flags&putDurable != 0
		m.Hinted = flags&putHinted != 0
		m.Hint = d.nodeID("Hint")
		return m
	case typePutAck:
		return core.PutAck{Op: d.uvarint("Op")}
	case typeForward:
		var m core.Forward
		m.Op = d.uvarint("Op")
		m.Req = d.op()
		return m
	case typeForwardReply:
		var m core.ForwardReply
		m.Op = d.uvarint("Op")
		m.Result = d.result()
		return m
	case typePing:
		return core.Ping{}
	case typePong:
		return core.Pong{}
	case typeHandoffReq:
		var m core.HandoffReq
		m.Op = d.uvarint("Op")
		m.Key = d.string("Key")
		m.Versions = d.versions("Versions")
		return m
	case typeHandoffAck:
		return core.HandoffAck{Op: d.uvarint("Op")}
	case typeGossip:
		return core.Gossip{Table: d.membership()}
	case typeGossipReply:
		return core.GossipReply{Table: d.membership()}
	case typeTransferOffer:
		var m core.TransferOffer
		m.Op = d.uvarint("Op")
		m.Epoch = d.uvarint("Epoch")
		m.Range = d.u32("Range")
		return m
	case typeTransferReply:
		var m core.TransferReply
		m.Op = d.uvarint("Op")
		start := d.off
		m.Status = core.TransferStatus(d.byte("Status"))
		if d.err == nil && (m.Status < core.TransferAccepted || m.Status > core.TransferNotYet) {
			d.off = start
			d.fail("Status", "unknown transfer status %d", m.Status)
		}
		return m
	case typeTransferData:
		var m core.TransferData
		m.Op = d.uvarint("Op")
		m.Epoch = d.uvarint("Epoch")
		m.Range = d.u32("Range")
		m.Offset = d.index("Offset")
		n := d.count("Keys count", minTransferItem)
		if n > 0 {
			m.Keys = make([]string, n)
			m.Versions = make([][]core.Version, n)
		}
		for i := 0; i < n && d.err == nil; i++ {
			d.i = i
			m.Keys[i] = d.string("Keys[%d]")
			m.Versions[i] = d.versions("Versions[%d]")
		}
		m.Last = d.bool("Last")
		return m
	case typeTransferAck:
		var m core.TransferAck
		m.Op = d.uvarint("Op")
		m.Next = d.index("Next")
		return m
	case typeAERoots:
		var m core.AERoots
		m.Op = d.uvarint("Op")
		m.Epoch = d.uvarint("Epoch")
		n := d.count("Ranges count", minRootSize)
		if n > 0 {
			m.Ranges = make([]uint32, n)
			m.Roots = make([]merkle.Hash, n)
		}
		for i := 0; i < n && d.err == nil; i++ {
			d.i = i
			m.Ranges[i] = d.u32("Ranges[%d]")
			m.Roots[i] = d.hash("Roots[%d]")
		}
		return m
	case typeAENodes:
		var m core.AENodes
		m.Op = d.uvarint("Op")
		m.Epoch = d.uvarint("Epoch")
		m.Level = d.index("Level")
		n := d.count("Items count", minAENodeSize)
		if n > 0 {
			m.Items = make([]core.AENode, n)
		}
		for i := 0; i < n && d.err == nil; i++ {
			d.i = i
			it := &m.Items[i]
			it.Range = d.u32("Items[%d].Range")
			it.Index = d.index("Items[%d].Index")
			k := d.count("Items[%d].Hashes count", minHashSize)
			if k > 0 {
				it.Hashes = make([]merkle.Hash, k)
			}
			for j := 0; j < k && d.err == nil; j++ {
				d.j = j
				it.Hashes[j] = d.hash("Items[%d].Hashes[%d]")
			}
		}
		return m
	case typeAEBuckets:
		var m core.AEBuckets
		m.Op = d.uvarint("Op")
		m.Epoch = d.uvarint("Epoch")
		n := d.count("Items count", minAEBucketSize)
		if n > 0 {
			m.Items = make([]core.AEBucket, n)
		}
		for i := 0; i < n && d.err == nil; i++ {
			d.i = i
			it := &m.Items[i]
			it.Range = d.u32("Items[%d].Range")
			it.Index = d.index("Items[%d].Index")
			k := d.count("Items[%d].Keys count", minDigestSize)
			if k > 0 {
				it.Keys = make([]merkle.KeyDigest, k)
			}
			for j := 0; j < k && d.err == nil; j++ {
				d.j = j
				it.Keys[j].Key = d.string("Items[%d].Keys[%d].Key")
				it.Keys[j].Digest = d.hash("Items[%d].Keys[%d].Digest")
			}
		}
		return m
	case typeAEPull:
		var m core.AEPull
		n := d.count("Keys count", minStringSize)
		if n > 0 {
			m.Keys = make([]string, n)
		}
		for i := 0; i < n && d.err == nil; i++ {
			d.i = i
			m.Keys[i] = d.string("Keys[%d]")
		}
		return m
	}
	panic("unreachable: type table and switch disagree")
}

// fillIndexes replaces the %d verbs of a field name with i, then j.
func fillIndexes(field string, i, j int) string {
	switch strings.Count(field, "%d") {
	case 0:
		return field
	case 1:
		return fmt.Sprintf(field, i)
	}
	return fmt.Sprintf(field, i, j)
}
