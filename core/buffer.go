package core

// writeBuffer is the object buffer of section 6.1: keys changed in memory and
// not yet written to the log. The writer flushes it periodically, or at once
// when it holds BufferObjects keys.
type writeBuffer struct {
	keys  []string
	dirty map[string]struct{} // membership only; order lives in keys
}

func (b *writeBuffer) init() { b.dirty = make(map[string]struct{}) }

func (b *writeBuffer) mark(key string) {
	if _, ok := b.dirty[key]; ok {
		return
	}
	b.dirty[key] = struct{}{}
	b.keys = append(b.keys, key)
}

func (n *Node) maybeFlushFull() {
	if len(n.buffer.keys) >= n.cfg.BufferObjects {
		n.probe("buffer_full_flush")
		n.flushBuffer()
	}
}

// flushBuffer logs the current sibling set of every buffered key, in the order
// the keys were first buffered.
func (n *Node) flushBuffer() {
	if len(n.buffer.keys) == 0 {
		return
	}
	recs := make([]Record, len(n.buffer.keys))
	for i, k := range n.buffer.keys {
		recs[i] = versionsRecord(k, n.store.get(k))
		delete(n.buffer.dirty, k)
	}
	n.buffer.keys = n.buffer.keys[:0]
	n.stats.Flushes++
	n.emit(&Persist{Token: n.newOp(), Records: recs})
}
