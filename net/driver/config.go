package driver

import (
	"errors"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/disk"
	"github.com/dynamo-replay/dynamo/net"
)

// Transport is what the driver needs of the network: *net.Transport, or a
// wrapper that injects faults.
type Transport interface {
	// Send queues m for a peer and never blocks.
	Send(to core.NodeID, m core.Message)
	Inbound() <-chan net.Inbound
	SetPeer(id core.NodeID, addr string)
	Stats() net.Stats
	Close() error
}

// Log is what the driver needs of durable storage: *disk.WAL.
type Log interface {
	// Append and Compact queue work and never block; done runs later, on
	// another goroutine.
	Append(records []core.Record, done func(error))
	Compact(records []core.Record, done func(error))
	Stats() disk.WALStats
	Close() error
}

// Config is everything Start needs.
type Config struct {
	// Cluster names the cluster, for /status.
	Cluster string
	// Core configures the node. Its Rand must not be shared: the loop
	// goroutine owns it.
	Core core.Config
	// Recovered is what opening the log found.
	Recovered core.Recovered
	Transport Transport
	Log       Log
	// Peers are addresses known before any membership is (the cluster's
	// configured members, or the node to join through). Addresses in the
	// membership table replace them as gossip brings them.
	Peers map[core.NodeID]string
	// CompactAfter: once this many records have been appended since the
	// last snapshot, and at least twice as many as that snapshot held, the
	// log is compacted. Default 100,000: a few MiB of log, a fraction of a
	// second to recover.
	CompactAfter int
	// Logf receives the driver's events (compactions, fatal log errors).
	// Default: discard.
	Logf func(format string, args ...any)
}

// ErrStopping is the error of Do when the node stopped before it answered.
var ErrStopping = errors.New("driver: node is stopping")

func (c *Config) setDefaults() {
	if c.CompactAfter <= 0 {
		c.CompactAfter = 100_000
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
}

func (c *Config) validate() error {
	if c.Transport == nil || c.Log == nil {
		return errors.New("driver: Transport and Log are required")
	}
	if c.Core.Rand == nil {
		return errors.New("driver: Core.Rand is required")
	}
	return c.Core.Validate()
}
