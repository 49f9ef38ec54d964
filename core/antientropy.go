package core

// noteChanged is called whenever key's sibling set in the node's own store
// changes, so that the Merkle tree of its range can be brought up to date
// lazily, at the next exchange.
func (n *Node) noteChanged(key string) {}
