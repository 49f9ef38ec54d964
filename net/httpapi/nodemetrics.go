package httpapi

import (
	"strconv"

	"github.com/dynamo-replay/dynamo/core"
)

// nodeMetric is one unlabeled family read from an Info snapshot. One table
// keeps each name next to its help and its source, so that adding a counter
// is one line.
type nodeMetric struct {
	name, typ, help string
	value           func(*Info) uint64
}

func gauge(name, help string, v func(*Info) uint64) nodeMetric {
	return nodeMetric{name, "gauge", help, v}
}

func counter(name, help string, v func(*Info) uint64) nodeMetric {
	return nodeMetric{name, "counter", help, v}
}

// count converts the snapshot's ints, which are never negative.
func count(n int) uint64 { return uint64(max(n, 0)) }

func boolean(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

var nodeMetrics = []nodeMetric{
	gauge("dynamo_ready", "1 once the node has recovered its state and coordinates requests.", func(i *Info) uint64 { return boolean(i.Node.Ready) }),
	gauge("dynamo_incarnation", "The node's boot count; it changes at every restart.", func(i *Info) uint64 { return uint64(i.Node.Incarnation) }),
	gauge("dynamo_keys", "Keys stored on this node.", func(i *Info) uint64 { return count(i.Node.Keys) }),
	gauge("dynamo_hints_pending", "Hinted writes held for other nodes, not yet delivered.", func(i *Info) uint64 { return count(i.Node.Hints) }),
	gauge("dynamo_pending_gets", "Gets this node is coordinating now.", func(i *Info) uint64 { return count(i.Node.PendingGets) }),
	gauge("dynamo_pending_puts", "Puts this node is coordinating now.", func(i *Info) uint64 { return count(i.Node.PendingPuts) }),
	gauge("dynamo_buffered_keys", "Keys written in memory and waiting for the next flush.", func(i *Info) uint64 { return count(i.Node.Buffered) }),
	gauge("dynamo_transfers_pending", "Key ranges this node still has to hand over.", func(i *Info) uint64 { return count(i.Node.Transfers) }),

	counter("dynamo_coordinated_gets_total", "Gets this node coordinated and answered.", func(i *Info) uint64 { return i.Node.Stats.Gets }),
	counter("dynamo_coordinated_puts_total", "Puts and deletes this node coordinated to a quorum.", func(i *Info) uint64 { return i.Node.Stats.Puts }),
	counter("dynamo_siblings_served_total", "Siblings returned, summed over answered gets.", func(i *Info) uint64 { return i.Node.Stats.SiblingsServed }),
	counter("dynamo_timeouts_total", "Operations that missed their quorum before the deadline.", func(i *Info) uint64 { return i.Node.Stats.Timeouts }),
	counter("dynamo_forwarded_total", "Writes forwarded to a node in the key's preference list.", func(i *Info) uint64 { return i.Node.Stats.Forwarded }),
	counter("dynamo_read_repairs_total", "Stale replicas repaired after a read.", func(i *Info) uint64 { return i.Node.Stats.ReadRepairs }),
	counter("dynamo_flushes_total", "Flushes of buffered writes to the log.", func(i *Info) uint64 { return i.Node.Stats.Flushes }),
	counter("dynamo_bad_requests_total", "Client requests the node refused as malformed.", func(i *Info) uint64 { return i.Node.Stats.BadRequests }),
	counter("dynamo_bad_messages_total", "Peer messages the node ignored as invalid.", func(i *Info) uint64 { return i.Node.Stats.BadMessages }),
	counter("dynamo_persist_failures_total", "Log writes that failed.", func(i *Info) uint64 { return i.Node.Stats.PersistFailures }),
	counter("dynamo_peers_down_total", "Times this node came to consider a peer down.", func(i *Info) uint64 { return i.Node.Stats.PeersDown }),
	counter("dynamo_peers_recovered_total", "Times this node came to consider a peer back up.", func(i *Info) uint64 { return i.Node.Stats.PeersRecovered }),
	counter("dynamo_hints_stored_total", "Hinted writes stored here for an unreachable owner.", func(i *Info) uint64 { return i.Node.Stats.HintsStored }),
	counter("dynamo_hints_delivered_total", "Hinted writes confirmed by their owners.", func(i *Info) uint64 { return i.Node.Stats.HintsDelivered }),
	counter("dynamo_membership_changes_total", "Membership tables adopted.", func(i *Info) uint64 { return i.Node.Stats.MembershipChanges }),
	counter("dynamo_transfers_done_total", "Key ranges handed over and confirmed.", func(i *Info) uint64 { return i.Node.Stats.TransfersDone }),
	counter("dynamo_keys_transferred_total", "Keys in the key ranges handed over.", func(i *Info) uint64 { return i.Node.Stats.KeysTransferred }),
	counter("dynamo_background_deferred_total", "Background batches held back by admission control.", func(i *Info) uint64 { return i.Node.Stats.BackgroundDeferred }),
	counter("dynamo_anti_entropy_exchanges_total", "Anti-entropy exchanges opened by this node.", func(i *Info) uint64 { return i.Node.Stats.AEExchanges }),
	counter("dynamo_anti_entropy_keys_differed_total", "Keys found differing by anti-entropy.", func(i *Info) uint64 { return i.Node.Stats.AEKeysDiffered }),
	counter("dynamo_anti_entropy_keys_moved_total", "Keys pushed to a peer by anti-entropy.", func(i *Info) uint64 { return i.Node.Stats.AEKeysMoved }),
	counter("dynamo_anti_entropy_bytes_total", "Bytes of Merkle tree comparison sent.", func(i *Info) uint64 { return i.Node.Stats.AEBytes }),

	counter("dynamo_wal_appends_total", "Records queued for the log.", func(i *Info) uint64 { return i.Disk.Appends }),
	counter("dynamo_wal_backlogged_total", "Appends refused because the log writer was backlogged.", func(i *Info) uint64 { return i.Disk.Backlogged }),
	counter("dynamo_wal_records_total", "Records made durable.", func(i *Info) uint64 { return i.Disk.Records }),
	counter("dynamo_wal_batches_total", "Group-commit writes.", func(i *Info) uint64 { return i.Disk.Batches }),
	counter("dynamo_wal_fsyncs_total", "Fsyncs of log segments.", func(i *Info) uint64 { return i.Disk.Fsyncs }),
	counter("dynamo_wal_dir_syncs_total", "Fsyncs of the log directory.", func(i *Info) uint64 { return i.Disk.DirSyncs }),
	counter("dynamo_wal_bytes_written_total", "Bytes written to log segments.", func(i *Info) uint64 { return i.Disk.BytesWritten }),
	counter("dynamo_wal_snapshot_bytes_total", "Bytes written to snapshots.", func(i *Info) uint64 { return i.Disk.SnapshotBytes }),
	gauge("dynamo_wal_log_bytes", "Size of the live log segments, what recovery would replay.", func(i *Info) uint64 { return i.Disk.LogBytes }),
	gauge("dynamo_wal_segments", "Live log segment files.", func(i *Info) uint64 { return count(i.Disk.Segments) }),
	counter("dynamo_wal_rotations_total", "Log segments started.", func(i *Info) uint64 { return i.Disk.Rotations }),
	counter("dynamo_wal_compactions_total", "Snapshots completed.", func(i *Info) uint64 { return i.Disk.Compactions }),
	gauge("dynamo_wal_queued_bytes", "Bytes waiting for the log writer.", func(i *Info) uint64 { return count(i.Disk.QueuedBytes) }),
	gauge("dynamo_wal_failed", "1 once the log has failed and refuses writes.", func(i *Info) uint64 { return boolean(i.Disk.Failed) }),

	counter("dynamo_net_frames_sent_total", "Frames written to peer connections.", func(i *Info) uint64 { return i.Net.FramesSent }),
	counter("dynamo_net_bytes_sent_total", "Bytes written to peer connections, headers included.", func(i *Info) uint64 { return i.Net.BytesSent }),
	counter("dynamo_net_frames_received_total", "Frames read from peer connections.", func(i *Info) uint64 { return i.Net.FramesRecv }),
	counter("dynamo_net_bytes_received_total", "Bytes read from peer connections, headers included.", func(i *Info) uint64 { return i.Net.BytesRecv }),
	counter("dynamo_net_connects_total", "Outbound peer connections established.", func(i *Info) uint64 { return i.Net.Connects }),
	counter("dynamo_net_reconnects_total", "Outbound connections to a peer connected before.", func(i *Info) uint64 { return i.Net.Reconnects }),
	counter("dynamo_net_disconnects_total", "Peer connections that ended.", func(i *Info) uint64 { return i.Net.Disconnects }),
	counter("dynamo_net_dial_failures_total", "Dials and handshakes that failed.", func(i *Info) uint64 { return i.Net.DialFailures }),
	counter("dynamo_net_accepted_total", "Inbound peer connections accepted.", func(i *Info) uint64 { return i.Net.Accepted }),
	counter("dynamo_net_refused_total", "Inbound connections refused (other cluster, protocol or not a peer).", func(i *Info) uint64 { return i.Net.Refused }),
	counter("dynamo_net_bad_messages_total", "Inbound frames that did not decode.", func(i *Info) uint64 { return i.Net.BadMessages }),
	counter("dynamo_net_read_errors_total", "Inbound connections closed on a read error.", func(i *Info) uint64 { return i.Net.ReadErrors }),
}

// writeNodeMetrics writes the snapshot's families: the table above, then
// the labeled ones.
func writeNodeMetrics(e *expo, info Info) {
	e.family("dynamo_node_info", "gauge", "Always 1; the labels name the cluster and this node.")
	e.sample("dynamo_node_info", "1", "cluster", info.Cluster, "node", strconv.Itoa(int(info.Node.ID)))
	for _, m := range nodeMetrics {
		e.family(m.name, m.typ, m.help)
		e.sample(m.name, formatUint(m.value(&info)))
	}

	// Drops by reason rather than the total: sum() gives the total, and the
	// reason says whether a peer is slow, unknown or gone.
	e.family("dynamo_net_drops_total", "counter", "Messages to peers that never reached a socket, by reason.")
	for _, d := range []struct {
		reason string
		n      uint64
	}{
		{"queue_full", info.Net.DropsFull},
		{"no_route", info.Net.DropsNoRoute},
		{"unencodable", info.Net.DropsUnencodable},
		{"write_failed", info.Net.DropsWrite},
		{"closed", info.Net.DropsClosed},
	} {
		e.sample("dynamo_net_drops_total", formatUint(d.n), "reason", d.reason)
	}

	e.family("dynamo_members", "gauge", "Members of the ring as this node knows it, by status.")
	for _, st := range []core.MemberStatus{core.StatusJoined, core.StatusLeaving, core.StatusLeft} {
		n := 0
		if info.Membership != nil {
			for _, m := range info.Membership.Members {
				if m.Status == st {
					n++
				}
			}
		}
		e.sample("dynamo_members", strconv.Itoa(n), "status", st.String())
	}
}
