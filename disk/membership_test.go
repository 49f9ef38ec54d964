package disk

import (
	"math/rand/v2"
	"testing"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/core/ring"
	"github.com/stretchr/testify/require"
)

func sampleMembership(t *testing.T, strategy ring.Strategy) *core.Membership {
	p := ring.DefaultParams()
	p.Strategy = strategy
	members, err := ring.Assign(p, []core.NodeID{1, 2, 3, 4}, rand.New(rand.NewPCG(1, 2)))
	require.NoError(t, err)
	r, err := ring.New(p, members)
	require.NoError(t, err)
	m := core.BootstrapMembership(r).WithJoin(5, rand.New(rand.NewPCG(3, 4))).WithLeave(2).WithAddrs(3, "127.0.0.1:7003", "127.0.0.1:8003")
	return m
}

func TestMembershipRecordRoundTrip(t *testing.T) {
	for _, s := range []ring.Strategy{ring.Strategy1, ring.Strategy2, ring.Strategy3} {
		m := sampleMembership(t, s)
		log := AppendRecord(nil, core.Record{Kind: core.RecordMembership, Membership: m})
		rec, err := Recover(log)
		require.NoError(t, err)
		require.Len(t, rec.Records, 1)
		require.Equal(t, m, rec.Records[0].Membership)
		require.Equal(t, m.Epoch(), rec.Records[0].Membership.Epoch())
		self, _ := rec.Records[0].Membership.Member(3)
		require.Equal(t, "127.0.0.1:8003", self.HTTPAddr)
	}
}

func TestMembershipRecordRejectsDamage(t *testing.T) {
	m := sampleMembership(t, ring.Strategy3)
	payload := AppendRecord(nil, core.Record{Kind: core.RecordMembership, Membership: m})[frameHeader:]
	for cut := 2; cut < len(payload); cut += 7 {
		_, err := DecodePayload(payload[:cut])
		require.Error(t, err, "cut at %d", cut)
	}
	// A member whose status byte is out of range.
	bad := append([]byte(nil), payload...)
	statusAt := 2 + 1 + 1 + 2 + 1 + 1 // format, kind, strategy, T, Q=256 (two bytes), member count, first id
	bad[statusAt] = 9
	_, err := DecodePayload(bad)
	require.ErrorContains(t, err, "unknown status 9")
}
