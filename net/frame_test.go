package net

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dynamo-replay/dynamo/core"
)

func reader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }

func TestFrameRoundTrip(t *testing.T) {
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	payloads := [][]byte{{}, []byte("x"), bytes.Repeat([]byte("ab"), 100_000)} // the last spans several read chunks
	for _, p := range payloads {
		require.NoError(t, WriteFrame(w, p, 1<<20))
	}
	require.NoError(t, w.Flush())
	require.Equal(t, out.Bytes(), AppendFrame(AppendFrame(AppendFrame(nil, payloads[0]), payloads[1]), payloads[2]))

	r := reader(out.Bytes())
	var buf []byte
	for _, want := range payloads {
		got, err := ReadFrame(r, buf, 1<<20)
		require.NoError(t, err)
		require.Equal(t, len(want), len(got))
		require.True(t, bytes.Equal(want, got))
		buf = got
	}
	_, err := ReadFrame(r, buf, 1<<20)
	require.Equal(t, io.EOF, err, "a clean end is io.EOF itself")
}

func TestFrameSizeLimit(t *testing.T) {
	// Reading: a declared length over the limit fails before the payload is read.
	b := AppendFrame(nil, make([]byte, 101))
	_, err := ReadFrame(reader(b), nil, 100)
	require.ErrorIs(t, err, ErrFrameTooLarge)
	require.Contains(t, err.Error(), "length 101 exceeds the limit of 100 bytes")
	got, err := ReadFrame(reader(b), nil, 101)
	require.NoError(t, err)
	require.Len(t, got, 101)

	// A forged length is refused without waiting for (or allocating) the payload.
	_, err = ReadFrame(reader([]byte{0xff, 0xff, 0xff, 0xff}), nil, DefaultMaxFrame)
	require.ErrorIs(t, err, ErrFrameTooLarge)
	require.Contains(t, err.Error(), "length 4294967295 exceeds the limit of 8388608 bytes")

	// Writing.
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	err = WriteFrame(w, make([]byte, 11), 10)
	require.ErrorIs(t, err, ErrFrameTooLarge)
	require.NoError(t, w.Flush())
	require.Zero(t, out.Len(), "nothing is written")

	// Encoding a message straight into a frame.
	m := core.GetReq{Op: 1, Key: strings.Repeat("k", 200)}
	dst, err := AppendMessageFrame([]byte("keep"), m, 100)
	require.ErrorIs(t, err, ErrFrameTooLarge)
	require.Contains(t, err.Error(), "core.GetReq encodes to 205 bytes, over the limit of 100")
	require.Equal(t, "keep", string(dst))
	dst, err = AppendMessageFrame([]byte("keep"), m, 205)
	require.NoError(t, err)
	payload, err := ReadFrame(reader(dst[4:]), nil, 205)
	require.NoError(t, err)
	back, err := DecodeMessage(payload)
	require.NoError(t, err)
	require.Equal(t, m, back)
	_, err = AppendMessageFrame(nil, core.Gossip{}, 100)
	require.ErrorIs(t, err, ErrUnencodable)
}

func TestFrameTruncated(t *testing.T) {
	whole := AppendFrame(nil, []byte("hello, world"))
	for cut := 1; cut < len(whole); cut++ {
		_, err := ReadFrame(reader(whole[:cut]), nil, 100)
		require.ErrorIs(t, err, io.ErrUnexpectedEOF, "cut at %d", cut)
		if cut < FrameHeaderSize {
			require.Contains(t, err.Error(), "inside a frame header")
		} else {
			require.Contains(t, err.Error(), "frame of 12 bytes cut short")
		}
	}
	// A large frame cut short after several chunks still reports it.
	big := AppendFrame(nil, make([]byte, 3*readChunk))
	_, err := ReadFrame(reader(big[:len(big)-1]), nil, 4*readChunk)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.Contains(t, err.Error(), "cut short after 196607")
}

func TestReadFrameOtherErrors(t *testing.T) {
	boom := errors.New("boom")
	r := bufio.NewReader(io.MultiReader(bytes.NewReader([]byte{0, 0, 0, 9, 1}), errReader{boom}))
	_, err := ReadFrame(r, nil, 100)
	require.ErrorIs(t, err, boom)
	require.NotErrorIs(t, err, io.ErrUnexpectedEOF)
	_, err = ReadFrame(bufio.NewReader(errReader{boom}), nil, 100)
	require.ErrorIs(t, err, boom)
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// FuzzReadFrame reads frames from arbitrary bytes until an error. It must
// never panic; every frame it returns must be within the limit and re-frame
// to exactly the bytes it consumed; it must stop only on a clean end, a cut
// frame or an oversized one. Each payload is also fed to the handshake and
// message decoders, which must refuse it or give back the same bytes.
//
// The committed corpus is in testdata/fuzz/FuzzReadFrame; `go test` runs it.
func FuzzReadFrame(f *testing.F) {
	hello := appendHandshake(nil, handshake{kind: kindHello, version: ProtocolVersion, cluster: "prod", node: 3})
	f.Add([]byte{})
	f.Add(AppendFrame(nil, hello))
	f.Add(AppendFrame(AppendFrame(nil, appendHandshake(nil, handshake{kind: kindWelcome, version: ProtocolVersion, node: 7})), []byte{FormatV1, typePing}))
	f.Add(AppendFrame(nil, appendHandshake(nil, handshake{kind: kindRefusal, version: 9, reason: "cluster \"a\" is not this node's cluster \"b\""})))
	f.Add([]byte{0, 0, 1, 0, 1})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	for _, m := range sampleMessages()[:4] {
		b, err := AppendMessageFrame(nil, m, DefaultMaxFrame)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	const limit = 1 << 10
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReader(bytes.NewReader(data))
		var reframed, buf []byte
		for {
			payload, err := ReadFrame(r, buf, limit)
			if err != nil {
				switch {
				case err == io.EOF:
					if !bytes.Equal(reframed, data) {
						t.Fatalf("clean end after %d bytes of %d", len(reframed), len(data))
					}
				case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, ErrFrameTooLarge):
					if !bytes.HasPrefix(data, reframed) || len(reframed) >= len(data) {
						t.Fatalf("frames read re-frame to %x, not a strict prefix of %x", reframed, data)
					}
				default:
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if len(payload) > limit {
				t.Fatalf("payload of %d bytes over the limit %d", len(payload), limit)
			}
			reframed = AppendFrame(reframed, payload)
			if !bytes.HasPrefix(data, reframed) {
				t.Fatalf("frames re-frame to %x, not a prefix of the input", reframed)
			}
			checkHandshakeCanonical(t, payload)
			if m, err := DecodeMessage(payload); err == nil {
				again, err := AppendMessage(nil, m)
				if err != nil || !bytes.Equal(again, payload) {
					t.Fatalf("message %#v from %x re-encodes to %x, %v", m, payload, again, err)
				}
			} else if !errors.Is(err, ErrMalformed) {
				t.Fatalf("DecodeMessage error %v does not wrap ErrMalformed", err)
			}
			buf = payload
		}
	})
}

func checkHandshakeCanonical(t *testing.T, payload []byte) {
	h, err := decodeHandshake(payload)
	if err != nil {
		if !errors.Is(err, errHandshake) {
			t.Fatalf("decodeHandshake error %v does not wrap errHandshake", err)
		}
		return
	}
	if h.version != ProtocolVersion && h.kind != kindRefusal {
		return // decoded only as far as the version, to be refused
	}
	if again := appendHandshake(nil, h); !bytes.Equal(again, payload) {
		t.Fatalf("handshake %+v from %x re-encodes to %x", h, payload, again)
	}
}

// FuzzDecodeMessage feeds arbitrary bytes to DecodeMessage: it must never
// panic, every error must wrap ErrMalformed, and whatever it accepts must
// re-encode to exactly the input (the codec is canonical).
//
// The committed corpus is in testdata/fuzz/FuzzDecodeMessage; `go test` runs it.
func FuzzDecodeMessage(f *testing.F) {
	for _, m := range sampleMessages() {
		b, err := AppendMessage(nil, m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeMessage(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) || m != nil {
				t.Fatalf("DecodeMessage gave %#v, %v", m, err)
			}
			return
		}
		again, err := AppendMessage(nil, m)
		if err != nil {
			t.Fatalf("decoded %#v does not re-encode: %v", m, err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("decoded %#v from %x, re-encodes to %x", m, data, again)
		}
	})
}
