package checks
import ("fmt";"testing";"time";"math/rand/v2")
func TestPerfBig(t *testing.T){
	r := rand.New(rand.NewPCG(1,2))
	h := &History{}
	live := map[string][]string{}
	n := 0
	for i := 0; i < 200000; i++ {
		k := fmt.Sprintf("k%d", r.IntN(20))
		call := int64(i*10)
		if r.IntN(2)==0 { h.Ops = append(h.Ops, get(r.IntN(50), k, call, call+5, live[k]...)); continue }
		n++; v := fmt.Sprintf("v%d", n)
		h.Ops = append(h.Ops, put(r.IntN(50), k, v, call, call+5, live[k]...))
		live[k] = []string{v}
	}
	for k, vs := range live { h.Final = append(h.Final, final(k, vs...)) }
	for _, f := range []func(*History) Findings{NoLostWrites, StaleReads, NoInventedValues, Converged} {
		start := time.Now(); f(h); t.Logf("%v", time.Since(start))
	}
	start := time.Now(); CheckLinearizable(h, 0); t.Logf("porcupine %v", time.Since(start))
}
