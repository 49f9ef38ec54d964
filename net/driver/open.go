package driver

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/core/ring"
	"github.com/dynamo-replay/dynamo/disk"
	"github.com/dynamo-replay/dynamo/net"
)

// NodeConfig is a real node's setup, as `dynamo node` takes it from flags.
type NodeConfig struct {
	Cluster string
	ID      core.NodeID
	// Listen is the peer (TCP) address to listen on; Advertise, if set, the
	// one other nodes should dial (default: Listen's, once bound).
	Listen, Advertise string
	// HTTPAddr is the client address this node serves, recorded in its
	// membership entry so that clients can route to it.
	HTTPAddr string
	DataDir  string
	// Peers is the cluster's initial membership, this node included: every
	// node given the same list builds the same ring (BootstrapRing). It is
	// used when the log holds no membership yet; later its addresses only
	// help reach peers until gossip brings theirs.
	Peers map[core.NodeID]string
	// Join is a member's peer address to join through, instead of Peers.
	Join string
	// N, R, W: zero means the paper's (3,2,2).
	N, R, W int
	// FaultInjection wraps the transport in a Faulty.
	FaultInjection bool
	WAL            disk.WALOptions
	CompactAfter   int
	// Tune, if set, changes the core configuration last (tests).
	Tune func(*core.Config)
	Logf func(format string, args ...any)
}

// Node is a running node: its driver and, with fault injection, the
// transport wrapper that partitions it.
type Node struct {
	*Driver
	Faulty   *Faulty       // nil without FaultInjection
	PeerAddr string        // where it listens for peers
	joined   chan struct{} // closed when the join (if any) is done
	joinErr  error
}

// Open recovers the node's log, listens for peers and starts the driver. A
// node given Join asks to join once it has learned the membership (see
// Joined).
func Open(nc NodeConfig) (*Node, error) {
	if nc.Logf == nil {
		nc.Logf = func(string, ...any) {}
	}
	if (len(nc.Peers) == 0) == (nc.Join == "") {
		return nil, errors.New("driver: give either the cluster's peers or a node to join through")
	}
	wal, rec, err := disk.OpenWAL(nc.DataDir, nc.WAL)
	if err != nil {
		return nil, err
	}
	tcfg := net.DefaultConfig(nc.Cluster, nc.ID)
	tcfg.Advertise, tcfg.Logf = nc.Advertise, nc.Logf
	tr, err := net.ListenConfig(nc.Listen, tcfg)
	if err != nil {
		wal.Close()
		return nil, err
	}
	fail := func(err error) (*Node, error) {
		tr.Close()
		wal.Close()
		return nil, err
	}
	peerAddr := nc.Advertise
	if peerAddr == "" {
		peerAddr = tr.Addr().String()
	}
	known := lastMembership(rec)
	cfg, peers, err := nc.coreConfig(peerAddr, known)
	if err != nil {
		return fail(err)
	}
	var transport Transport = tr
	n := &Node{PeerAddr: peerAddr, joined: make(chan struct{})}
	if nc.FaultInjection {
		n.Faulty = NewFaulty(tr)
		transport = n.Faulty
	}
	d, err := Start(Config{
		Cluster: nc.Cluster, Core: cfg, Recovered: rec, Transport: transport, Log: wal,
		Peers: peers, CompactAfter: nc.CompactAfter, Logf: nc.Logf,
	})
	if err != nil {
		return fail(err)
	}
	n.Driver = d
	if self, member := known.Member(nc.ID); nc.Join == "" || (member && self.Status == core.StatusJoined) {
		close(n.joined) // nothing to join, or joined in an earlier run
	} else {
		go n.join()
	}
	return n, nil
}

// coreConfig builds the core configuration and the peer addresses to start
// with.
func (nc *NodeConfig) coreConfig(peerAddr string, known *core.Membership) (core.Config, map[core.NodeID]string, error) {
	// Real mode has no seed to replay: the node's randomness (gossip
	// partners, token draws on join) comes from the runtime's source.
	cfg := core.DefaultConfig(nc.ID, nil, rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())))
	cfg.Addr, cfg.HTTPAddr = peerAddr, nc.HTTPAddr
	if nc.N > 0 {
		cfg.N, cfg.R, cfg.W = nc.N, nc.R, nc.W
	}
	peers := make(map[core.NodeID]string)
	switch {
	case len(nc.Join) > 0 && len(known.Members) > 0:
		// A restart of a node that joined (or began to) in an earlier run:
		// its log knows the cluster, so it needs neither the node it joined
		// through (which may be down now) nor a probe.
		cfg.RingParams = known.Params
		for _, m := range known.Members {
			if m.Status != core.StatusLeft && m.ID != nc.ID {
				cfg.Seeds = append(cfg.Seeds, m.ID)
				if m.Addr != "" {
					peers[m.ID] = m.Addr
				}
			}
		}
	case len(nc.Peers) > 0:
		ids := make([]core.NodeID, 0, len(nc.Peers))
		for id, addr := range nc.Peers {
			ids = append(ids, id)
			peers[id] = addr
		}
		slices.Sort(ids)
		if !slices.Contains(ids, nc.ID) {
			return cfg, nil, fmt.Errorf("driver: node %d is not in its own peer list %v", nc.ID, ids)
		}
		r, err := BootstrapRing(nc.Cluster, ids)
		if err != nil {
			return cfg, nil, err
		}
		cfg.Ring, cfg.Seeds = r, ids
	default:
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		seedID, err := net.Probe(ctx, nc.Join, nc.Cluster, nc.ID)
		if err != nil {
			return cfg, nil, fmt.Errorf("driver: finding the node to join through: %w", err)
		}
		cfg.RingParams, cfg.Seeds = ring.DefaultParams(), []core.NodeID{seedID}
		peers[seedID] = nc.Join
	}
	if nc.Tune != nil {
		nc.Tune(&cfg)
	}
	return cfg, peers, nil
}

// lastMembership is the membership table the log holds last, or an empty
// one.
func lastMembership(rec core.Recovered) *core.Membership {
	for i := len(rec.Records) - 1; i >= 0; i-- {
		if r := rec.Records[i]; r.Kind == core.RecordMembership && r.Membership != nil {
			return r.Membership
		}
	}
	return &core.Membership{}
}

// BootstrapRing is the ring of a cluster's first members. It depends only on
// the cluster's name and the ids, so that every node given the same peer list
// builds the same ring without talking to the others.
func BootstrapRing(cluster string, ids []core.NodeID) (*ring.Ring, error) {
	h := fnv.New64a()
	h.Write([]byte(cluster))
	p := ring.DefaultParams()
	members, err := ring.Assign(p, ids, rand.New(rand.NewPCG(h.Sum64(), uint64(len(ids)))))
	if err != nil {
		return nil, fmt.Errorf("driver: assigning the ring of %v: %w", ids, err)
	}
	return ring.New(p, members)
}

// join asks the node to join the ring, retrying while it has not yet learned
// the membership from its seed.
func (n *Node) join() {
	defer close(n.joined)
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		res, err := n.Do(ctx, core.Op{Kind: core.OpJoin})
		cancel()
		switch {
		case err != nil:
			n.joinErr = err
			return
		case res.Err == nil:
			return
		case errors.Is(res.Err, core.ErrBadRequest):
			return // already a member: a restart of a node that joined before
		case time.Now().After(deadline):
			n.joinErr = fmt.Errorf("driver: joining: %w", res.Err)
			return
		}
		select {
		case <-time.After(200 * time.Millisecond):
		case <-n.Done():
			n.joinErr = ErrStopping
			return
		}
	}
}

// Joined waits for the join asked by Join, and returns why it failed.
func (n *Node) Joined() error {
	<-n.joined
	return n.joinErr
}
