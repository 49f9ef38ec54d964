package httpapi

import (
	"context"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/disk"
	"github.com/dynamo-replay/dynamo/net"
)

// Backend is what the API needs of a node.
type Backend interface {
	// Do runs one client operation (get, put, delete, join, leave) on the
	// node and waits for its result. The error is non-nil only when no
	// result came: ctx ended, or the node is stopping.
	// Protocol outcomes (timeouts, bad requests) are in Result.Err.
	Do(ctx context.Context, op core.Op) (core.Result, error)
	// Info is a snapshot of the node for /status and /metrics.
	Info() Info
}

// Info is what /status and /metrics show.
type Info struct {
	Cluster    string
	Node       core.Status
	Membership *core.Membership // never modified; nil before the node knows one
	N, R, W    int
	Disk       disk.WALStats
	Net        net.Stats
}
