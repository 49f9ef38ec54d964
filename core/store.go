package core

import "github.com/google/btree"

// entry is one key's sibling set. The versions slice is never mutated in place:
// every change stores a new slice, so a slice handed to a message or a client
// stays valid.
type entry struct {
	key      string
	versions []Version
}

func entryLess(a, b *entry) bool { return a.key < b.key }

// store maps keys to sibling sets. The btree keeps keys in order, so that walks
// over the store (final states, Merkle trees) are deterministic; the map beside
// it answers point lookups, the hot path, without string comparisons down a
// tree. The map is never iterated.
type store struct {
	tree  *btree.BTreeG[*entry]
	index map[string]*entry
}

func newStore() *store {
	return &store{tree: btree.NewG[*entry](32, entryLess), index: make(map[string]*entry)}
}

func (s *store) find(key string) (*entry, bool) {
	e, ok := s.index[key]
	return e, ok
}

func (s *store) get(key string) []Version {
	e, ok := s.find(key)
	if !ok {
		return nil
	}
	return e.versions
}

func (s *store) set(key string, versions []Version) {
	if e, ok := s.find(key); ok {
		e.versions = versions
		return
	}
	e := &entry{key: key, versions: versions}
	s.tree.ReplaceOrInsert(e)
	s.index[key] = e
}

func (s *store) len() int { return s.tree.Len() }

// ascend calls fn for every key in order until fn returns false.
func (s *store) ascend(fn func(key string, versions []Version) bool) {
	s.tree.Ascend(func(e *entry) bool { return fn(e.key, e.versions) })
}
