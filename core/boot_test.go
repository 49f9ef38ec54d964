package core

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dynamo-replay/dynamo/core/causality"
)

// dvv is the mechanism tests use to build versions by hand.
var dvv = causality.New(causality.DVV, causality.Options{})

// version is the version node.incarnation would create for a blind put of value
// with counter 1 (or next after local), as a coordinator does.
func version(id NodeID, inc uint32, local []Version, ctx causality.Clock, value string) Version {
	return dvv.NewVersion(local, ctx, actorOf(id, inc, 0), int64(wallBase), []byte(value), false)
}

func TestBootPersistsIncarnationBeforeAcceptingWrites(t *testing.T) {
	c := newCluster(t)
	key := keyWithTop(t, c.ring, 1, 2, 3)
	put := Op{Kind: OpPut, Key: key, Value: []byte("v")}

	effs := c.step(1, &Boot{})
	require.Equal(t, []string{"persist tok=1 incarnation=1 notify", quietWake(t)}, renderEffects(effs))
	p := effs[0].(*Persist)
	require.Equal(t, []Record{{Kind: RecordIncarnation, Incarnation: 1}}, p.Records)
	require.Empty(t, p.Then)
	require.False(t, c.nodes[1].Status().Ready)

	// Until the incarnation is durable the node creates no version.
	effs = c.client(1, 7, put)
	require.Equal(t, []string{"reply 7 err=node unavailable"}, renderEffects(effs))
	require.ErrorIs(t, effs[0].(*Reply).Result.Err, ErrUnavailable)
	require.Empty(t, c.nodes[1].Versions(key))
	require.Zero(t, c.nodes[1].Status().Keys)

	require.Empty(t, c.completeWrite(1), "Persisted of the boot record has no effect but readiness")
	st := c.nodes[1].Status()
	require.True(t, st.Ready)
	require.Equal(t, uint32(1), st.Incarnation)

	effs = c.client(1, 8, put)
	require.Equal(t, []string{
		`send 2 PutReq{op=2 ` + key + ` ["v"@1.1:1]}`,
		`send 3 PutReq{op=2 ` + key + ` ["v"@1.1:1]}`,
		`persist tok=2 ` + key + `=["v"@1.1:1] notify`,
		"wake 500ms",
	}, renderEffects(effs))
}

func TestBootRetriesFailedIncarnationWrite(t *testing.T) {
	c := newCluster(t)
	key := keyWithTop(t, c.ring, 1, 2, 3)
	c.step(1, &Boot{})

	effs := c.failWrite(1)
	require.Equal(t, []string{"persist tok=2 incarnation=1 notify"}, renderEffects(effs),
		"a failed boot write is retried with the same incarnation and a new token")
	require.False(t, c.nodes[1].Status().Ready)
	require.Equal(t, uint64(1), c.nodes[1].Status().Stats.PersistFailures)

	effs = c.client(1, 7, Op{Kind: OpPut, Key: key, Value: []byte("v")})
	require.Equal(t, []string{"reply 7 err=node unavailable"}, renderEffects(effs))

	effs = c.failWrite(1)
	require.Equal(t, []string{"persist tok=3 incarnation=1 notify"}, renderEffects(effs))
	require.Empty(t, c.completeWrite(1))
	require.True(t, c.nodes[1].Status().Ready)

	effs = c.client(1, 8, Op{Kind: OpPut, Key: key, Value: []byte("v")})
	require.Contains(t, renderEffects(effs), `persist tok=4 `+key+`=["v"@1.1:1] notify`)
}

func TestBootBeforeAnythingElse(t *testing.T) {
	c := newCluster(t)
	require.PanicsWithValue(t, "node 1: *core.Wakeup delivered before Boot", func() {
		c.nodes[1].Step(Input{Now: c.clock[1], Event: &Wakeup{}})
	})
	c.boot(1)
	require.Panics(t, func() { c.nodes[1].Step(Input{Now: c.clock[1], Event: &Boot{}}) }, "second Boot")
	require.Panics(t, func() {
		c.nodes[1].Step(Input{Now: Clock{Mono: c.clock[1].Mono - 1}, Event: &Wakeup{}})
	}, "monotonic clock going back")
}

func TestRecoveryRestoresKeysAndBumpsIncarnation(t *testing.T) {
	r := testRing(t)
	key := keyWithTop(t, r, 1, 2, 3)
	other := keyWithTop(t, r, 2, 3, 4) // a key node 1 held as a fallback once
	a := version(2, 1, nil, nil, "a")
	b := version(3, 2, nil, nil, "b") // concurrent with a
	o := version(2, 1, nil, nil, "o")
	rec := Recovered{Records: []Record{
		{Kind: RecordIncarnation, Incarnation: 1},
		{Kind: RecordVersions, Key: key, Versions: []Version{a}},
		{Kind: RecordIncarnation, Incarnation: 4},
		{Kind: RecordVersions, Key: key, Versions: []Version{b}},
		{Kind: RecordVersions, Key: key, Versions: []Version{a}}, // replayed twice: idempotent
		{Kind: RecordIncarnation, Incarnation: 3},                // out of order: the maximum wins
		{Kind: RecordVersions, Key: other, Versions: []Version{o}},
	}}
	n := New(testConfig(1, r), rec)
	st := n.Status()
	require.Equal(t, uint32(4), st.Incarnation)
	require.False(t, st.Ready)
	require.Equal(t, 2, st.Keys)
	require.Equal(t, `["a"@2.1:1 "b"@3.2:1]`, renderVersions(n.Versions(key)))
	require.Equal(t, `["o"@2.1:1]`, renderVersions(n.Versions(other)))

	clk := Clock{Wall: wallBase}
	effs := n.Step(Input{Now: clk, Event: &Boot{}})
	require.Equal(t, []string{"persist tok=1 incarnation=5 notify", quietWake(t)}, renderEffects(effs))
	require.Empty(t, n.Step(Input{Now: clk, Event: &Persisted{Token: 5<<32 | 1}})) // op 1 of incarnation 5

	// The recovered store answers peers at once...
	effs = n.Step(Input{Now: clk, Event: &Recv{From: 2, Msg: GetReq{Op: 9, Key: key}}})
	require.Equal(t, []string{`send 2 GetResp{op=9 ` + key + ` ["a"@2.1:1 "b"@3.2:1]}`}, renderEffects(effs))

	// ...and new versions use the new incarnation, so no dot of an earlier
	// life can be created again.
	effs = n.Step(Input{Now: clk, Event: &ClientRequest{ID: 1, Op: Op{Kind: OpPut, Key: key, Value: []byte("c")}}})
	require.Equal(t, []string{
		`send 2 PutReq{op=2 ` + key + ` ["c"@1.5:1 "a"@2.1:1 "b"@3.2:1]}`,
		`send 3 PutReq{op=2 ` + key + ` ["c"@1.5:1 "a"@2.1:1 "b"@3.2:1]}`,
		`persist tok=2 ` + key + `=["c"@1.5:1 "a"@2.1:1 "b"@3.2:1] notify`,
		"wake 500ms",
	}, renderEffects(effs))
}
