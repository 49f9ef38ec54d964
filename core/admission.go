package core

import "slices"

// admission is the controller of section 6.5: background work (hinted
// handoff, key-range transfers, anti-entropy) takes slices from it, and a
// feedback loop on foreground latency sets how many slices there are. The
// paper watches the 99th percentile of database reads over 60 seconds against
// a threshold ("say 50ms"); a node here watches the latency of the requests
// it coordinates, over its last latencyWindow of them.
type admission struct {
	slices int // slices granted per AdmissionInterval
	avail  int // left in the current interval
	lat    []Time
	next   int
}

const latencyWindow = 256

func (a *admission) init(max int) {
	a.slices, a.avail = max, max
	a.lat = make([]Time, 0, latencyWindow)
}

// observeLatency records one foreground request's latency.
func (n *Node) observeLatency(start Time) {
	a := &n.admit_
	d := n.now.Mono - start
	if len(a.lat) < latencyWindow {
		a.lat = append(a.lat, d)
		return
	}
	a.lat[a.next] = d
	a.next = (a.next + 1) % latencyWindow
}

// admit takes one slice for a unit of background work (one message batch).
func (n *Node) admit() bool {
	a := &n.admit_
	if a.avail > 0 {
		a.avail--
		return true
	}
	n.stats.BackgroundDeferred++
	n.probe("background_deferred")
	return false
}

// adjustAdmission runs every AdmissionInterval: halve the slices while the
// foreground p99 is above the target, grow them back by one otherwise.
func (n *Node) adjustAdmission() {
	a := &n.admit_
	if p99 := percentile99(a.lat); p99 > n.cfg.BackgroundLatencyTarget {
		a.slices = max(1, a.slices/2)
		n.probe("background_throttled")
	} else if a.slices < n.cfg.BackgroundSlices {
		a.slices++
	}
	a.avail = a.slices
}

// BackgroundSlices reports the slices currently granted per interval.
func (n *Node) BackgroundSlices() int { return n.admit_.slices }

func percentile99(xs []Time) Time {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[(len(s)*99)/100]
}
