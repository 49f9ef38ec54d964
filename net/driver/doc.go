// Package driver runs one core.Node in real time: one event-loop goroutine
// feeds the node its inputs (peer messages from a transport, client requests,
// durable-write completions from a log, timer expiries) with the machine's
// clocks, and carries out the effects the node returns. The loop never waits
// on I/O: sends go to the transport's per-peer queues, log appends to the
// log's group-commit queue, and their completions come back as inputs.
//
// It may import core, disk, net and net/httpapi (whose Backend it
// implements); nothing imports it but commands and tests.
package driver
