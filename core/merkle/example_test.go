package merkle_test

import (
	"crypto/md5"
	"fmt"

	"github.com/dynamo-replay/dynamo/core/merkle"
)

// A node keeps one Tree per range it hosts, updating it as its store
// changes; here causality.Digest of each key's siblings is stood in for by
// an MD5 of the value.
func Example() {
	p := merkle.DefaultParams()
	a, b := merkle.New(p), merkle.New(p)
	for i := range 1000 {
		key := fmt.Sprintf("cart:%d", i)
		d := merkle.Hash(md5.Sum([]byte(key)))
		a.Set(key, d)
		b.Set(key, d)
	}
	b.Set("cart:7", merkle.Hash{1}) // b took a write a missed
	a.Delete("cart:9")              // a dropped a key b still has

	d := merkle.Compare(a, b)
	fmt.Println("push:", d.OnlyA, "pull:", d.OnlyB, "sync:", d.Differ)
	fmt.Printf("%d messages, %d hashes, %d keys compared, ~%d bytes\n",
		d.Stats.Rounds, d.Stats.HashesSent, d.Stats.KeysCompared, d.Stats.BytesEstimate)
	// Output:
	// push: [] pull: [cart:9] sync: [cart:7]
	// 5 messages, 81 hashes, 3 keys compared, ~1454 bytes
}

// One step of the protocol as a node runs it: the peer's message carries its
// children of a node both sides found different; the reply carries ours for
// the children that differ, one level down.
func ExampleDiffChildren() {
	p := merkle.Params{Fanout: 4, Depth: 2}
	mine, peer := merkle.New(p), merkle.New(p)
	mine.Set("x", merkle.Hash{1})
	peer.Set("x", merkle.Hash{2})

	theirs := peer.Children(0, 0) // arrives in a message
	for _, c := range merkle.DiffChildren(mine.Children(0, 0), theirs) {
		next := p.Child(0, c)
		fmt.Println("descend into level 1 node", next, "bucket of x is", mine.BucketOf("x"))
	}
	// Output:
	// descend into level 1 node 3 bucket of x is 15
}
