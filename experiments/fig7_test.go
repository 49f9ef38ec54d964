package experiments

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/dynamo-replay/dynamo/core/ring"
)

// TestFig7 checks that the run draws three rings and that the A, B, C it
// labels are ring.PreferenceForKey("k1") on the ring rebuilt from the CSV's
// token table.
func TestFig7(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		res, err := runFig7(Quick, seed, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Figures) != 3 {
			t.Fatalf("seed %d: %d figures, want 3", seed, len(res.Figures))
		}
		for i, f := range res.Figures {
			if want := fmt.Sprintf("s%d", i+1); f.Name != want || f.Plot == nil {
				t.Errorf("seed %d: figure %d is %q (plot %v), want %q", seed, i, f.Name, f.Plot != nil, want)
			}
		}
		for _, p := range fig7Params {
			strategy := p.Strategy.String()
			tokens := map[ring.NodeID][]ring.Token{}
			role := map[string]ring.NodeID{}
			for _, row := range res.Rows {
				if row[0] != strategy {
					continue
				}
				id, err := strconv.Atoi(row[1])
				if err != nil {
					t.Fatal(err)
				}
				tok := parseToken(t, row[2])
				tokens[ring.NodeID(id)] = append(tokens[ring.NodeID(id)], tok)
				if row[4] != "" {
					if _, dup := role[row[4]]; dup {
						t.Errorf("seed %d strategy %s: role %s twice", seed, strategy, row[4])
					}
					role[row[4]] = ring.NodeID(id)
				}
			}
			var members []ring.Member
			for id := range ring.NodeID(fig7Nodes) {
				members = append(members, ring.Member{ID: id, Tokens: tokens[id]})
			}
			r, err := ring.New(p, members)
			if err != nil {
				t.Fatalf("seed %d strategy %s: rebuilding the ring from the CSV: %v", seed, strategy, err)
			}
			pref := r.PreferenceForKey(fig7Key, nil)[:fig7N]
			var names []string
			for k, id := range pref {
				name := string(rune('A' + k))
				if got, ok := role[name]; !ok || got != id {
					t.Errorf("seed %d strategy %s: CSV role %s is node %d (present %v), PreferenceForKey gives node %d", seed, strategy, name, got, ok, id)
				}
				names = append(names, fmt.Sprintf("%s=node %d", name, id))
			}
			want := fmt.Sprintf("Strategy %s: k1 at", strategy)
			found := false
			for _, n := range res.Notes {
				if strings.HasPrefix(n, want) {
					found = true
					if !strings.Contains(n, strings.Join(names, ", ")) {
						t.Errorf("seed %d: note %q does not name %v", seed, n, names)
					}
				}
			}
			if !found {
				t.Errorf("seed %d: no note for strategy %s", seed, strategy)
			}
		}
	}
}

func parseToken(t *testing.T, s string) ring.Token {
	t.Helper()
	if len(s) != 32 {
		t.Fatalf("token %q: want 32 hex digits", s)
	}
	hi, err1 := strconv.ParseUint(s[:16], 16, 64)
	lo, err2 := strconv.ParseUint(s[16:], 16, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("token %q: %v %v", s, err1, err2)
	}
	return ring.Token{Hi: hi, Lo: lo}
}
