package driver

import "github.com/dynamo-replay/dynamo/net/httpapi"

// info builds the node's Info; it runs on the loop.
func (d *Driver) info() httpapi.Info {
	var m = d.node.Membership()
	if len(m.Members) == 0 && len(m.Tokens) == 0 {
		m = nil
	}
	c := d.cfg.Core
	return httpapi.Info{
		Cluster:    d.cfg.Cluster,
		Node:       d.node.Status(),
		Membership: m,
		N:          c.N, R: c.R, W: c.W,
		Disk: d.cfg.Log.Stats(),
		Net:  d.cfg.Transport.Stats(),
	}
}
