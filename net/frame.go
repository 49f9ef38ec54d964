package net

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/dynamo-replay/dynamo/core"
)

// A frame is a 4-byte big-endian payload length, then the payload. Every
// reader has a maximum payload size: a frame that declares more is an error,
// and the connection it came on must be closed, since the stream cannot be
// resynchronised without reading the oversized payload.

// FrameHeaderSize is the length prefix of every frame.
const FrameHeaderSize = 4

// DefaultMaxFrame is the default largest payload a transport sends or
// accepts: 8 MiB, room for a transfer batch of many keys or a 1 MiB value
// with its siblings, small enough that a forged length costs little.
const DefaultMaxFrame = 8 << 20

// maxFrameLimit is the largest MaxFrame a transport accepts.
const maxFrameLimit = 1 << 30

// ErrFrameTooLarge is returned, wrapped, for a frame longer than the limit.
var ErrFrameTooLarge = errors.New("net: frame too large")

// readChunk bounds how much ReadFrame allocates ahead of the bytes that have
// actually arrived, so that a forged length near the limit followed by
// silence costs little memory.
const readChunk = 64 << 10

// ReadFrame reads one frame from r and returns its payload, in buf's memory
// when it is large enough (the payload is valid until the next call with the
// same buf). A clean end of stream before the first header byte returns
// io.EOF itself; a stream that ends inside a frame returns an error wrapping
// io.ErrUnexpectedEOF; a declared length over limit returns an error wrapping
// ErrFrameTooLarge without reading the payload.
func ReadFrame(r *bufio.Reader, buf []byte, limit int) ([]byte, error) {
	var hdr [FrameHeaderSize]byte
	if n, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) && n == 0 {
			return nil, io.EOF
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("net: stream ends inside a frame header, after %d of %d bytes: %w", n, FrameHeaderSize, err)
		}
		return nil, fmt.Errorf("net: reading frame header: %w", err)
	}
	size := binary.BigEndian.Uint32(hdr[:])
	if uint64(size) > uint64(limit) {
		return nil, fmt.Errorf("%w: length %d exceeds the limit of %d bytes", ErrFrameTooLarge, size, limit)
	}
	n := int(size)
	buf = buf[:0]
	for len(buf) < n {
		// Grow by at most what has arrived so far (or one chunk), then fill.
		have := len(buf)
		want := min(n, max(2*have, readChunk))
		if cap(buf) < want {
			buf = append(buf[:cap(buf)], make([]byte, want-cap(buf))...)
		}
		got, err := io.ReadFull(r, buf[have:want])
		buf = buf[:have+got]
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("net: frame of %d bytes cut short after %d: %w", n, len(buf), err)
		}
	}
	return buf, nil
}

// WriteFrame writes payload as one frame to w, without flushing. A payload
// over limit is an error, and nothing is written.
func WriteFrame(w *bufio.Writer, payload []byte, limit int) error {
	if len(payload) > limit {
		return fmt.Errorf("%w: payload of %d bytes exceeds the limit of %d", ErrFrameTooLarge, len(payload), limit)
	}
	var hdr [FrameHeaderSize]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(len(payload)))
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	_, err := w.Write(payload)
	return err
}

// AppendFrame appends payload as one frame to dst.
func AppendFrame(dst, payload []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(payload)))
	return append(dst, payload...)
}

// AppendMessageFrame appends m as one frame to dst, encoding it in place. A
// message whose encoding exceeds limit is an error wrapping ErrFrameTooLarge;
// on any error dst is returned unchanged.
func AppendMessageFrame(dst []byte, m core.Message, limit int) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst, err := AppendMessage(dst, m)
	if err != nil {
		return dst[:start], err
	}
	size := len(dst) - start - FrameHeaderSize
	if size > limit {
		return dst[:start], fmt.Errorf("%w: %T encodes to %d bytes, over the limit of %d", ErrFrameTooLarge, m, size, limit)
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(size))
	return dst, nil
}
