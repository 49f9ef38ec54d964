package core

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/dynamo-replay/dynamo/core/causality"
)

func genClock(t *rapid.T) causality.Clock {
	var c causality.Clock
	actor := uint64(0)
	for range rapid.IntRange(0, 6).Draw(t, "entries") {
		actor += rapid.Uint64Range(1, 1<<40).Draw(t, "actor step")
		c = append(c, causality.Entry{
			Actor:   causality.Actor(actor),
			Counter: rapid.Uint64Range(1, 1<<62).Draw(t, "counter"),
			Wall:    rapid.Int64().Draw(t, "wall"),
		})
	}
	return c
}

func TestContextRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := Context{Clock: genClock(t)}
		if rapid.Bool().Draw(t, "has fastest") {
			c.Fastest, c.HasFastest = NodeID(rapid.Uint16().Draw(t, "fastest")), true
		}
		b := EncodeContext(c)
		require.Equal(t, byte(1), b[0], "format byte")
		got, err := DecodeContext(b)
		require.NoError(t, err)
		require.Equal(t, c, got)
		require.Equal(t, b, EncodeContext(got))
	})
}

func TestContextEmptyIsBlind(t *testing.T) {
	for _, b := range [][]byte{nil, {}} {
		c, err := DecodeContext(b)
		require.NoError(t, err)
		require.Equal(t, Context{}, c)
	}
	// Node 0 is a real id, distinct from "no fastest node".
	c, err := DecodeContext(EncodeContext(Context{Fastest: 0, HasFastest: true}))
	require.NoError(t, err)
	require.True(t, c.HasFastest)
}

// TestDecodeContextIsCanonical: context bytes come from clients, and like the
// causality codecs the decoder should accept only what EncodeContext makes.
// The coordinator field is read with binary.Uvarint, which accepts
// non-minimal encodings: 01 80 00 01 00 decodes to the same context as
// 01 00 01 00.
func TestDecodeContextIsCanonical(t *testing.T) {
	for _, b := range [][]byte{
		{1, 0x80, 0x00, 1, 0},       // no fastest node, as two bytes
		{1, 0x82, 0x80, 0x00, 1, 0}, // fastest node 1, as three bytes
	} {
		c, err := DecodeContext(b)
		require.Error(t, err, "decoded %x as %+v", b, c)
		require.Contains(t, err.Error(), "non-minimal")
	}
}

// FuzzDecodeContext: DecodeContext never panics on client bytes, and what it
// accepts re-encodes to exactly the same bytes.
func FuzzDecodeContext(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Add([]byte{1, 0, 1, 0})
	f.Add([]byte{1, 0x80, 0x00, 1, 0})
	f.Add([]byte{2, 0, 1, 0})
	f.Add([]byte{1, 0, 1, 0, 0})
	f.Add([]byte{1, 0xff, 0xff, 0x04, 1, 0})
	f.Add(EncodeContext(Context{Fastest: 3, HasFastest: true}))
	f.Add(EncodeContext(Context{Fastest: 65535, HasFastest: true, Clock: causality.Clock{
		{Actor: 1<<32 | 1, Counter: 3, Wall: -5},
		{Actor: 2<<32 | 7, Counter: 1 << 40, Wall: 1_700_000_000_000_000_000},
	}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeContext(b)
		if err != nil {
			if c.HasFastest || c.Clock != nil {
				t.Fatalf("error %v with a non-zero context %+v", err, c)
			}
			return
		}
		if len(b) == 0 {
			return // no context: a blind write
		}
		if c.Clock.Validate() != nil {
			t.Fatalf("decoded a non-canonical clock %v from %x", c.Clock, b)
		}
		if again := EncodeContext(c); !bytes.Equal(again, b) {
			t.Fatalf("%x decodes to %+v, which encodes to %x", b, c, again)
		}
	})
}
