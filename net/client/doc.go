// Package client is the Go client of a Dynamo cluster's HTTP API (the
// contract is in net/httpapi's package comment): get, put and delete with
// opaque contexts and siblings, under either of section 6.4's coordination
// schemes.
//
// Server-driven (the default): each request goes to one of the configured
// addresses, in turn, and that node routes it; a put that lands on a node
// outside the key's top N costs the cluster one more hop.
//
// Client-driven: the client polls a node's /ring for the membership table
// every RefreshInterval (10 s, as in the paper), computes each key's
// preference list with the same ring code the nodes run, and sends the
// request straight to the first reachable node of the key's top N, saving
// that hop (Table 2). When it knows no ring, or none of those nodes answers,
// it falls back to server-driven.
//
// A Client is safe for concurrent use. Failover is bounded: a call tries each
// address at most once. Gets are retried on any transport error, but puts
// and deletes only when the connection could not be opened, since a write
// that may have reached a node would, if resent elsewhere, become a second
// concurrent version.
//
// It may import the standard library, core, core/ring and net (for the
// membership codec); never disk or sim.
package client
