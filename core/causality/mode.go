package causality

import (
	"errors"
	"fmt"
	"strconv"
)

// Mode selects how versions record causality. It is fixed for a cluster's
// lifetime: versions made under one mode mean nothing to another.
type Mode uint8

const (
	DVV Mode = iota + 1
	VC
	LWW
)

// ErrUnknownMode wraps the error ParseMode returns, for errors.Is.
var ErrUnknownMode = errors.New("causality: unknown mode")

func (m Mode) String() string {
	switch m {
	case DVV:
		return "dvv"
	case VC:
		return "vc"
	case LWW:
		return "lww"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// ParseMode reads the names String prints, so that a mode can round-trip
// through flags and config files.
func ParseMode(s string) (Mode, error) {
	for _, m := range []Mode{DVV, VC, LWW} {
		if s == m.String() {
			return m, nil
		}
	}
	return 0, fmt.Errorf("%w %q (valid: dvv, vc, lww)", ErrUnknownMode, s)
}

func (m Mode) valid() bool { return m >= DVV && m <= LWW }

// DefaultVCMaxEntries is the paper's truncation threshold: "When the number
// of (node, counter) pairs in the vector clock reaches a threshold (say 10),
// the oldest pair is removed from the clock."
const DefaultVCMaxEntries = 10

// Options tunes a Mechanism.
type Options struct {
	_ struct{}

	// VCMaxEntries bounds the length of a vc clock; 0 means
	// DefaultVCMaxEntries. Truncation trades accuracy for size: an ancestor
	// whose entries were dropped can no longer be recognised and comes back as
	// a false sibling. dvv and lww ignore it, and dvv clocks grow with the
	// number of actors that ever coordinated a write to the key, the price of
	// never losing a concurrent write.
	VCMaxEntries int
}

// Mechanism is one mode with its options. It is a small value, safe to copy
// and to share; the zero Mechanism is not usable and panics, so that a
// forgotten New fails loudly instead of silently choosing a mode.
type Mechanism struct {
	mode  Mode
	vcMax int
}

// New panics on an invalid mode or a negative VCMaxEntries: both are
// configuration bugs that no run should survive.
func New(mode Mode, opts Options) Mechanism {
	if !mode.valid() {
		panic(fmt.Sprintf("causality: New with invalid mode %v", mode))
	}
	if opts.VCMaxEntries < 0 {
		panic(fmt.Sprintf("causality: New with negative VCMaxEntries %d", opts.VCMaxEntries))
	}
	limit := opts.VCMaxEntries
	if limit == 0 {
		limit = DefaultVCMaxEntries
	}
	return Mechanism{mode: mode, vcMax: limit}
}

func (m Mechanism) Mode() Mode { return m.mode }

func (m Mechanism) mustBeBuilt() {
	if !m.mode.valid() {
		panic("causality: zero Mechanism; build one with New")
	}
}
