package sim

import "github.com/dynamo-replay/dynamo/core"

// tracer is a running 64-bit hash over every dispatched event: two runs with
// the same trace dispatched the same events at the same virtual times.
type tracer struct{ h uint64 }

func (t *tracer) mix(x uint64) {
	h := (t.h ^ x) * 0x100000001b3
	t.h = h ^ h>>29
}

func (t *tracer) event(ev *event) {
	t.mix(uint64(ev.at))
	t.mix(uint64(ev.kind) | uint64(ev.node)<<8 | uint64(ev.from)<<24 | uint64(uint32(ev.client))<<40)
	t.mix(ev.gen)
	if ev.msg != nil {
		t.message(ev.msg)
	}
}

// message folds in what identifies a message without walking its payload.
func (t *tracer) message(m core.Message) {
	switch m := m.(type) {
	case core.GetReq:
		t.mix(1<<56 | m.Op)
	case core.GetResp:
		t.mix(2<<56 | m.Op)
		t.mix(uint64(len(m.Versions)))
	case core.PutReq:
		t.mix(3<<56 | m.Op)
		t.mix(uint64(len(m.Versions)))
	case core.PutAck:
		t.mix(4<<56 | m.Op)
	case core.Forward:
		t.mix(5<<56 | m.Op)
	case core.ForwardReply:
		t.mix(6<<56 | m.Op)
	case core.Ping:
		t.mix(7 << 56)
	case core.Pong:
		t.mix(8 << 56)
	case core.HandoffReq:
		t.mix(9<<56 | m.Op)
	case core.HandoffAck:
		t.mix(10<<56 | m.Op)
	case core.Gossip:
		t.mix(11 << 56)
	case core.GossipReply:
		t.mix(12 << 56)
	case core.TransferOffer:
		t.mix(13<<56 | m.Op)
	case core.TransferReply:
		t.mix(14<<56 | m.Op)
	case core.TransferData:
		t.mix(15<<56 | m.Op)
		t.mix(uint64(len(m.Keys)))
	case core.TransferAck:
		t.mix(16<<56 | m.Op)
	case core.AERoots:
		t.mix(17<<56 | m.Op)
		t.mix(uint64(len(m.Ranges)))
	case core.AENodes:
		t.mix(18<<56 | m.Op)
		t.mix(uint64(len(m.Items)))
	case core.AEBuckets:
		t.mix(19<<56 | m.Op)
		t.mix(uint64(len(m.Items)))
	case core.AEPull:
		t.mix(20 << 56)
		t.mix(uint64(len(m.Keys)))
	default:
		t.mix(255 << 56)
	}
}
