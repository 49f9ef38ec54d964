package net

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dynamo-replay/dynamo/core"
)

// Every test listens and dials on 127.0.0.1 only.

type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (l *logSink) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logSink) contains(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}

// testConfig has short timeouts and backoff, so that tests run quickly.
func testConfig(cluster string, self core.NodeID) Config {
	return Config{
		Cluster: cluster, Self: self,
		DialTimeout: time.Second, HandshakeTimeout: time.Second, WriteTimeout: time.Second,
		BackoffMin: 5 * time.Millisecond, BackoffMax: 50 * time.Millisecond,
	}
}

func start(t *testing.T, cfg Config) *Transport {
	t.Helper()
	tr, err := ListenConfig("127.0.0.1:0", cfg)
	require.NoError(t, err)
	t.Cleanup(func() { tr.Close() })
	return tr
}

func recv(t *testing.T, tr *Transport, within time.Duration) Inbound {
	t.Helper()
	select {
	case in, ok := <-tr.Inbound():
		require.True(t, ok, "Inbound closed")
		return in
	case <-time.After(within):
		t.Fatalf("node %d received nothing within %v; stats %+v", tr.Self(), within, tr.Stats())
	}
	panic("unreachable")
}

func requireNothing(t *testing.T, tr *Transport, within time.Duration) {
	t.Helper()
	select {
	case in := <-tr.Inbound():
		t.Fatalf("node %d received %#v from node %d", tr.Self(), in.Msg, in.From)
	case <-time.After(within):
	}
}

// eventually polls cond; what describes the state on failure.
func eventually(t *testing.T, within time.Duration, cond func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// deadAddr is a loopback address nobody listens on.
func deadAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func TestExchangeBothWays(t *testing.T) {
	a, b := start(t, testConfig("prod", 1)), start(t, testConfig("prod", 2))
	a.SetPeer(2, b.Addr().String())
	b.SetPeer(1, a.Addr().String())
	msgs := sampleMessages()
	for _, m := range msgs {
		a.Send(2, m)
		b.Send(1, m)
	}
	for _, m := range msgs {
		in := recv(t, b, 5*time.Second)
		require.Equal(t, core.NodeID(1), in.From)
		requireSameMessage(t, m, in.Msg)
		in = recv(t, a, 5*time.Second)
		require.Equal(t, core.NodeID(2), in.From)
		requireSameMessage(t, m, in.Msg)
	}
	for _, pair := range [][2]*Transport{{a, b}, {b, a}} {
		from, to := pair[0], pair[1]
		eventually(t, time.Second, func() bool { return from.Stats().FramesSent == uint64(len(msgs)) }, func() string { return "frames sent" })
		fs, ts := from.Stats(), to.Stats()
		require.Equal(t, fs.FramesSent, ts.FramesRecv)
		require.Equal(t, fs.BytesSent, ts.BytesRecv)
		require.Zero(t, fs.Drops)
		require.Equal(t, uint64(1), fs.Connects)
		require.Zero(t, fs.Reconnects)
		require.Equal(t, uint64(1), ts.Accepted)
	}
}

func TestManyMessagesArriveInOrder(t *testing.T) {
	cfg := testConfig("prod", 1)
	cfg.QueueLen = 20_000
	a, b := start(t, cfg), start(t, testConfig("prod", 2))
	a.SetPeer(2, b.Addr().String())
	const n = 20_000
	go func() {
		for i := range n {
			a.Send(2, core.PutAck{Op: uint64(i)})
		}
	}()
	for i := range n {
		in := recv(t, b, 5*time.Second)
		require.Equal(t, core.PutAck{Op: uint64(i)}, in.Msg)
	}
	require.Zero(t, a.Stats().Drops)
}

func TestHandshake(t *testing.T) {
	type result struct {
		from core.NodeID
		err  error
	}
	run := func(dial func(r *bufio.Reader, w *bufio.Writer) error, cluster string, self core.NodeID) (error, result) {
		c1, c2 := net.Pipe()
		defer c1.Close()
		done := make(chan result, 1)
		go func() {
			defer c2.Close()
			from, err := acceptHandshake(bufio.NewReader(c2), bufio.NewWriter(c2), cluster, self)
			done <- result{from.node, err}
		}()
		err := dial(bufio.NewReader(c1), bufio.NewWriter(c1))
		return err, <-done
	}
	dialer := func(cluster string, self, want core.NodeID) func(*bufio.Reader, *bufio.Writer) error {
		return func(r *bufio.Reader, w *bufio.Writer) error { return dialHandshake(r, w, cluster, self, want, "") }
	}
	// raw sends payload as the hello and returns the acceptor's reason.
	raw := func(payload []byte) func(*bufio.Reader, *bufio.Writer) error {
		return func(r *bufio.Reader, w *bufio.Writer) error {
			if err := WriteFrame(w, payload, 1<<20); err != nil {
				return err
			}
			if err := w.Flush(); err != nil {
				return err
			}
			h, err := readHandshake(r)
			if err != nil {
				return err
			}
			if h.kind != kindRefusal {
				return fmt.Errorf("answer of kind %d", h.kind)
			}
			return fmt.Errorf("%w: %s", ErrRefused, h.reason)
		}
	}

	t.Run("welcome", func(t *testing.T) {
		err, acc := run(dialer("prod", 1, 2), "prod", 2)
		require.NoError(t, err)
		require.NoError(t, acc.err)
		require.Equal(t, core.NodeID(1), acc.from)
	})
	for _, tc := range []struct {
		name   string
		dial   func(*bufio.Reader, *bufio.Writer) error
		reason string
	}{
		{"other cluster", dialer("staging", 1, 2), `cluster "staging" is not this node's cluster "prod"`},
		{"own id", dialer("prod", 2, 2), "node id 2 is this node's own id"},
		{"other protocol version", raw(appendHandshake(nil, handshake{kind: kindHello, version: 2})), "protocol version 2, this node speaks 1"},
		{"welcome instead of hello", raw(appendHandshake(nil, handshake{kind: kindWelcome, version: ProtocolVersion, node: 5})), "expected a hello, got handshake kind 2"},
		{"not a dynamo peer", raw([]byte("GET / HTTP/1.1\r\n")), `not a dynamo handshake (no "DYNW" magic)`},
		{"unknown kind", raw(append([]byte(handshakeMagic), ProtocolVersion, 9)), "unknown handshake kind 9"},
		{"trailing bytes", raw(append(appendHandshake(nil, handshake{kind: kindHello, version: ProtocolVersion, cluster: "prod", node: 1}), 0)), "1 trailing bytes"},
		{"cluster name too long", raw(appendHandshake(nil, handshake{kind: kindHello, version: ProtocolVersion, cluster: strings.Repeat("c", 256)})), "256 bytes, over the limit of 255"},
		{"huge hello", raw(make([]byte, maxHandshakeFrame+1)), "frame too large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err, acc := run(tc.dial, "prod", 2)
			require.ErrorIs(t, err, ErrRefused)
			require.Contains(t, err.Error(), tc.reason)
			var ref *refusal
			require.ErrorAs(t, acc.err, &ref)
			require.Contains(t, ref.reason, tc.reason)
		})
	}
	t.Run("wrong node at the address", func(t *testing.T) {
		err, acc := run(dialer("prod", 1, 3), "prod", 2)
		require.ErrorIs(t, err, errHandshake)
		require.Contains(t, err.Error(), "the address answers as node 2, not node 3")
		require.NoError(t, acc.err)
	})
	t.Run("refusal from another version is still read", func(t *testing.T) {
		c1, c2 := net.Pipe()
		defer c1.Close()
		go func() {
			defer c2.Close()
			r := bufio.NewReader(c2)
			if _, err := readHandshake(r); err != nil {
				return
			}
			_ = writeHandshake(bufio.NewWriter(c2), handshake{kind: kindRefusal, version: 7, reason: "too old"})
		}()
		err := dialHandshake(bufio.NewReader(c1), bufio.NewWriter(c1), "prod", 1, 2, "")
		require.ErrorIs(t, err, ErrRefused)
		require.Contains(t, err.Error(), "too old")
	})
}

func TestOtherClusterIsRefused(t *testing.T) {
	var alog, blog logSink
	ac, bc := testConfig("alpha", 1), testConfig("beta", 2)
	ac.Logf, bc.Logf = alog.logf, blog.logf
	a, b := start(t, ac), start(t, bc)
	a.SetPeer(2, b.Addr().String())
	a.Send(2, core.Ping{})
	eventually(t, 5*time.Second, func() bool { return b.Stats().Refused >= 2 && a.Stats().DialFailures >= 2 }, func() string { return fmt.Sprintf("refusals (a %+v, b %+v)", a.Stats(), b.Stats()) })
	requireNothing(t, b, 50*time.Millisecond)
	const reason = `cluster "alpha" is not this node's cluster "beta"`
	require.True(t, alog.contains("handshake refused: "+reason), "dialer's log: %q", alog.lines)
	require.True(t, blog.contains(reason), "acceptor's log: %q", blog.lines)
	require.Zero(t, a.Stats().Connects)
	require.Zero(t, b.Stats().Accepted)
}

func TestWrongNodeAtAddress(t *testing.T) {
	var alog logSink
	ac := testConfig("prod", 1)
	ac.Logf = alog.logf
	a, b := start(t, ac), start(t, testConfig("prod", 2))
	a.SetPeer(3, b.Addr().String())
	a.Send(3, core.Ping{})
	eventually(t, 5*time.Second, func() bool { return alog.contains("answers as node 2, not node 3") }, func() string { return fmt.Sprintf("log %q", alog.lines) })
	requireNothing(t, b, 20*time.Millisecond)
}

func TestPeerComesBack(t *testing.T) {
	ac := testConfig("prod", 1)
	ac.Logf = t.Logf
	a := start(t, ac)
	b, err := ListenConfig("127.0.0.1:0", testConfig("prod", 2))
	require.NoError(t, err)
	addr := b.Addr().String()
	a.SetPeer(2, addr)
	a.Send(2, core.PutAck{Op: 1})
	require.Equal(t, core.PutAck{Op: 1}, recv(t, b, 5*time.Second).Msg)

	require.NoError(t, b.Close())
	// The writer notices at once, by reading the connection's other
	// direction. (A message sent in between would be written into the dead
	// socket and lost: TCP accepts writes until the peer's reset arrives.)
	eventually(t, 5*time.Second, func() bool { return a.Stats().Disconnects == 1 }, func() string { return fmt.Sprintf("%+v", a.Stats()) })
	// While the peer is down, sends are queued (then dropped when the queue
	// fills); dials fail and back off.
	for i := range 10 {
		a.Send(2, core.PutAck{Op: uint64(100 + i)})
	}
	eventually(t, 5*time.Second, func() bool { return a.Stats().DialFailures >= 2 }, func() string { return fmt.Sprintf("dial failures: %+v", a.Stats()) })

	var b2 *Transport
	eventually(t, 5*time.Second, func() bool {
		b2, err = ListenConfig(addr, testConfig("prod", 2))
		return err == nil
	}, func() string { return fmt.Sprintf("listening again on %s: %v", addr, err) })
	t.Cleanup(func() { b2.Close() })

	// The writer redials on its own and delivers what was queued in order,
	// then new traffic.
	for i := range 10 {
		require.Equal(t, core.PutAck{Op: uint64(100 + i)}, recv(t, b2, 5*time.Second).Msg)
	}
	a.Send(2, core.PutAck{Op: 2})
	require.Equal(t, core.PutAck{Op: 2}, recv(t, b2, 5*time.Second).Msg)
	s := a.Stats()
	require.Equal(t, uint64(2), s.Connects)
	require.Equal(t, uint64(1), s.Reconnects)
}

func TestSendNeverBlocksOnADeadPeer(t *testing.T) {
	cfg := testConfig("prod", 1)
	cfg.QueueLen = 16
	a := start(t, cfg)
	a.SetPeer(2, deadAddr(t))
	const n = 10_000
	began := time.Now()
	for i := range n {
		a.Send(2, core.PutAck{Op: uint64(i)})
	}
	elapsed := time.Since(began)
	require.Less(t, elapsed, 2*time.Second, "%d sends to a dead peer", n)
	s := a.Stats()
	// At most QueueLen queued and one held by the writer between dials.
	require.GreaterOrEqual(t, s.DropsFull, uint64(n-cfg.QueueLen-1))
	require.Equal(t, s.Drops, s.DropsFull)
	eventually(t, 5*time.Second, func() bool { return a.Stats().DialFailures >= 3 }, func() string { return fmt.Sprintf("dial failures: %+v", a.Stats()) })
}

// A peer that completes the handshake and then never reads: the socket
// buffers fill, the writer blocks, the queue fills, and Send still returns
// at once.
func TestSendNeverBlocksOnAStalledPeer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = acceptHandshake(bufio.NewReader(c), bufio.NewWriter(c), "prod", 2)
		<-stop
	}()
	cfg := testConfig("prod", 1)
	cfg.QueueLen = 64
	cfg.WriteTimeout = time.Minute
	a := start(t, cfg)
	a.SetPeer(2, ln.Addr().String())
	big := core.GetReq{Key: strings.Repeat("k", 64<<10)}
	began := time.Now()
	for range 2_000 { // 128 MiB: far more than loopback buffers hold
		a.Send(2, big)
	}
	require.Less(t, time.Since(began), 5*time.Second)
	require.Greater(t, a.Stats().DropsFull, uint64(0))
}

func TestSendAccounting(t *testing.T) {
	var log logSink
	cfg := testConfig("prod", 1)
	cfg.MaxFrame = 100
	cfg.Logf = log.logf
	a, b := start(t, cfg), start(t, testConfig("prod", 2))
	a.SetPeer(1, b.Addr().String()) // its own id: ignored
	a.Send(1, core.Ping{})
	a.Send(9, core.Ping{}) // unknown peer
	a.SetPeer(2, b.Addr().String())
	a.Send(2, core.TransferData{Keys: []string{"a"}})     // unencodable
	a.Send(2, core.GetReq{Key: strings.Repeat("k", 200)}) // over MaxFrame
	a.Send(2, &core.Ping{})                               // a pointer
	a.Send(2, core.Pong{})
	require.Equal(t, core.Pong{}, recv(t, b, 5*time.Second).Msg)
	s := a.Stats()
	require.Equal(t, uint64(2), s.DropsNoRoute)
	require.Equal(t, uint64(3), s.DropsUnencodable)
	require.Equal(t, uint64(5), s.Drops)
	require.True(t, log.contains("0 sibling sets for 1 keys"))
	require.True(t, log.contains("over the limit of 100"))

	a.SetPeer(2, "") // forgotten: unroutable again
	a.Send(2, core.Ping{})
	require.Equal(t, uint64(3), a.Stats().DropsNoRoute)

	require.NoError(t, a.Close())
	a.Send(2, core.Ping{})
	require.Equal(t, uint64(1), a.Stats().DropsClosed)
	_, ok := <-a.Inbound()
	require.False(t, ok, "Inbound is closed after Close")
	require.NoError(t, a.Close(), "Close twice")
}

func TestSetPeerMovesTraffic(t *testing.T) {
	a, b, c := start(t, testConfig("prod", 1)), start(t, testConfig("prod", 2)), start(t, testConfig("prod", 2))
	a.SetPeer(2, b.Addr().String())
	a.Send(2, core.PutAck{Op: 1})
	require.Equal(t, core.PutAck{Op: 1}, recv(t, b, 5*time.Second).Msg)
	a.SetPeer(2, c.Addr().String())
	eventually(t, 5*time.Second, func() bool {
		a.Send(2, core.PutAck{Op: 2})
		select {
		case in := <-c.Inbound():
			return in.Msg == core.PutAck{Op: 2}
		case <-time.After(10 * time.Millisecond):
			return false
		}
	}, func() string { return "traffic moves to the new address" })
}

// rawPeer dials tr and completes the handshake as node self.
func rawPeer(t *testing.T, tr *Transport, self core.NodeID) (net.Conn, *bufio.Writer) {
	c, err := net.Dial("tcp", tr.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	w := bufio.NewWriter(c)
	require.NoError(t, dialHandshake(bufio.NewReader(c), w, tr.cfg.Cluster, self, tr.Self(), ""))
	return c, w
}

func TestInboundBadInput(t *testing.T) {
	var log logSink
	cfg := testConfig("prod", 2)
	cfg.MaxFrame = 1024
	cfg.Logf = log.logf
	b := start(t, cfg)

	// A frame that does not decode is dropped; the connection stays up.
	c, w := rawPeer(t, b, 7)
	require.NoError(t, WriteFrame(w, []byte{FormatV1, 99}, 1024))
	ping, err := AppendMessage(nil, core.Ping{})
	require.NoError(t, err)
	require.NoError(t, WriteFrame(w, ping, 1024))
	require.NoError(t, w.Flush())
	in := recv(t, b, 5*time.Second)
	require.Equal(t, Inbound{From: 7, Msg: core.Ping{}}, in)
	require.Equal(t, uint64(1), b.Stats().BadMessages)
	require.True(t, log.contains("dropped a message from node 7: net: malformed message at byte 1: type: unknown message type 99"), "%q", log.lines)

	// An oversized frame closes the connection.
	_, err = w.Write([]byte{0, 0, 4, 1}) // 1025 bytes
	require.NoError(t, err)
	require.NoError(t, w.Flush())
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = c.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF, "the transport closes the connection")
	require.Equal(t, uint64(1), b.Stats().ReadErrors)
	require.True(t, log.contains("length 1025 exceeds the limit of 1024 bytes"))

	// A dialer that never finishes its hello is cut off after HandshakeTimeout.
	c2, err := net.Dial("tcp", b.Addr().String())
	require.NoError(t, err)
	defer c2.Close()
	_, err = c2.Write([]byte{0, 0})
	require.NoError(t, err)
	c2.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = c2.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF)
}

func TestConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "Cluster is empty"},
		{Config{Cluster: strings.Repeat("c", 256)}, "256 bytes, over the limit of 255"},
		{Config{Cluster: "c", MaxFrame: 10}, "MaxFrame = 10"},
		{Config{Cluster: "c", MaxFrame: 2 << 30}, "MaxFrame = 2147483648"},
		{Config{Cluster: "c", QueueLen: -1}, "QueueLen = -1"},
		{Config{Cluster: "c", BackoffMin: time.Second, BackoffMax: time.Millisecond}, "BackoffMin = 1s, BackoffMax = 1ms"},
		{Config{Cluster: "c", WriteTimeout: -1}, "negative timeout"},
	} {
		_, err := ListenConfig("127.0.0.1:0", tc.cfg)
		require.ErrorContains(t, err, tc.want)
	}
	d := DefaultConfig("c", 1)
	require.Equal(t, DefaultMaxFrame, d.MaxFrame)
	require.NoError(t, d.validate())
	tr, err := Listen("127.0.0.1:0", "c", 1)
	require.NoError(t, err)
	require.Equal(t, d.MaxFrame, tr.cfg.MaxFrame)
	require.NoError(t, tr.Close())
	_, err = Listen("127.0.0.1:-1", "c", 1)
	require.Error(t, err)
}

// Close must stop every goroutine the transports started: writers in
// backoff, writers blocked on a stalled socket, readers blocked on a full
// Inbound, watchers, accept loops.
func TestCloseStopsEveryGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()

	stalled, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	stalledDone, stopStalled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stalledDone)
		c, err := stalled.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = acceptHandshake(bufio.NewReader(c), bufio.NewWriter(c), "prod", 4)
		<-stopStalled // never read
	}()

	ac := testConfig("prod", 1)
	ac.WriteTimeout = time.Minute
	bc := testConfig("prod", 2)
	bc.InboundLen = 1 // and nobody reads it
	a, err := ListenConfig("127.0.0.1:0", ac)
	require.NoError(t, err)
	b, err := ListenConfig("127.0.0.1:0", bc)
	require.NoError(t, err)
	a.SetPeer(2, b.Addr().String())
	b.SetPeer(1, a.Addr().String())
	a.SetPeer(3, deadAddr(t))
	a.SetPeer(4, stalled.Addr().String())
	big := core.GetReq{Key: strings.Repeat("k", 64<<10)}
	for range 300 {
		a.Send(2, core.Ping{})
		a.Send(3, core.Ping{})
		a.Send(4, big)
		b.Send(1, core.Pong{})
	}
	eventually(t, 5*time.Second, func() bool {
		s := a.Stats()
		return s.Connects >= 2 && s.DialFailures >= 1 && b.Stats().Accepted >= 1
	}, func() string { return fmt.Sprintf("connections up: %+v", a.Stats()) })
	require.Greater(t, runtime.NumGoroutine(), before+5)

	closed := make(chan struct{})
	go func() {
		a.Close()
		b.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	close(stopStalled)
	stalled.Close()
	<-stalledDone

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines before, %d after Close:\n%s", before, runtime.NumGoroutine(), buf)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// BenchmarkTransport measures one-way throughput of PutReqs between two
// transports on loopback, sender and receiver sharing the machine.
func BenchmarkTransport(b *testing.B) {
	cfg := testConfig("bench", 1)
	cfg.QueueLen = 1 << 16
	a, err := ListenConfig("127.0.0.1:0", cfg)
	require.NoError(b, err)
	defer a.Close()
	r, err := ListenConfig("127.0.0.1:0", testConfig("bench", 2))
	require.NoError(b, err)
	defer r.Close()
	a.SetPeer(2, r.Addr().String())
	m := benchPutReq()
	b.ReportAllocs()
	b.ResetTimer()
	received := 0
	for i := 0; i < b.N; i++ {
		a.Send(2, m)
		// Drain as we go so that the bounded queue never overflows.
		for received < i-1000 {
			<-r.Inbound()
			received++
		}
	}
	for received+int(a.Stats().Drops) < b.N {
		<-r.Inbound()
		received++
	}
}

// A node that is not yet a member (a joiner) is known to its seed only by
// its hello: the seed must be able to answer it.
func TestAcceptorLearnsTheDialersAddress(t *testing.T) {
	seed, joiner := start(t, testConfig("c", 1)), start(t, testConfig("c", 9))
	joiner.SetPeer(1, seed.Addr().String())
	joiner.Send(1, core.Gossip{Table: &core.Membership{}})
	got := recv(t, seed, 5*time.Second)
	require.Equal(t, core.NodeID(9), got.From)
	seed.Send(9, core.GossipReply{Table: &core.Membership{}})
	back := recv(t, joiner, 5*time.Second)
	require.Equal(t, core.NodeID(1), back.From)
	require.IsType(t, core.GossipReply{}, back.Msg)
}

func TestProbeNamesTheNodeAtAnAddress(t *testing.T) {
	tr := start(t, testConfig("c", 4))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	id, err := Probe(ctx, tr.Addr().String(), "c", 9)
	require.NoError(t, err)
	require.Equal(t, core.NodeID(4), id)
	_, err = Probe(ctx, tr.Addr().String(), "other", 9)
	require.ErrorIs(t, err, ErrRefused)
	require.ErrorContains(t, err, `cluster "other"`)
	_, err = Probe(ctx, deadAddr(t), "c", 9)
	require.Error(t, err)
}
