// Package sim is the deterministic simulator: a whole cluster of core.Nodes,
// their network, disks and clocks, and the clients that load them, run on one
// goroutine from one seed. Every random choice comes from one PCG seeded by the
// run's seed (through sub-seeds per subsystem), events are ordered by (virtual
// time, sequence number), and a running hash over every dispatched event proves
// that a seed replays byte for byte.
//
// It may import the standard library, core/ and its sub-packages, disk/ (the
// same record codec and recovery the real driver uses) and checks/ (to record
// histories). Never net/: nothing here touches a real network, disk or clock.
package sim
