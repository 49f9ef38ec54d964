package core

import (
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/dynamo-replay/dynamo/internal/wire"

	"github.com/dynamo-replay/dynamo/core/causality"
)

// contextFormat is the first byte of every encoded context, so that the format
// can change without misreading contexts that clients still hold.
const contextFormat = 1

// Context is what a client's opaque context bytes hold: the clock that covers
// every version the read returned, and the node that answered the read fastest,
// which should coordinate the next write (section 5).
type Context struct {
	Clock      causality.Clock
	Fastest    NodeID
	HasFastest bool
}

// EncodeContext returns the opaque bytes handed to clients.
func EncodeContext(c Context) []byte {
	b := make([]byte, 0, 8+16*len(c.Clock))
	b = append(b, contextFormat)
	if c.HasFastest {
		b = binary.AppendUvarint(b, uint64(c.Fastest)+1)
	} else {
		b = binary.AppendUvarint(b, 0)
	}
	return causality.AppendClock(b, c.Clock)
}

// DecodeContext parses context bytes from a client. Empty means no context (a
// blind write). Anything malformed is an error naming the problem.
func DecodeContext(b []byte) (Context, error) {
	if len(b) == 0 {
		return Context{}, nil
	}
	if b[0] != contextFormat {
		return Context{}, fmt.Errorf("context: unknown format %d", b[0])
	}
	rest := b[1:]
	f, k, err := wire.Uvarint(rest)
	switch {
	case errors.Is(err, wire.ErrTruncated):
		return Context{}, errors.New("context: truncated coordinator field")
	case errors.Is(err, wire.ErrOverflow):
		return Context{}, errors.New("context: coordinator field overflows 64 bits")
	case err != nil:
		return Context{}, errors.New("context: non-minimal encoding of the coordinator field")
	}
	if f > uint64(^NodeID(0))+1 {
		return Context{}, fmt.Errorf("context: coordinator %d out of range", f-1)
	}
	rest = rest[k:]
	clock, used, err := causality.DecodeClock(rest)
	if err != nil {
		return Context{}, fmt.Errorf("context: %w", err)
	}
	if used != len(rest) {
		return Context{}, fmt.Errorf("context: %d trailing bytes", len(rest)-used)
	}
	c := Context{Clock: clock}
	if f > 0 {
		c.Fastest, c.HasFastest = NodeID(f-1), true
	}
	return c, nil
}
