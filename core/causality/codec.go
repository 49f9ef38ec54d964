package causality

import (
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/dynamo-replay/dynamo/internal/wire"
)

// The encodings are used by the disk log, the wire and the opaque client
// context, so they are versioned by a leading format byte and strictly
// canonical: a decoder accepts exactly the bytes the encoder would produce
// (minimal varints, canonical clocks, no unknown flags). Re-encoding what was
// decoded gives back the same bytes, so digests of decoded data can be
// trusted and fuzzing has a sharp oracle.
//
//	clock:    format, body
//	versions: format, uvarint count, count × version
//	body:     uvarint count, count × (uvarint actor, uvarint counter, varint wall)
//	version:  uvarint actor, uvarint counter, varint wall, flags byte,
//	          clock body, uvarint len, len bytes of value
const formatV1 byte = 1

const (
	flagDeleted byte = 1 << iota
	knownFlags       = flagDeleted
)

// The fewest bytes an element can take; counts are checked against them
// before anything is allocated, so a forged count cannot make a decoder
// allocate more than a small multiple of its input.
const (
	minEntrySize   = 3 // actor, counter, wall
	minVersionSize = 6 // actor, counter, wall, flags, clock count, value length
)

// ErrMalformed wraps every decoding error, for errors.Is; the message says
// what was wrong and at which byte.
var ErrMalformed = errors.New("causality: malformed encoding")

// AppendClock appends c's encoding to dst.
func AppendClock(dst []byte, c Clock) []byte {
	return appendClockBody(append(dst, formatV1), c)
}

// AppendVersions appends the encoding of vs, in the given order, to dst.
func AppendVersions(dst []byte, vs []Version) []byte {
	dst = append(dst, formatV1)
	dst = binary.AppendUvarint(dst, uint64(len(vs)))
	for i := range vs {
		dst = appendVersion(dst, &vs[i])
	}
	return dst
}

func appendClockBody(dst []byte, c Clock) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(c)))
	for _, e := range c {
		dst = binary.AppendUvarint(dst, uint64(e.Actor))
		dst = binary.AppendUvarint(dst, e.Counter)
		dst = binary.AppendVarint(dst, e.Wall)
	}
	return dst
}

func appendVersion(dst []byte, v *Version) []byte {
	dst = binary.AppendUvarint(dst, uint64(v.Dot.Actor))
	dst = binary.AppendUvarint(dst, v.Dot.Counter)
	dst = binary.AppendVarint(dst, v.Wall)
	var flags byte
	if v.Deleted {
		flags |= flagDeleted
	}
	dst = append(dst, flags)
	dst = appendClockBody(dst, v.Clock)
	dst = binary.AppendUvarint(dst, uint64(len(v.Value)))
	return append(dst, v.Value...)
}

// DecodeClock decodes a clock from the start of b and reports how many bytes
// it used. An empty clock decodes as nil.
func DecodeClock(b []byte) (Clock, int, error) {
	d := newDecoder(b)
	d.format()
	c := d.clockBody()
	if d.err != nil {
		return nil, 0, d.err
	}
	return c, d.off, nil
}

// DecodeVersions decodes versions from the start of b and reports how many
// bytes it used. Values are copied out of b, so b may be reused; an empty
// Value or Clock decodes as nil. The order is kept as encoded: Merge
// canonicalises, and a log may legitimately hold non-canonical lists.
func DecodeVersions(b []byte) ([]Version, int, error) {
	d := newDecoder(b)
	d.format()
	n := d.count("version count", minVersionSize)
	var vs []Version
	if n > 0 {
		vs = make([]Version, 0, n)
	}
	for i := 0; i < n && d.err == nil; i++ {
		d.version = i
		vs = append(vs, d.readVersion())
	}
	if d.err != nil {
		return nil, 0, d.err
	}
	return vs, d.off, nil
}

// decoder keeps the first error and turns every later read into a no-op, so
// that decoding code reads straight through without a check after each field.
type decoder struct {
	b   []byte
	off int
	err error
	// The element being read, -1 outside one; only error messages use them,
	// so that the happy path formats nothing.
	version, entry int
}

func newDecoder(b []byte) decoder { return decoder{b: b, version: -1, entry: -1} }

func (d *decoder) fail(field, format string, args ...any) {
	if d.err != nil {
		return
	}
	where := ""
	if d.version >= 0 {
		where = fmt.Sprintf("version %d ", d.version)
	}
	if d.entry >= 0 {
		where += fmt.Sprintf("clock entry %d ", d.entry)
	}
	d.err = fmt.Errorf("%w at byte %d: %s%s: %s", ErrMalformed, d.off, where, field, fmt.Sprintf(format, args...))
}

func (d *decoder) rest() int { return len(d.b) - d.off }

func (d *decoder) format() {
	if d.err != nil {
		return
	}
	if d.rest() < 1 {
		d.fail("format", "empty input, want format byte %#x", formatV1)
		return
	}
	if f := d.b[d.off]; f != formatV1 {
		d.fail("format", "unsupported format byte %#x (this version reads %#x)", f, formatV1)
		return
	}
	d.off++
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

// count reads an element count and refuses one that the remaining input
// could not hold at minSize bytes per element.
func (d *decoder) count(field string, minSize int) int {
	x := d.uvarint(field)
	if d.err != nil {
		return 0
	}
	if limit := d.rest() / minSize; x > uint64(limit) {
		d.fail(field, "%d exceeds the %d that the remaining %d bytes can hold", x, limit, d.rest())
		return 0
	}
	return int(x)
}

func (d *decoder) clockBody() Clock {
	n := d.count("clock entry count", minEntrySize)
	if n == 0 {
		return nil
	}
	c := make(Clock, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		d.entry = i
		start := d.off
		e := Entry{Actor: Actor(d.uvarint("actor"))}
		e.Counter = d.uvarint("counter")
		e.Wall = d.varint("wall")
		if d.err != nil {
			break
		}
		if e.Counter == 0 {
			d.off = start
			d.fail("counter", "zero counter for actor %d", e.Actor)
		} else if i > 0 && e.Actor <= c[i-1].Actor {
			d.off = start
			d.fail("actor", "actor %d does not follow actor %d (clocks are sorted by actor, without duplicates)",
				e.Actor, c[i-1].Actor)
		}
		c = append(c, e)
	}
	d.entry = -1
	return c
}

func (d *decoder) readVersion() Version {
	var v Version
	v.Dot.Actor = Actor(d.uvarint("dot actor"))
	start := d.off
	v.Dot.Counter = d.uvarint("dot counter")
	if d.err == nil && v.Dot.Counter == 0 {
		d.off = start
		d.fail("dot counter", "zero counter")
	}
	v.Wall = d.varint("wall")
	if d.err == nil && d.rest() < 1 {
		d.fail("flags", "input ends")
	}
	if d.err == nil {
		flags := d.b[d.off]
		if flags&^knownFlags != 0 {
			d.fail("flags", "unknown flags %#x", flags&^knownFlags)
		} else {
			v.Deleted = flags&flagDeleted != 0
			d.off++
		}
	}
	v.Clock = d.clockBody()
	n := d.uvarint("value length")
	if d.err == nil && n > uint64(d.rest()) {
		d.fail("value length", "%d exceeds the %d remaining bytes", n, d.rest())
	}
	if d.err == nil && n > 0 {
		v.Value = append([]byte(nil), d.b[d.off:d.off+int(n)]...)
		d.off += int(n)
	}
	return v
}
