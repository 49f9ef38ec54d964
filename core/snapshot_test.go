package core

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A node rebuilt from its snapshot alone holds what the node rebuilt from its
// whole log holds, and boots as the next incarnation.
func TestSnapshotRebuildsTheNode(t *testing.T) {
	c := newReadyCluster(t)
	keys := []string{keyWithTop(t, c.ring, 1, 2, 3), keyWithTop(t, c.ring, 2, 1, 3), keyWithTop(t, c.ring, 3, 4, 5)}
	for i, key := range keys {
		require.NoError(t, c.do(1, ReqID(i+1), Op{Kind: OpPut, Key: key, Value: []byte{'a' + byte(i)}}).Err)
	}
	c.nodes[1].hints.tree.ReplaceOrInsert(&hint{key: "hinted", owner: 4, versions: []Version{version(2, 1, nil, nil, "h")}})
	snap := c.nodes[1].Snapshot()

	fromLog := New(testConfig(1, c.ring), Recovered{Records: c.disk[1]})
	fromSnap := New(testConfig(1, c.ring), Recovered{Records: snap})
	require.Equal(t, fromLog.incarnation, fromSnap.incarnation)
	require.Equal(t, c.nodes[1].members, fromSnap.members)
	for _, key := range keys {
		require.Equal(t, renderVersions(c.nodes[1].Versions(key)), renderVersions(fromSnap.Versions(key)), key)
	}
	require.Equal(t, c.nodes[1].store.len(), fromSnap.store.len())
	h, ok := fromSnap.hints.get("hinted", 4)
	require.True(t, ok, "hints survive a snapshot")
	require.Equal(t, `["h"@2.1:1]`, renderVersions(h.versions))
}
