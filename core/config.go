package core

import (
	"fmt"
	"math/rand/v2"

	"github.com/dynamo-replay/dynamo/core/causality"
	"github.com/dynamo-replay/dynamo/core/merkle"
	"github.com/dynamo-replay/dynamo/core/ring"
)

// Config is everything a node needs that does not arrive as an input. Every
// field's comment gives its unit, its default and why.
type Config struct {
	// ID is this node's id; it must be a member of Ring.
	ID NodeID
	// Ring is the cluster an operator configured at first start; it seeds the
	// membership table when the log holds none. A node that will join later
	// leaves it nil and sets RingParams and Seeds instead.
	Ring *ring.Ring
	// Addr and HTTPAddr are where a real-mode driver reaches this node (see
	// Member). At boot a member whose entry holds other addresses records
	// these, so that gossip spreads them; a joining node records them with
	// its join. The simulator leaves them empty.
	Addr, HTTPAddr string
	// RingParams is the partitioning of the cluster a node with no Ring joins.
	RingParams ring.Params
	// Seeds are nodes every node knows (section 4.8.2); gossip reaches one of
	// them every SeedEvery rounds so that the ring cannot split logically.
	Seeds     []NodeID
	SeedEvery int
	// GossipInterval: how often a node reconciles its membership table with a
	// random peer. Default 1s, the paper's "every second".
	GossipInterval Time
	// Rand is the node's only source of randomness (durable-replica choice with
	// buffered writes). The simulator seeds it from the run seed.
	Rand *rand.Rand

	// N, R, W: replicas per key, and the default read and write quorums. The
	// paper's common configuration is (3,2,2) (section 6).
	N, R, W int

	// Causality selects dvv (default: exact multi-value-register semantics), vc
	// (the paper's vector clocks) or lww (last write wins on wall clocks).
	Causality causality.Mode
	// VCMaxEntries truncates vc clocks past this many entries, dropping the one
	// with the oldest timestamp. Default 10, the paper's "say 10" (section 4.4).
	VCMaxEntries int

	// RequestTimeout bounds how long a coordinator waits for R or W replies.
	// Default 500ms: above the paper's 300ms SLA at the 99.9th percentile, so a
	// timeout means a real failure, not a slow tail.
	RequestTimeout Time
	// ReadRepairWindow is how long a get coordinator keeps listening after it has
	// answered, to repair replicas whose answers arrive late. Default 50ms: the
	// paper says only "a small period of time" (section 5).
	ReadRepairWindow Time

	// Sloppy turns on the sloppy quorum (section 4.6): requests go to the first
	// N healthy nodes of the preference list, fallbacks keeping hinted replicas
	// for the top-N nodes believed down. Default on; the strict profile is off.
	Sloppy bool
	// Strict is the strict profile: no sloppy quorum, R + W > N, and gets that
	// write the merged result back to W replicas before they answer, so that
	// every read sees every write acknowledged before it began.
	Strict bool
	// FailureTimeout: a peer that leaves a request unanswered this long is
	// down for this node (section 4.8.3, which gives no number). Default
	// 500ms, one RequestTimeout: a peer that cannot answer in time is of no
	// use to a quorum either.
	FailureTimeout Time
	// RetryInterval: how often a peer believed down is pinged. Default 1s.
	RetryInterval Time
	// HintInterval: how often the hint store is scanned for hints whose
	// owners are up again. Default 1s.
	HintInterval Time
	// HintBatch bounds the hints offered per scan, so handoff after a long
	// outage cannot swamp the owner. Default 64.
	HintBatch int

	// AEInterval: how often a node opens a Merkle exchange with a random peer
	// (the paper gives no period). Default 1s. Merkle: the shape of every
	// range's tree, the same on every node; default fanout 16, depth 2 (256
	// buckets a range), enough for about 4,000 keys a range (a million keys
	// over 256 ranges) at 16 keys a bucket, with one round less than depth 3.
	AEInterval Time
	Merkle     merkle.Params

	// TransferInterval: how often stalled or pending key-range transfers are
	// (re)offered. Default 200ms. TransferBatch: keys per transfer message.
	// Default 64.
	TransferInterval Time
	TransferBatch    int

	// Admission control of background work (section 6.5). Every
	// AdmissionInterval, background tasks get BackgroundSlices slices (one
	// slice: one message batch), halved while the p99 latency of the requests
	// this node coordinated is above BackgroundLatencyTarget. Defaults 1s, 32,
	// and the paper's "say 50ms".
	AdmissionInterval       Time
	BackgroundSlices        int
	BackgroundLatencyTarget Time
	// MinBackgroundSlices is the floor the controller never goes below: one
	// round each for handoff, transfers and anti-entropy, and a spare.
	// Default 4.
	MinBackgroundSlices int
	// AdmissionWindow is how far back the controller looks at foreground
	// latency. The paper says 60 seconds; the default is 10s so that the
	// controller reacts within the few seconds a simulated run lasts.
	AdmissionWindow Time

	// BufferedWrites turns on the paper's object buffer (section 6.1): replicas
	// acknowledge from memory and a periodic writer flushes, while one replica
	// chosen by the coordinator writes durably before acknowledging.
	BufferedWrites bool
	// BufferObjects flushes the buffer when it holds this many objects. Default
	// 1000.
	BufferObjects int
	// FlushInterval is the period of the buffer's writer. Default 100ms.
	FlushInterval Time

	// MaxKeyBytes and MaxValueBytes bound client input. Defaults 1 KiB and 1 MiB
	// (objects are "usually less than 1 MB", section 2).
	MaxKeyBytes, MaxValueBytes int

	// Probe, if set, is called with the name of each rarely taken protocol path,
	// so that sweeps can report paths that never ran (FoundationDB's CODE_PROBE).
	Probe func(name string)

	// Bugs plants known defects. Tests only: it exists to prove that the checkers
	// catch broken nodes. Production configurations leave it zero.
	Bugs Bugs
}

// Bugs are deliberate defects for checker tests.
type Bugs struct {
	// AckBeforePersist: replicas acknowledge puts before the write is durable.
	AckBeforePersist bool
	// DropSibling: get coordinators return only the first sibling, but with a
	// context that covers them all, so a client's next put overwrites a value it
	// never saw.
	DropSibling bool
	// WrongMerge: replicas replace their sibling set with the incoming one
	// instead of merging, losing concurrent siblings.
	WrongMerge bool
	// CorruptValue: replicas answer reads with a value nobody wrote.
	CorruptValue bool
	// DropRepair: replicas ignore read-repair writes, so a replica that missed
	// a write stays behind.
	DropRepair bool
	// HintDeleteEarly: a fallback deletes a hint as soon as it sends it, before
	// the owner confirmed it.
	HintDeleteEarly bool
	// StaleRepair: read repair sends a stale replica its own stale versions
	// instead of the merge, so it never repairs anything.
	StaleRepair bool
	// AESkipRange: anti-entropy never compares the first key range.
	AESkipRange bool
	// StaleMembership: merging gossiped membership never replaces an entry
	// the node already has, ignoring newer ones.
	StaleMembership bool
}

// DefaultConfig returns the paper's common configuration for node id on ring r.
func DefaultConfig(id NodeID, r *ring.Ring, rng *rand.Rand) Config {
	return Config{
		ID:                      id,
		Ring:                    r,
		Rand:                    rng,
		N:                       3,
		R:                       2,
		W:                       2,
		Causality:               causality.DVV,
		VCMaxEntries:            10,
		RequestTimeout:          500 * Millisecond,
		ReadRepairWindow:        50 * Millisecond,
		SeedEvery:               5,
		GossipInterval:          Second,
		AEInterval:              Second,
		Merkle:                  merkle.Params{Fanout: 16, Depth: 2},
		TransferInterval:        200 * Millisecond,
		TransferBatch:           64,
		AdmissionInterval:       Second,
		BackgroundSlices:        32,
		BackgroundLatencyTarget: 50 * Millisecond,
		AdmissionWindow:         10 * Second,
		MinBackgroundSlices:     4,
		Sloppy:                  true,
		FailureTimeout:          500 * Millisecond,
		RetryInterval:           Second,
		HintInterval:            Second,
		HintBatch:               64,
		BufferObjects:           1000,
		FlushInterval:           100 * Millisecond,
		MaxKeyBytes:             1024,
		MaxValueBytes:           1 << 20,
	}
}

// Validate reports the first field that makes the configuration unusable.
func (c *Config) Validate() error {
	if len(c.Addr) > MaxAddrBytes || len(c.HTTPAddr) > MaxAddrBytes {
		return fmt.Errorf("core: Addr and HTTPAddr must be at most %d bytes", MaxAddrBytes)
	}
	params := c.RingParams
	if c.Ring != nil {
		params = c.Ring.Params()
	}
	if err := params.Validate(1); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	switch {
	case c.Rand == nil:
		return fmt.Errorf("config: Rand is nil")
	case c.N < 1:
		return fmt.Errorf("config: N=%d, want at least 1", c.N)
	case c.Ring != nil && c.N > c.Ring.Size():
		return fmt.Errorf("config: N=%d exceeds the %d nodes of the ring", c.N, c.Ring.Size())
	case c.Ring == nil && len(c.Seeds) == 0:
		return fmt.Errorf("config: a node without a Ring needs Seeds to learn the cluster from")
	case c.R < 1 || c.R > c.N:
		return fmt.Errorf("config: R=%d, want 1..N (N=%d)", c.R, c.N)
	case c.W < 1 || c.W > c.N:
		return fmt.Errorf("config: W=%d, want 1..N (N=%d)", c.W, c.N)
	case c.Causality < causality.DVV || c.Causality > causality.LWW:
		return fmt.Errorf("config: unknown causality mode %d", c.Causality)
	case c.RequestTimeout <= 0:
		return fmt.Errorf("config: RequestTimeout=%d, want > 0", c.RequestTimeout)
	case c.ReadRepairWindow < 0:
		return fmt.Errorf("config: ReadRepairWindow=%d, want >= 0", c.ReadRepairWindow)
	case c.Strict && c.Sloppy:
		return fmt.Errorf("config: the strict profile has no sloppy quorum (Sloppy must be false)")
	case c.Strict && c.R+c.W <= c.N:
		return fmt.Errorf("config: the strict profile needs R + W > N (R=%d W=%d N=%d)", c.R, c.W, c.N)
	case c.FailureTimeout <= 0 || c.RetryInterval <= 0 || c.HintInterval <= 0 || c.HintBatch < 1:
		return fmt.Errorf("config: FailureTimeout, RetryInterval, HintInterval and HintBatch must be positive")
	case c.GossipInterval <= 0 || c.SeedEvery < 1 || c.TransferInterval <= 0 || c.TransferBatch < 1:
		return fmt.Errorf("config: GossipInterval, SeedEvery, TransferInterval and TransferBatch must be positive")
	case c.AEInterval <= 0:
		return fmt.Errorf("config: AEInterval must be positive")
	case c.Merkle.Validate() != nil:
		return fmt.Errorf("config: %w", c.Merkle.Validate())
	case c.AdmissionInterval <= 0 || c.BackgroundSlices < 1 || c.BackgroundLatencyTarget <= 0 || c.AdmissionWindow <= 0 ||
		c.MinBackgroundSlices < 1 || c.MinBackgroundSlices > c.BackgroundSlices:
		return fmt.Errorf("config: AdmissionInterval, AdmissionWindow, BackgroundSlices, MinBackgroundSlices and BackgroundLatencyTarget must be positive, with MinBackgroundSlices <= BackgroundSlices")
	case c.BufferedWrites && (c.BufferObjects < 1 || c.FlushInterval <= 0):
		return fmt.Errorf("config: buffered writes need BufferObjects >= 1 and FlushInterval > 0")
	case c.MaxKeyBytes < 1 || c.MaxValueBytes < 0:
		return fmt.Errorf("config: MaxKeyBytes=%d MaxValueBytes=%d, want positive", c.MaxKeyBytes, c.MaxValueBytes)
	}
	return nil
}
