package driver

import (
	"sync"

	"github.com/dynamo-replay/dynamo/core"
)

// completion is a log write or compaction that finished.
type completion struct {
	persist    persist
	compaction bool
	err        error
}

// persist is what the loop keeps of a core.Persist until it is durable.
type persist struct {
	token  uint64
	then   []core.Effect
	notify bool
}

// mailbox carries completions from the log's goroutines to the loop. It is
// unbounded so that the log's writer never waits for a busy loop (and can
// never deadlock with a loop that is appending); the log's own queue bound is
// what limits how many writes are in flight.
type mailbox struct {
	mu    sync.Mutex
	items []completion
	kick  chan struct{} // capacity 1: "something arrived"
}

func newMailbox() *mailbox { return &mailbox{kick: make(chan struct{}, 1)} }

func (m *mailbox) push(c completion) {
	m.mu.Lock()
	m.items = append(m.items, c)
	m.mu.Unlock()
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// take returns everything that arrived, in order, and hands back spare (the
// previous batch, emptied) for reuse.
func (m *mailbox) take(spare []completion) []completion {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.items
	m.items = spare[:0]
	return out
}
