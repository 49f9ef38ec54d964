package ring_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/dynamo-replay/dynamo/core/ring"
)

// The output doubles as a golden check: a change to Assign or to the
// lookup conventions changes which nodes a seed picks, and would silently
// change every recorded simulation.
func Example() {
	p := ring.DefaultParams()
	members, err := ring.Assign(p, []ring.NodeID{1, 2, 3, 4, 5}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		panic(err)
	}
	r, err := ring.New(p, members)
	if err != nil {
		panic(err)
	}
	pref := r.PreferenceForKey("cart:7", make([]ring.NodeID, 0, r.Size()))
	fmt.Println("replicas:", pref[:3], "fallbacks:", pref[3:])
	fmt.Println("range:", r.RangeIndex(ring.HashKey("cart:7")), "of", r.NumRanges())
	fmt.Println("metadata entries:", r.MetadataSize())
	// Output:
	// replicas: [5 1 4] fallbacks: [2 3]
	// range: 203 of 256
	// metadata entries: 256
}
