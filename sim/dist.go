package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Dist is a distribution of durations.
type Dist struct {
	// Kind is "const", "uniform", "exp" or "lognormal".
	Kind string
	// Min is added to every sample.
	Min time.Duration
	// Scale is the constant, the uniform range's width, the exponential's mean,
	// or the lognormal's median (all above Min).
	Scale time.Duration
	// Sigma is the lognormal's shape: 0.5 is tame, 1 has a long tail.
	Sigma float64
	// Max caps every sample (0: no cap), so one unlucky draw cannot stall a run.
	Max time.Duration
}

// Sample draws one duration in nanoseconds.
func (d Dist) Sample(r *rand.Rand) int64 {
	var x float64
	switch d.Kind {
	case "const":
		x = float64(d.Scale)
	case "uniform":
		x = r.Float64() * float64(d.Scale)
	case "exp":
		x = r.ExpFloat64() * float64(d.Scale)
	case "lognormal":
		x = float64(d.Scale) * math.Exp(d.Sigma*r.NormFloat64())
	default:
		panic("sim: unknown distribution " + d.Kind)
	}
	v := int64(d.Min) + int64(x)
	if d.Max > 0 && v > int64(d.Max) {
		v = int64(d.Max)
	}
	return v
}

// Validate reports what is wrong with a distribution.
func (d Dist) Validate() error {
	switch d.Kind {
	case "const", "uniform", "exp":
	case "lognormal":
		if d.Sigma < 0 || d.Sigma > 4 {
			return fmt.Errorf("lognormal sigma %g, want 0..4", d.Sigma)
		}
	default:
		return fmt.Errorf("unknown distribution %q (want const, uniform, exp or lognormal)", d.Kind)
	}
	if d.Min < 0 || d.Scale < 0 || d.Max < 0 {
		return fmt.Errorf("negative duration in %s", d)
	}
	return nil
}

func (d Dist) String() string {
	s := fmt.Sprintf("%s:%s+%s", d.Kind, d.Min, d.Scale)
	if d.Kind == "lognormal" {
		s += fmt.Sprintf(",sigma=%g", d.Sigma)
	}
	if d.Max > 0 {
		s += fmt.Sprintf(",max=%s", d.Max)
	}
	return s
}

// ParseDist parses "kind:min+scale[,sigma=S][,max=D]", the form String prints,
// e.g. "lognormal:200us+300us,sigma=0.8,max=1s".
func ParseDist(s string) (Dist, error) {
	kind, rest, ok := strings.Cut(s, ":")
	if !ok {
		return Dist{}, fmt.Errorf("distribution %q: want kind:min+scale", s)
	}
	parts := strings.Split(rest, ",")
	minS, scaleS, ok := strings.Cut(parts[0], "+")
	if !ok {
		return Dist{}, fmt.Errorf("distribution %q: want min+scale after the colon", s)
	}
	d := Dist{Kind: kind}
	var err error
	if d.Min, err = time.ParseDuration(minS); err != nil {
		return Dist{}, fmt.Errorf("distribution %q: min: %w", s, err)
	}
	if d.Scale, err = time.ParseDuration(scaleS); err != nil {
		return Dist{}, fmt.Errorf("distribution %q: scale: %w", s, err)
	}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(p, "=")
		switch k {
		case "sigma":
			if d.Sigma, err = strconv.ParseFloat(v, 64); err != nil {
				return Dist{}, fmt.Errorf("distribution %q: sigma: %w", s, err)
			}
		case "max":
			if d.Max, err = time.ParseDuration(v); err != nil {
				return Dist{}, fmt.Errorf("distribution %q: max: %w", s, err)
			}
		default:
			return Dist{}, fmt.Errorf("distribution %q: unknown option %q", s, k)
		}
	}
	return d, d.Validate()
}
