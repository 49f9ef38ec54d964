package driver

import (
	"errors"

	"github.com/dynamo-replay/dynamo/disk"
)

// maybeCompact starts a compaction once the log holds much more than the
// state it builds. The snapshot is taken between two steps, after every
// earlier Persist was handed to the log, which is what Log.Compact requires.
func (d *Driver) maybeCompact() {
	if d.compacting || d.fatal != nil || d.sinceSnap < d.cfg.CompactAfter || d.sinceSnap < 2*d.lastSnap {
		return
	}
	records := d.node.Snapshot()
	d.compacting = true
	d.lastSnap, d.sinceSnap = len(records), 0
	d.cfg.Log.Compact(records, func(err error) { d.mail.push(completion{compaction: true, err: err}) })
}

func (d *Driver) compacted(err error) {
	d.compacting = false
	if err != nil {
		d.cfg.Logf("node %d: compaction failed: %v", d.id, err)
		if errors.Is(err, disk.ErrLogFailed) {
			d.fatal = err
		}
		return
	}
	d.cfg.Logf("node %d: log compacted to a snapshot of %d records", d.id, d.lastSnap)
}
