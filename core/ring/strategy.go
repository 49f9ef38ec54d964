package ring

import (
	"fmt"
	"strconv"
)

// Strategy selects one of the partitioning schemes of Dynamo §6.2.
type Strategy int

const (
	// Strategy1 gives each node T random tokens; ranges lie between
	// consecutive tokens, so partitioning and placement are one thing.
	Strategy1 Strategy = 1
	// Strategy2 keeps T random tokens per node but cuts the space into Q
	// equal partitions; tokens only order the nodes that hold a partition.
	Strategy2 Strategy = 2
	// Strategy3 cuts the space into Q equal partitions and gives each node
	// Q/S of them; a node's tokens are the ends of its partitions.
	Strategy3 Strategy = 3
)

// String returns "1", "2" or "3", the same form ParseStrategy reads, so a
// Strategy round-trips through flags and config files.
func (s Strategy) String() string {
	return strconv.Itoa(int(s))
}

// valid reports whether s is one of the three strategies of the paper.
func (s Strategy) valid() bool {
	return s == Strategy1 || s == Strategy2 || s == Strategy3
}

// ParseStrategy reads "1", "2" or "3".
func ParseStrategy(s string) (Strategy, error) {
	switch s {
	case "1":
		return Strategy1, nil
	case "2":
		return Strategy2, nil
	case "3":
		return Strategy3, nil
	}
	return 0, fmt.Errorf("%w: strategy %q: want 1, 2 or 3", ErrInvalidParams, s)
}
