package net

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dynamo-replay/dynamo/core"
)

// Transport moves core messages between the nodes of one cluster over TCP.
//
// Each node dials every peer it sends to and accepts connections from the
// peers that send to it, so a pair of nodes that talk both ways holds two
// connections, each carrying messages one way. Per peer, messages are
// delivered in Send order while a connection lasts; across reconnects they may
// be lost (never reordered within one connection, never duplicated by the
// transport). The core tolerates loss, so the transport drops rather than
// blocks: Send never waits, and a message that finds its peer's queue full,
// its peer unknown, or its connection broken is dropped and counted.
//
// Goroutines: one accept loop; per known peer, one writer that dials with
// backoff and drains the peer's queue; per outbound connection, one watcher
// that notices the peer closing it; per inbound connection, one reader that
// decodes frames and delivers them to Inbound. Close stops them all.
type Transport struct {
	cfg Config
	ln  net.Listener

	ctx    context.Context // cancelled by Close, for dials
	cancel context.CancelFunc
	done   chan struct{} // closed by Close
	closed atomic.Bool

	inbound chan Inbound

	mu        sync.RWMutex
	peers     map[core.NodeID]*peer
	conns     map[net.Conn]struct{} // every open connection, both ways, for Close
	closing   bool                  // under mu: no new goroutine or connection may start
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error

	stats counters
}

// Inbound is a message received from a peer that passed the handshake.
type Inbound struct {
	From core.NodeID
	Msg  core.Message
}

// Config configures a Transport. Zero values take the defaults.
type Config struct {
	// Cluster names the cluster. Dialers from another cluster are refused
	// with a refusal frame naming both names, so that two clusters sharing
	// a network (or a test reusing a port) can never exchange data.
	// Required, at most MaxClusterName bytes.
	Cluster string
	// Self is this node's id, sent in every handshake. Dialers claiming it
	// are refused.
	Self core.NodeID
	// MaxFrame is the largest message, in bytes, this transport sends or
	// accepts. Default DefaultMaxFrame (8 MiB). A peer that sends a larger
	// frame has its connection closed; a larger outgoing message is
	// dropped and counted as unencodable. Every node of a cluster should
	// use the same value.
	MaxFrame int
	// QueueLen bounds each peer's outbound queue, in messages. Default
	// 1024: about a second of a busy peer's traffic, so that a peer that
	// restarts quickly loses nothing, while a dead peer costs a bounded
	// amount of memory.
	QueueLen int
	// InboundLen is the capacity of the Inbound channel. Default 1024. When
	// it is full, readers wait, and TCP pushes back on the senders, whose
	// queues then overflow and drop.
	InboundLen int
	// DialTimeout bounds one TCP dial. Default 2s.
	DialTimeout time.Duration
	// HandshakeTimeout bounds the handshake, either side. Default 5s.
	HandshakeTimeout time.Duration
	// WriteTimeout bounds writing one batch of frames to a peer; a peer that
	// stops reading for longer has its connection closed and redialled.
	// Default 10s.
	WriteTimeout time.Duration
	// BackoffMin and BackoffMax bound the wait between failed dials to a
	// peer: it starts at BackoffMin and doubles up to BackoffMax, and each
	// wait is drawn uniformly from [d/2, d) so that the nodes of a cluster
	// that lost a peer at once do not redial it in lockstep. A connection
	// that lasted BackoffMax or longer resets the backoff, so a peer that
	// restarts after a long healthy run is redialled at once. Defaults
	// 50ms and 5s.
	BackoffMin, BackoffMax time.Duration
	// Advertise is the address this node's hello tells acceptors to dial
	// back, for peers that know no address for it yet. Default: the
	// listener's address unless it is a wildcard (0.0.0.0, [::]), which
	// another host could not dial.
	Advertise string
	// Logf, when set, receives connection events and dropped input
	// (refusals, dial failures, malformed frames). It must be safe for
	// concurrent use.
	Logf func(format string, args ...any)
}

// DefaultConfig returns the defaults for a node of cluster with id self.
func DefaultConfig(cluster string, self core.NodeID) Config {
	c := Config{Cluster: cluster, Self: self}
	c.setDefaults()
	return c
}

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if c.MaxFrame == 0 {
		c.MaxFrame = DefaultMaxFrame
	}
	if c.QueueLen == 0 {
		c.QueueLen = 1024
	}
	if c.InboundLen == 0 {
		c.InboundLen = 1024
	}
	def(&c.DialTimeout, 2*time.Second)
	def(&c.HandshakeTimeout, 5*time.Second)
	def(&c.WriteTimeout, 10*time.Second)
	def(&c.BackoffMin, 50*time.Millisecond)
	def(&c.BackoffMax, 5*time.Second)
}

func (c *Config) validate() error {
	switch {
	case c.Cluster == "":
		return errors.New("net: Config.Cluster is empty")
	case len(c.Cluster) > MaxClusterName:
		return fmt.Errorf("net: Config.Cluster is %d bytes, over the limit of %d", len(c.Cluster), MaxClusterName)
	case c.MaxFrame < 64 || c.MaxFrame > maxFrameLimit:
		return fmt.Errorf("net: Config.MaxFrame = %d, want 64 to %d bytes", c.MaxFrame, maxFrameLimit)
	case c.QueueLen < 1 || c.InboundLen < 1:
		return fmt.Errorf("net: Config.QueueLen = %d, InboundLen = %d, want positive", c.QueueLen, c.InboundLen)
	case c.DialTimeout < 0 || c.HandshakeTimeout < 0 || c.WriteTimeout < 0:
		return errors.New("net: negative timeout in Config")
	case c.BackoffMin <= 0 || c.BackoffMax < c.BackoffMin:
		return fmt.Errorf("net: Config.BackoffMin = %v, BackoffMax = %v, want 0 < min <= max", c.BackoffMin, c.BackoffMax)
	}
	return nil
}

// Listen starts a transport with the default configuration, listening on
// addr ("127.0.0.1:0" picks a free port; see Addr).
func Listen(addr, cluster string, self core.NodeID) (*Transport, error) {
	return ListenConfig(addr, Config{Cluster: cluster, Self: self})
}

// ListenConfig starts a transport listening on addr.
func ListenConfig(addr string, cfg Config) (*Transport, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("net: node %d: %w", cfg.Self, err)
	}
	if cfg.Advertise == "" {
		if a, ok := ln.Addr().(*net.TCPAddr); ok && !a.IP.IsUnspecified() {
			cfg.Advertise = a.String()
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &Transport{
		cfg:     cfg,
		ln:      ln,
		ctx:     ctx,
		cancel:  cancel,
		done:    make(chan struct{}),
		inbound: make(chan Inbound, cfg.InboundLen),
		peers:   make(map[core.NodeID]*peer),
		conns:   make(map[net.Conn]struct{}),
	}
	t.wg.Add(1)
	go t.acceptLoop()
	return t, nil
}

// Addr is the address the transport listens on.
func (t *Transport) Addr() net.Addr { return t.ln.Addr() }

// Self is this node's id.
func (t *Transport) Self() core.NodeID { return t.cfg.Self }

// Inbound delivers messages from peers, in arrival order per connection. It
// is closed once Close has stopped every reader.
func (t *Transport) Inbound() <-chan Inbound { return t.inbound }

// SetPeer records where node id listens. A changed address takes effect at
// once: the connection to the old one is closed and the new one dialled. An
// empty address forgets the peer's address (sends to it are then dropped as
// unroutable). SetPeer for this node's own id is ignored: a node does not
// send to itself over TCP.
func (t *Transport) SetPeer(id core.NodeID, addr string) {
	if id == t.cfg.Self {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closing {
		return
	}
	p := t.peers[id]
	if p == nil {
		p = &peer{t: t, id: id, queue: make(chan *[]byte, t.cfg.QueueLen), redial: make(chan struct{}, 1)}
		p.addr.Store(&addr)
		t.peers[id] = p
		t.wg.Add(1)
		go p.run()
		return
	}
	if *p.addr.Load() == addr {
		return
	}
	p.addr.Store(&addr)
	select {
	case p.redial <- struct{}{}:
	default:
	}
}

// learnPeer records addr for id if no address is known for it: a hello's
// address serves nodes that are not in the membership yet, while a known
// address comes from the membership table, which is versioned and so wins.
func (t *Transport) learnPeer(id core.NodeID, addr string) {
	t.mu.RLock()
	p := t.peers[id]
	t.mu.RUnlock()
	if p == nil || *p.addr.Load() == "" {
		t.SetPeer(id, addr)
	}
}

// Send queues m for node to, without ever blocking. The message is encoded
// before Send returns, so the caller may reuse whatever m refers to. It is
// dropped, and counted, when the peer's address is unknown, its queue is
// full, m cannot be encoded or exceeds MaxFrame, or the transport is closed.
func (t *Transport) Send(to core.NodeID, m core.Message) {
	if t.closed.Load() {
		t.stats.dropsClosed.Add(1)
		return
	}
	t.mu.RLock()
	p := t.peers[to]
	t.mu.RUnlock()
	if p == nil || *p.addr.Load() == "" {
		t.stats.dropsNoRoute.Add(1)
		return
	}
	bp := getFrameBuf()
	b, err := AppendMessageFrame((*bp)[:0], m, t.cfg.MaxFrame)
	if err != nil {
		putFrameBuf(bp)
		t.stats.dropsUnencodable.Add(1)
		t.logf("net: node %d: dropped a message to node %d: %v", t.cfg.Self, to, err)
		return
	}
	*bp = b
	select {
	case p.queue <- bp:
	default:
		putFrameBuf(bp)
		t.stats.dropsFull.Add(1)
	}
}

// Close stops accepting, closes every connection, stops every goroutine the
// transport started, waits for them, and then closes Inbound. Messages still
// queued are discarded. Close may be called more than once.
func (t *Transport) Close() error {
	t.closeOnce.Do(func() {
		t.mu.Lock()
		t.closing = true
		t.closed.Store(true)
		close(t.done)
		t.cancel()
		t.closeErr = t.ln.Close()
		for c := range t.conns {
			c.Close()
		}
		t.mu.Unlock()
		t.wg.Wait()
		close(t.inbound)
	})
	return t.closeErr
}

func (t *Transport) logf(format string, args ...any) {
	if t.cfg.Logf != nil {
		t.cfg.Logf(format, args...)
	}
}

// track registers an open connection so that Close can close it, and
// reports false, having closed c, when the transport is closing.
func (t *Transport) track(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closing {
		c.Close()
		return false
	}
	t.conns[c] = struct{}{}
	return true
}

func (t *Transport) untrack(c net.Conn) {
	c.Close()
	t.mu.Lock()
	delete(t.conns, c)
	t.mu.Unlock()
}

// ---------------------------------------------------------------------------
// Inbound side

func (t *Transport) acceptLoop() {
	defer t.wg.Done()
	for {
		c, err := t.ln.Accept()
		if err != nil {
			if t.closed.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors, or the like: wait a little rather
			// than spin.
			t.logf("net: node %d: accept: %v", t.cfg.Self, err)
			select {
			case <-time.After(50 * time.Millisecond):
			case <-t.done:
				return
			}
			continue
		}
		if !t.track(c) {
			continue
		}
		t.wg.Add(1) // this goroutine is counted, so Close's Wait cannot have returned
		go t.serve(c)
	}
}

// serve runs one inbound connection: the handshake, then frames until the
// connection ends.
func (t *Transport) serve(c net.Conn) {
	defer t.wg.Done()
	defer t.untrack(c)
	c.SetDeadline(time.Now().Add(t.cfg.HandshakeTimeout))
	r := bufio.NewReaderSize(c, 64<<10)
	hello, err := acceptHandshake(r, bufio.NewWriterSize(c, 256), t.cfg.Cluster, t.cfg.Self)
	from := hello.node
	if err != nil {
		if _, ok := err.(*refusal); ok {
			t.stats.refused.Add(1)
		}
		if !t.closed.Load() {
			t.logf("net: node %d: inbound connection from %s: %v", t.cfg.Self, c.RemoteAddr(), err)
		}
		return
	}
	c.SetDeadline(time.Time{})
	t.stats.accepted.Add(1)
	if hello.addr != "" {
		t.learnPeer(from, hello.addr)
	}
	var buf []byte
	for {
		payload, err := ReadFrame(r, buf, t.cfg.MaxFrame)
		if err != nil {
			if !errors.Is(err, io.EOF) && !t.closed.Load() {
				t.stats.readErrors.Add(1)
				t.logf("net: node %d: connection from node %d closed: %v", t.cfg.Self, from, err)
			}
			return
		}
		t.stats.framesRecv.Add(1)
		t.stats.bytesRecv.Add(uint64(FrameHeaderSize + len(payload)))
		buf = payload
		if cap(buf) > 1<<20 {
			buf = nil // do not keep a rare large frame's buffer for the connection's life
		}
		m, err := DecodeMessage(payload)
		if err != nil {
			t.stats.badMessages.Add(1)
			t.logf("net: node %d: dropped a message from node %d: %v", t.cfg.Self, from, err)
			continue
		}
		select {
		case t.inbound <- Inbound{From: from, Msg: m}:
		case <-t.done:
			return
		}
	}
}

// ---------------------------------------------------------------------------
// Outbound side

// peer is one destination: its address, its bounded queue of encoded frames,
// and the writer goroutine that owns the connection to it.
type peer struct {
	t      *Transport
	id     core.NodeID
	addr   atomic.Pointer[string]
	queue  chan *[]byte
	redial chan struct{} // the address changed

	connectedBefore bool // writer only
}

var (
	errRedial     = errors.New("address changed")
	errPeerClosed = errors.New("peer closed the connection")
	errClosed     = errors.New("transport closed")
)

// run dials lazily (only once there is something to send), writes, and
// redials with backoff when the connection fails.
func (p *peer) run() {
	t := p.t
	defer t.wg.Done()
	var pending *[]byte // taken from the queue, not yet written
	var backoff time.Duration
	for {
		if pending == nil {
			select {
			case pending = <-p.queue:
			case <-p.redial:
				backoff = 0
				continue
			case <-t.done:
				return
			}
		}
		if backoff > 0 {
			wait := backoff/2 + rand.N(backoff/2+1)
			timer := time.NewTimer(wait)
			select {
			case <-timer.C:
			case <-p.redial:
				timer.Stop()
				backoff = 0
			case <-t.done:
				timer.Stop()
				return
			}
		}
		addr := *p.addr.Load()
		if addr == "" {
			putFrameBuf(pending)
			pending = nil
			t.stats.dropsNoRoute.Add(1)
			continue
		}
		c, err := p.dial(addr)
		if err != nil {
			if t.closed.Load() {
				return
			}
			t.stats.dialFailures.Add(1)
			backoff = p.nextBackoff(backoff)
			t.logf("net: node %d: connecting to node %d at %s: %v (next try within %v)", t.cfg.Self, p.id, addr, err, backoff)
			continue
		}
		t.stats.connects.Add(1)
		if p.connectedBefore {
			t.stats.reconnects.Add(1)
		}
		p.connectedBefore = true
		began := time.Now()
		err = p.pump(c, &pending)
		c.close()
		t.stats.disconnects.Add(1)
		switch {
		case errors.Is(err, errClosed):
			return
		case errors.Is(err, errRedial):
			backoff = 0
		default:
			t.logf("net: node %d: connection to node %d at %s: %v", t.cfg.Self, p.id, addr, err)
			if time.Since(began) >= t.cfg.BackoffMax {
				backoff = 0
			} else {
				backoff = p.nextBackoff(backoff)
			}
		}
	}
}

func (p *peer) nextBackoff(d time.Duration) time.Duration {
	if d == 0 {
		return p.t.cfg.BackoffMin
	}
	return min(2*d, p.t.cfg.BackoffMax)
}

// outConn is an established outbound connection.
type outConn struct {
	t    *Transport
	conn net.Conn
	w    *bufio.Writer
	dead chan struct{} // closed by the watcher when the read side ends
}

func (c *outConn) close() {
	c.t.untrack(c.conn)
	<-c.dead // the watcher returns once the connection is closed
}

// dial connects to the peer and runs the handshake.
func (p *peer) dial(addr string) (*outConn, error) {
	t := p.t
	d := net.Dialer{Timeout: t.cfg.DialTimeout}
	conn, err := d.DialContext(t.ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if !t.track(conn) {
		return nil, errClosed
	}
	conn.SetDeadline(time.Now().Add(t.cfg.HandshakeTimeout))
	r := bufio.NewReaderSize(conn, 512)
	w := bufio.NewWriterSize(conn, 64<<10)
	if err := dialHandshake(r, w, t.cfg.Cluster, t.cfg.Self, p.id, t.cfg.Advertise); err != nil {
		t.untrack(conn)
		return nil, err
	}
	conn.SetDeadline(time.Time{})
	c := &outConn{t: t, conn: conn, w: w, dead: make(chan struct{})}
	t.wg.Add(1) // the writer calling dial is counted, so Close's Wait cannot have returned
	go c.watch(r)
	return c, nil
}

// watch reads the connection's inbound direction, which carries nothing after
// the welcome: it ends when the peer closes the connection (or crashes, or
// Close closes it), and tells the writer at once, so that the next message
// goes to a fresh connection rather than into a dead socket.
func (c *outConn) watch(r *bufio.Reader) {
	defer c.t.wg.Done()
	defer close(c.dead)
	if _, err := r.ReadByte(); err == nil {
		c.t.logf("net: node %d: unexpected data from a peer on an outbound connection; closing it", c.t.cfg.Self)
	}
	c.conn.Close()
}

// maxBatch bounds how many frames go out between flushes.
const maxBatch = 256

// pump writes *pending and then whatever the queue holds, flushing when the
// queue runs dry, until the connection fails or the writer must stop. A
// message taken from the queue but not yet written stays in *pending for the
// next connection.
func (p *peer) pump(c *outConn, pending **[]byte) error {
	t := p.t
	frames, bytes := 0, 0
	for {
		if *pending != nil {
			select {
			case <-c.dead:
				// Frames buffered but not flushed die with the connection.
				t.stats.dropsWrite.Add(uint64(frames))
				return errPeerClosed
			default:
			}
			if frames == 0 {
				c.conn.SetWriteDeadline(time.Now().Add(t.cfg.WriteTimeout))
			}
			b := *pending
			*pending = nil
			_, err := c.w.Write(*b)
			frames++
			bytes += len(*b)
			putFrameBuf(b)
			if err != nil {
				t.stats.dropsWrite.Add(uint64(frames))
				return err
			}
			if frames < maxBatch {
				select {
				case *pending = <-p.queue:
					continue
				default:
				}
			}
			if err := c.w.Flush(); err != nil {
				t.stats.dropsWrite.Add(uint64(frames))
				return err
			}
			t.stats.framesSent.Add(uint64(frames))
			t.stats.bytesSent.Add(uint64(bytes))
			frames, bytes = 0, 0
			if *pending != nil {
				continue
			}
		}
		select {
		case *pending = <-p.queue:
		case <-c.dead:
			return errPeerClosed
		case <-p.redial:
			return errRedial
		case <-t.done:
			return errClosed
		}
	}
}

// Frame buffers are pooled: Send encodes into one, the writer returns it.
var framePool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func getFrameBuf() *[]byte { return framePool.Get().(*[]byte) }

func putFrameBuf(b *[]byte) {
	if cap(*b) <= 64<<10 {
		framePool.Put(b)
	}
}

// ---------------------------------------------------------------------------
// Statistics

// Stats are cumulative counts since Listen.
type Stats struct {
	// Frames and bytes (headers included) written to and read from sockets.
	FramesSent, BytesSent uint64
	FramesRecv, BytesRecv uint64

	// Drops is the sum of the Drops* counts: messages given to Send that did
	// not reach a socket.
	Drops uint64
	// DropsFull: the peer's queue was full (a slow or dead peer).
	DropsFull uint64
	// DropsNoRoute: no address known for the peer.
	DropsNoRoute uint64
	// DropsUnencodable: the message could not be encoded or exceeded MaxFrame.
	DropsUnencodable uint64
	// DropsWrite: written into a connection that then failed.
	DropsWrite uint64
	// DropsClosed: sent after Close.
	DropsClosed uint64

	// Connects counts outbound connections established (handshake done);
	// Reconnects, those to a peer this transport had been connected to
	// before; Disconnects, those that ended (the peer closed or failed, a
	// write failed, the address changed, Close); DialFailures, dials and
	// handshakes that failed.
	Connects, Reconnects, Disconnects, DialFailures uint64

	// Accepted counts inbound connections that passed the handshake;
	// Refused, those refused (another cluster, another protocol version,
	// this node's own id, not a dynamo peer).
	Accepted, Refused uint64
	// BadMessages counts inbound frames that did not decode (dropped;
	// the connection stays up). ReadErrors counts inbound connections
	// closed on an error other than a clean end (an oversized frame, a
	// stream cut inside a frame).
	BadMessages, ReadErrors uint64
}

type counters struct {
	framesSent, bytesSent, framesRecv, bytesRecv                       atomic.Uint64
	dropsFull, dropsNoRoute, dropsUnencodable, dropsWrite, dropsClosed atomic.Uint64
	connects, reconnects, disconnects, dialFailures, accepted, refused atomic.Uint64
	badMessages, readErrors                                            atomic.Uint64
}

// Stats returns a snapshot of the counters.
func (t *Transport) Stats() Stats {
	c := &t.stats
	s := Stats{
		FramesSent: c.framesSent.Load(), BytesSent: c.bytesSent.Load(),
		FramesRecv: c.framesRecv.Load(), BytesRecv: c.bytesRecv.Load(),
		DropsFull: c.dropsFull.Load(), DropsNoRoute: c.dropsNoRoute.Load(),
		DropsUnencodable: c.dropsUnencodable.Load(), DropsWrite: c.dropsWrite.Load(),
		DropsClosed: c.dropsClosed.Load(),
		Connects:    c.connects.Load(), Reconnects: c.reconnects.Load(), Disconnects: c.disconnects.Load(),
		DialFailures: c.dialFailures.Load(),
		Accepted:     c.accepted.Load(), Refused: c.refused.Load(),
		BadMessages: c.badMessages.Load(), ReadErrors: c.readErrors.Load(),
	}
	s.Drops = s.DropsFull + s.DropsNoRoute + s.DropsUnencodable + s.DropsWrite + s.DropsClosed
	return s
}
