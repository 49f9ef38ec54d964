// Package httpapi serves a node's client-facing HTTP API, in Riak's
// conventions, over a Backend (the real-time driver in production, a fake in
// tests). It may import core, disk and net for their types; it never drives a
// node itself.
//
// The API, which the Go client (net/client) and the CLI speak:
//
//	GET /kv/{key}[?r=R]
//	    200: body is the value; X-Dynamo-Context holds the context
//	         (standard base64, padded) to send back with a later PUT or DELETE.
//	    300: more than one sibling (live values, or a live value and a
//	         concurrent delete). Body is JSON by default:
//	           {"context":"<base64>","siblings":[{"value":"<base64>"},{"deleted":true}]}
//	         or, with "Accept: multipart/mixed", one part per sibling, each
//	         "Content-Type: application/octet-stream", tombstones as empty
//	         parts carrying "X-Dynamo-Deleted: true". X-Dynamo-Context is set
//	         too.
//	    404: no live value (never written, or every sibling is a tombstone).
//	         X-Dynamo-Context is set when tombstones exist, so that a write
//	         after a delete can supersede it.
//	PUT /kv/{key}[?w=W]      body: the value (at most 1 MiB)
//	    X-Dynamo-Context: the context of an earlier GET, or absent for a
//	    blind write (which becomes a sibling of whatever exists).
//	    204 on success.
//	DELETE /kv/{key}[?w=W]   X-Dynamo-Context as for PUT. 204 on success.
//
//	Every /kv answer with a result (200, 204, 300, 404) carries
//	X-Dynamo-Coordinator: the id of the node that coordinated the request.
//	Error answers carry none: a refused request reached no coordinator.
//
//	Keys are the unescaped path after /kv/: any bytes but empty, at most
//	1 KiB. r and w are integers from 1 to N.
//
//	Errors are text/plain, one line naming what was wrong:
//	    400: malformed key, r, w, context, or request (core.ErrBadRequest)
//	    405: another method (with an Allow header)
//	    413: value over 1 MiB (the body is not read past the limit)
//	    503: the quorum could not be met (core.ErrTimeout) or the node cannot
//	         coordinate now (core.ErrUnavailable: booting, stopping); the
//	         body gives the reason, and Retry-After is set.
//
//	GET /status    JSON: the node (id, incarnation, ready, keys, hints
//	               pending, transfers), N/R/W, every member (id, status,
//	               version, peer and HTTP addresses), each member's share of
//	               the ring, and the node's counters.
//	GET /ring      the membership table in the wire codec
//	               (net.AppendMembership), application/octet-stream: what a
//	               client needs to compute preference lists exactly as the
//	               nodes do.
//	GET /metrics   Prometheus text format (version 0.0.4): requests by
//	               operation and status code, latency histograms by
//	               operation, hints, anti-entropy, transfers, disk (appends,
//	               fsyncs, bytes, compactions) and transport counters.
//	POST /admin/join, POST /admin/leave   the node joins or leaves the ring
//	               (section 4.8.1's explicit changes); 204 once durable.
package httpapi
