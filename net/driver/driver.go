package driver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/disk"
	"github.com/dynamo-replay/dynamo/net/httpapi"
)

// Driver runs one node. Do, Info and Close may be called from any goroutine.
type Driver struct {
	cfg  Config
	id   core.NodeID
	node *core.Node // owned by the loop goroutine

	requests chan request
	calls    chan func()
	mail     *mailbox
	stop     chan struct{}
	done     chan struct{} // closed when the loop has exited
	stopOnce sync.Once
	err      error // why the loop exited, read after done is closed

	// Owned by the loop goroutine.
	start      time.Time
	timer      *time.Timer
	nextReq    core.ReqID
	waiting    map[core.ReqID]chan core.Result
	selfq      []core.Message
	members    *core.Membership
	peerAddrs  map[core.NodeID]string
	sinceSnap  int // records appended since the last snapshot
	lastSnap   int // records the last snapshot held
	compacting bool
	fatal      error
	batch      []completion

	// last is the latest Info, kept for callers after the loop exited.
	lastMu sync.Mutex
	last   httpapi.Info
}

type request struct {
	op    core.Op
	reply chan core.Result // capacity 1
}

// Start builds the node from what the log recovered and starts its loop, which
// boots it.
func Start(cfg Config) (*Driver, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	d := &Driver{
		cfg:       cfg,
		id:        cfg.Core.ID,
		node:      core.New(cfg.Core, cfg.Recovered),
		requests:  make(chan request),
		calls:     make(chan func()),
		mail:      newMailbox(),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
		start:     time.Now(),
		waiting:   make(map[core.ReqID]chan core.Result),
		peerAddrs: make(map[core.NodeID]string),
	}
	// Recovery replayed the whole log: count it, so that a long log is
	// compacted soon after a restart rather than after another full run.
	// The records themselves are garbage now: the node holds its state.
	d.sinceSnap = len(cfg.Recovered.Records)
	d.cfg.Recovered = core.Recovered{}
	for id, addr := range cfg.Peers {
		d.setPeer(id, addr)
	}
	d.timer = time.NewTimer(time.Hour)
	d.timer.Stop()
	go d.run()
	return d, nil
}

// Do runs op on the node and waits for its result.
func (d *Driver) Do(ctx context.Context, op core.Op) (core.Result, error) {
	r := request{op: op, reply: make(chan core.Result, 1)}
	select {
	case d.requests <- r:
	case <-ctx.Done():
		return core.Result{}, ctx.Err()
	case <-d.done:
		return core.Result{}, ErrStopping
	}
	select {
	case res := <-r.reply:
		return res, nil
	case <-ctx.Done():
		return core.Result{}, ctx.Err()
	case <-d.done:
		return core.Result{}, ErrStopping
	}
}

// Info is a snapshot of the node, taken on its loop.
func (d *Driver) Info() httpapi.Info {
	got := make(chan httpapi.Info, 1)
	select {
	case d.calls <- func() { got <- d.info() }:
		return <-got
	case <-d.done:
		d.lastMu.Lock()
		defer d.lastMu.Unlock()
		return d.last
	}
}

// Done is closed when the loop has exited: after Close, or on a fatal log
// error (see Err).
func (d *Driver) Done() <-chan struct{} { return d.done }

// Err is why the loop exited, nil after a plain Close. Call it after Done.
func (d *Driver) Err() error {
	<-d.done
	return d.err
}

// Close stops the loop, then closes the log (which first writes what is
// queued) and the transport. Requests still waiting get ErrStopping.
func (d *Driver) Close() error {
	d.stopOnce.Do(func() { close(d.stop) })
	<-d.done
	return errors.Join(d.cfg.Log.Close(), d.cfg.Transport.Close())
}

func (d *Driver) run() {
	defer close(d.done)
	d.step(&core.Boot{})
	inbound := d.cfg.Transport.Inbound()
	for d.fatal == nil {
		// Messages to itself go round the loop, not the network.
		for len(d.selfq) > 0 && d.fatal == nil {
			m := d.selfq[0]
			d.selfq = d.selfq[1:]
			d.step(&core.Recv{From: d.id, Msg: m})
		}
		select {
		case in := <-inbound:
			d.step(&core.Recv{From: in.From, Msg: in.Msg})
		case r := <-d.requests:
			d.nextReq++
			d.waiting[d.nextReq] = r.reply
			d.step(&core.ClientRequest{ID: d.nextReq, Op: r.op})
		case <-d.mail.kick:
			d.completions()
		case <-d.timer.C:
			d.step(&core.Wakeup{})
		case f := <-d.calls:
			f()
		case <-d.stop:
			d.exit(nil)
			return
		}
		d.maybeCompact()
	}
	d.cfg.Logf("node %d: stopping: %v", d.id, d.fatal)
	d.exit(d.fatal)
}

func (d *Driver) exit(err error) {
	d.err = err
	info := d.info()
	d.lastMu.Lock()
	d.last = info
	d.lastMu.Unlock()
	d.timer.Stop()
}

// now reads the machine's clocks: the monotonic one (through time.Since,
// which Go guarantees never goes back) for timeouts, the wall one for
// version stamps.
func (d *Driver) now() core.Clock {
	return core.Clock{Mono: core.Time(time.Since(d.start)), Wall: core.Time(time.Now().UnixNano())}
}

func (d *Driver) step(ev core.Event) {
	effects := d.node.Step(core.Input{Now: d.now(), Event: ev})
	for _, e := range effects {
		d.carry(e)
	}
	if m := d.node.Membership(); m != d.members {
		d.members = m
		for _, mem := range m.Members {
			if mem.Addr != "" {
				d.setPeer(mem.ID, mem.Addr)
			}
		}
	}
}

func (d *Driver) setPeer(id core.NodeID, addr string) {
	if id == d.id || d.peerAddrs[id] == addr {
		return
	}
	d.peerAddrs[id] = addr
	d.cfg.Transport.SetPeer(id, addr)
}

func (d *Driver) carry(e core.Effect) {
	switch e := e.(type) {
	case *core.Send:
		if e.To == d.id {
			d.selfq = append(d.selfq, e.Msg)
			return
		}
		d.cfg.Transport.Send(e.To, e.Msg)
	case *core.Reply:
		if ch, ok := d.waiting[e.ID]; ok {
			delete(d.waiting, e.ID)
			ch <- e.Result // capacity 1, and each request is answered once
		}
	case *core.Persist:
		p := persist{token: e.Token, then: e.Then, notify: e.Notify}
		d.sinceSnap += len(e.Records)
		d.cfg.Log.Append(e.Records, func(err error) { d.mail.push(completion{persist: p, err: err}) })
	case *core.WakeAt:
		d.timer.Reset(time.Duration(e.At - d.now().Mono))
	default:
		panic(fmt.Sprintf("driver: node %d: unknown effect %T", d.id, e))
	}
}

// completions finishes the log writes and compactions that completed, in the
// order the log completed them (which is the order they were asked for).
func (d *Driver) completions() {
	batch := d.mail.take(d.batch)
	for i := range batch {
		c := batch[i]
		batch[i] = completion{}
		if c.compaction {
			d.compacted(c.err)
			continue
		}
		if c.err != nil {
			if errors.Is(c.err, disk.ErrLogFailed) || errors.Is(c.err, disk.ErrClosed) {
				// The disk no longer says what it holds: only a restart,
				// recovering from what it really holds, is safe.
				d.fatal = fmt.Errorf("node %d: %w", d.id, c.err)
			}
			if c.persist.notify {
				d.step(&core.PersistFailed{Token: c.persist.token, Err: c.err})
			}
			continue
		}
		for _, e := range c.persist.then {
			d.carry(e)
		}
		if c.persist.notify {
			d.step(&core.Persisted{Token: c.persist.token})
		}
	}
	d.batch = batch
}
