package core

import "slices"

// admission is the controller of section 6.5: background work (hinted
// handoff, key-range transfers, anti-entropy) takes slices from it, and a
// feedback loop on foreground latency sets how many slices there are. The
// paper watches the 99th percentile of database reads over the last 60
// seconds against a threshold ("say 50ms"); a node here watches the latency of
// the requests it coordinates over the last AdmissionWindow. The window is
// time-based so that a quiet node, with no foreground traffic left to
// protect, gets its background share back.
type admission struct {
	slices int // slices granted per AdmissionInterval
	avail  int // left in the current interval
	lat    []sample
	head   int // lat[:head] have aged out
	recent int // foreground requests answered since the last adjustment
}

type sample struct {
	at, latency Time
}

// maxSamples bounds the window's memory whatever the request rate.
const maxSamples = 4096

func (a *admission) init(max int) {
	a.slices, a.avail = max, max
}

// observeLatency records one foreground request's latency.
func (n *Node) observeLatency(start Time) {
	a := &n.admit_
	if len(a.lat)-a.head >= maxSamples {
		a.head++
	}
	a.lat = append(a.lat, sample{at: n.now.Mono, latency: n.now.Mono - start})
	a.recent++
}

// windowLatencies drops samples older than the window and returns the rest.
func (n *Node) windowLatencies() []Time {
	a := &n.admit_
	for a.head < len(a.lat) && a.lat[a.head].at < n.now.Mono-n.cfg.AdmissionWindow {
		a.head++
	}
	if a.head > len(a.lat)/2 {
		a.lat = append(a.lat[:0], a.lat[a.head:]...)
		a.head = 0
	}
	out := make([]Time, 0, len(a.lat)-a.head)
	for _, s := range a.lat[a.head:] {
		out = append(out, s.latency)
	}
	return out
}

// admit takes one slice for one round of a background task (a hint scan, a
// transfer batch, an anti-entropy exchange).
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
	if a.recent == 0 {
		// No foreground request in the last interval: nothing to protect,
		// whatever the window remembers of busier times.
		a.slices = n.cfg.BackgroundSlices
	} else if p99 := percentile99(n.windowLatencies()); p99 > n.cfg.BackgroundLatencyTarget {
		// Slow background work down, never stop it: below the floor, hints
		// and replicas would wait out any long stretch of slow foreground.
		a.slices = max(n.cfg.MinBackgroundSlices, a.slices/2)
		n.probe("background_throttled")
	} else if a.slices < n.cfg.BackgroundSlices {
		a.slices++
	}
	a.avail = a.slices
	a.recent = 0
}

// BackgroundSlices reports the slices currently granted per interval.
func (n *Node) BackgroundSlices() int { return n.admit_.slices }

func percentile99(xs []Time) Time {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	return xs[(len(xs)*99)/100]
}
