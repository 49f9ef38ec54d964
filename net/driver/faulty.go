package driver

import (
	"sync"
	"sync/atomic"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/net"
)

// Faulty wraps a Transport and drops every message to or from the peers it is
// told to block: a partition as this node sees it. Blocking the other side on
// every node of a cluster makes a clean partition; blocking on one side only
// makes a one-way one. Tests and `dynamo node --fault-injection` use it.
type Faulty struct {
	Transport
	in      chan net.Inbound
	stop    chan struct{}
	once    sync.Once
	mu      sync.RWMutex
	blocked map[core.NodeID]bool
	dropped atomic.Uint64
}

// NewFaulty wraps t; it starts one goroutine that filters t's inbound
// messages, stopped by Close.
func NewFaulty(t Transport) *Faulty {
	f := &Faulty{Transport: t, in: make(chan net.Inbound, cap(t.Inbound())), stop: make(chan struct{}), blocked: make(map[core.NodeID]bool)}
	go f.filter()
	return f
}

// Block drops traffic with ids, both ways, until Heal.
func (f *Faulty) Block(ids ...core.NodeID) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		f.blocked[id] = true
	}
}

// Heal ends every block.
func (f *Faulty) Heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.blocked)
}

// Blocked lists the blocked peers, in no particular order.
func (f *Faulty) Blocked() []core.NodeID {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]core.NodeID, 0, len(f.blocked))
	for id := range f.blocked {
		out = append(out, id)
	}
	return out
}

// Dropped counts the messages dropped by blocks, both ways.
func (f *Faulty) Dropped() uint64 { return f.dropped.Load() }

func (f *Faulty) isBlocked(id core.NodeID) bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.blocked[id]
}

// Send drops m if its destination is blocked.
func (f *Faulty) Send(to core.NodeID, m core.Message) {
	if f.isBlocked(to) {
		f.dropped.Add(1)
		return
	}
	f.Transport.Send(to, m)
}

// Inbound delivers what passed the filter.
func (f *Faulty) Inbound() <-chan net.Inbound { return f.in }

// Close stops the filter and closes the wrapped transport.
func (f *Faulty) Close() error {
	f.once.Do(func() { close(f.stop) })
	return f.Transport.Close()
}

func (f *Faulty) filter() {
	src := f.Transport.Inbound()
	for {
		select {
		case m := <-src:
			if f.isBlocked(m.From) {
				f.dropped.Add(1)
				continue
			}
			select {
			case f.in <- m:
			case <-f.stop:
				return
			}
		case <-f.stop:
			return
		}
	}
}
