package sim

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dynamo-replay/dynamo/checks"
	"github.com/dynamo-replay/dynamo/core"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// Minimisation (issue 3, item 4). A sweep finds a failing seed; rapid finds
// and shrinks a failing list of actions. Each rapid case builds a five-node
// (3,2,2) cluster through the Driver and runs a list of actions drawn by
// rapid: client operations (get, put, read-modify-write, delete; each
// waiting for its answer or left running) on a few keys, and nemesis actions
// (partition, isolate, heal, crash, restart, advance the clock). One drawn
// seed drives everything the actions leave to the simulator (latencies,
// message loss, routing, what a crash keeps), so when a case fails, rapid
// shrinks the action list itself, down to the few actions that matter.
//
// At the end of a case every fault heals, the replicas converge, and the
// history goes through checks.Run: every must-hold check must pass. A
// failure prints the shrunk action list with each operation's outcome, and
// rapid writes it as a fail file under testdata/rapid/TestMinimizeActions/,
// which every later run replays first. The committed fail files are cases
// that failed with a planted bug: they pass on the real core, and keep
// passing, or this test says which one broke.
//
//	go test ./sim -run TestMinimizeActions                        # the CI run (fail files, then minimizeChecks cases)
//	go test ./sim -run TestMinimizeActions -rapid.checks=2000     # a longer search
//	go test ./sim -run TestMinimizeActions -rapid.steps=100       # longer action lists (30 on average by default)
//	go test ./sim -run TestMinimizeActions -rapid.v               # every drawn action, fail-file replays included
//	DYNAMO_PLANT_BUG=dropsibling go test ./sim -run TestMinimizeActions   # plant a bug: fails, shrinks, writes a fail file
//
// The committed fail files, testdata/rapid/TestMinimizeActions/
// TestMinimizeActions-<bug>.fail, were made that way, one per bug (with the
// other files moved aside: a committed case that already fails with the bug
// is replayed first, and rapid then writes nothing new), and renamed from
// rapid's timestamped names; rapid replays every TestMinimizeActions-*.fail.
// A fail file records rapid's draws, not the actions: if the actions or their
// generators change, delete the files and make new ones the same way.

// plantBugEnv names a planted bug (plantableBugs) for TestMinimizeActions.
// It is read by this file only, so that a fail file can be made on purpose.
const plantBugEnv = "DYNAMO_PLANT_BUG"

var plantableBugs = map[string]core.Bugs{
	"ackbeforepersist": {AckBeforePersist: true},
	"dropsibling":      {DropSibling: true},
	"wrongmerge":       {WrongMerge: true},
	"droprepair":       {DropRepair: true},
	"corruptvalue":     {CorruptValue: true},
	"hintdeleteearly":  {HintDeleteEarly: true},
	"stalerepair":      {StaleRepair: true},
	"aeskiprange":      {AESkipRange: true},
	"stalemembership":  {StaleMembership: true},
}

const (
	minNodes   = 5
	minClients = 3
	minMaxDown = 2 // crashes leave a majority up, as the nemesis does
	// caseMarker starts the log line that names a case's drawn actions; fail
	// files keep it in their header, which is how TestMinimizeActions proves
	// that it replayed them.
	caseMarker = "minimize case: "
	// minSeeds is how many seeds a case draws its one seed from. Few bits
	// keep shrinking fast: rapid minimises every drawn number bit by bit, in
	// time quadratic in its width, and each try is a whole simulation.
	minSeeds = 1 << 16
)

// minimizeConfig is the scenario every case runs: the default cluster and
// network (with message loss, duplication and reordering), a few keys,
// crashes that may tear the last log record. The ring has 32 partitions
// instead of 256: plenty for six keys, and it makes booting a case's five
// nodes (most of a short case's cost) three times cheaper, which shrinking,
// at thousands of cases, needs.
func minimizeConfig(seed uint64, keys int) Config {
	cfg := DefaultConfig(seed)
	cfg.Nodes = minNodes
	cfg.Workload.Keys = keys
	cfg.Faults.TornWrites = true
	cfg.Ring.Q = 32
	return cfg
}

// minimizeCase is one rapid case: the driver and the model of what the
// actions did, which decides the actions' preconditions. The model depends on
// the drawn actions only, never on what the simulation answered, so that one
// list of draws is one list of actions whatever the core does.
type minimizeCase struct {
	d       *Driver
	seed    uint64
	keys    int
	down    []bool
	cut     bool
	steps   []string // the actions as drawn: the case's signature
	log     []string // the actions with what the sync operations returned
	checked int      // history entries the invariant has looked at
}

func (m *minimizeCase) signature() string {
	return fmt.Sprintf("seed=%d keys=%d | %s", m.seed, m.keys, strings.Join(m.steps, " | "))
}

func (m *minimizeCase) record(t *rapid.T, step, outcome string, err error) {
	m.steps = append(m.steps, step)
	if outcome != "" {
		step += " -> " + outcome
	}
	m.log = append(m.log, step)
	if err != nil {
		t.Fatalf("%s: %v\nactions:\n%s", step, err, m.actionList())
	}
}

func (m *minimizeCase) actionList() string {
	var b strings.Builder
	for i, s := range m.log {
		fmt.Fprintf(&b, "  %2d. %s\n", i+1, s)
	}
	return b.String()
}

func (m *minimizeCase) nodesWhere(down bool) []int {
	var out []int
	for id := 1; id <= minNodes; id++ {
		if m.down[id] == down {
			out = append(out, id)
		}
	}
	return out
}

// describeOps says what an operation returned, as the failure report prints it.
func describeOps(ops []checks.Op) string {
	var parts []string
	for _, op := range ops {
		switch op.Kind {
		case checks.Get:
			if op.Outcome == checks.Ok {
				parts = append(parts, fmt.Sprintf("get %v", op.Values))
			} else {
				parts = append(parts, "get "+string(op.Outcome))
			}
		default:
			s := fmt.Sprintf("%s %s %s", op.Kind, op.Value, op.Outcome)
			if len(op.Covers) > 0 {
				s += fmt.Sprintf(" (covers %v)", op.Covers)
			}
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}

func (m *minimizeCase) clientOp(op ClientOp) func(*rapid.T) {
	return func(t *rapid.T) {
		c := rapid.IntRange(0, minClients-1).Draw(t, "client")
		k := rapid.IntRange(0, m.keys-1).Draw(t, "key")
		async := rapid.Bool().Draw(t, "async") // shrinks to false: waiting is simpler to read
		step := fmt.Sprintf("%s c%d k%d", op, c, k)
		if async {
			step += " async"
			m.record(t, step, "", m.d.Start(c, op, k))
			return
		}
		ops, err := m.d.Do(c, op, k)
		m.record(t, step, describeOps(ops), err)
	}
}

func (m *minimizeCase) actions() map[string]func(*rapid.T) {
	return map[string]func(*rapid.T){
		"get":    m.clientOp(ClientGet),
		"put":    m.clientOp(ClientPut),
		"rmw":    m.clientOp(ClientRMW),
		"delete": m.clientOp(ClientDelete),
		"partition": func(t *rapid.T) {
			side := rapid.SliceOfNDistinct(rapid.IntRange(1, minNodes), 1, minNodes-1, rapid.ID[int]).Draw(t, "side")
			sort.Ints(side)
			m.cut = true
			m.record(t, fmt.Sprintf("partition %v", side), "", m.d.Partition(side))
		},
		"isolate": func(t *rapid.T) {
			id := rapid.IntRange(1, minNodes).Draw(t, "node")
			m.cut = true
			m.record(t, fmt.Sprintf("isolate n%d", id), "", m.d.Isolate(id))
		},
		"heal": func(t *rapid.T) {
			if !m.cut {
				t.Skip("no partition to heal")
			}
			m.cut = false
			m.record(t, "heal", "", m.d.Heal())
		},
		"crash": func(t *rapid.T) {
			if len(m.nodesWhere(true)) >= minMaxDown {
				t.Skip("a minority is down already")
			}
			id := rapid.SampledFrom(m.nodesWhere(false)).Draw(t, "node")
			m.down[id] = true
			m.record(t, fmt.Sprintf("crash n%d", id), "", m.d.Crash(id))
		},
		"restart": func(t *rapid.T) {
			down := m.nodesWhere(true)
			if len(down) == 0 {
				t.Skip("no node is down")
			}
			id := rapid.SampledFrom(down).Draw(t, "node")
			m.down[id] = false
			m.record(t, fmt.Sprintf("restart n%d", id), "", m.d.Restart(id))
		},
		"advance": func(t *rapid.T) {
			ms := rapid.IntRange(10, 2000).Draw(t, "ms")
			m.record(t, fmt.Sprintf("advance %dms", ms), "", m.d.Advance(time.Duration(ms)*time.Millisecond))
		},
		"": m.invariants,
	}
}

// invariants run around every action, so they stay cheap: the driver has not
// failed, nodes are up exactly as the actions left them, every read returned
// only values some write issued, and every replica holds only such values.
func (m *minimizeCase) invariants(t *rapid.T) {
	d := m.d
	if err := d.Err(); err != nil {
		t.Fatalf("driver: %v\nactions:\n%s", err, m.actionList())
	}
	for id := 1; id <= minNodes; id++ {
		if d.Up(id) == m.down[id] {
			t.Fatalf("node %d up=%v, but the actions left it down=%v\nactions:\n%s", id, d.Up(id), m.down[id], m.actionList())
		}
		for k := 0; k < m.keys; k++ {
			for _, v := range d.Values(id, k) {
				if !d.Issued(v) {
					t.Fatalf("node %d holds %q for key %d, which no write issued\nactions:\n%s", id, v, k, m.actionList())
				}
			}
		}
	}
	ops := d.History().Ops
	for ; m.checked < len(ops); m.checked++ {
		for _, v := range ops[m.checked].Values {
			if !d.Issued(v) {
				t.Fatalf("op #%d read %q, which no write issued\nactions:\n%s", m.checked, v, m.actionList())
			}
		}
	}
}

// minimizeProperty is one rapid case with bug planted in every node. seen, if
// set, receives every case's signature, failing cases included.
func minimizeProperty(bug core.Bugs, seen func(signature string, steps int)) func(*rapid.T) {
	return func(t *rapid.T) {
		m := &minimizeCase{
			seed: rapid.Uint64Range(0, minSeeds-1).Draw(t, "seed"),
			keys: rapid.IntRange(3, 6).Draw(t, "keys"),
			down: make([]bool, minNodes+1),
		}
		defer func() {
			// Also when the case fails: this line is in a fail file's header.
			t.Logf("%s%s", caseMarker, m.signature())
			if seen != nil {
				seen(m.signature(), len(m.steps))
			}
		}()
		if bug != (core.Bugs{}) {
			t.Logf("planted bug: %+v", bug)
		}
		cfg := minimizeConfig(m.seed, m.keys)
		cfg.Bugs = bug
		var err error
		if m.d, err = NewDriver(cfg); err != nil {
			t.Fatalf("NewDriver: %v", err)
		}
		t.Repeat(m.actions())

		res, err := m.d.Finish()
		if err != nil {
			t.Fatalf("finish: %v\nactions:\n%s", err, m.actionList())
		}
		// Porcupine only where the configuration promises linearizability:
		// elsewhere it is informational, and the slowest check by far.
		rep := checks.Run(res.History, checks.Options{SkipLinearizability: !res.History.Expect.Linearizable})
		if rep.Failed() {
			var b strings.Builder
			_ = rep.WriteText(&b)
			t.Fatalf("a must-hold check failed after %d actions (seed %d, %d keys, trace %s):\n%s%s",
				len(m.steps), m.seed, m.keys, res.TraceHex(), m.actionList(), b.String())
		}
	}
}

// plantedFromEnv returns the bug DYNAMO_PLANT_BUG names, if any.
func plantedFromEnv(t *testing.T) (core.Bugs, string) {
	name := strings.ToLower(os.Getenv(plantBugEnv))
	if name == "" {
		return core.Bugs{}, ""
	}
	bug, ok := plantableBugs[name]
	if !ok {
		var names []string
		for n := range plantableBugs {
			names = append(names, n)
		}
		sort.Strings(names)
		t.Fatalf("%s=%q: want one of %s", plantBugEnv, name, strings.Join(names, ", "))
	}
	return bug, name
}

// minimizeChecks is how many random cases a plain `go test` runs (rapid's
// default is 100; a case costs about a millisecond); -rapid.checks or
// RAPID_CHECKS overrides it.
const minimizeChecks = 500

// rapidDefault sets one of rapid's flags (name without "rapid.") to value for
// the duration of the test, unless the command line (-rapid.name) or the
// environment (RAPID_NAME) chose it.
func rapidDefault(t *testing.T, name, value string) {
	chosen := false
	flag.Visit(func(f *flag.Flag) { chosen = chosen || f.Name == "rapid."+name })
	if _, env := os.LookupEnv("RAPID_" + strings.ToUpper(name)); env || chosen {
		return
	}
	setRapidFlag(t, name, value)
}

// setRapidFlag sets one of rapid's flags for the duration of the test. rapid
// v1.3.0 has no per-test settings; it reads its flags at every Check.
func setRapidFlag(t *testing.T, name, value string) {
	f := flag.Lookup("rapid." + name)
	require.NotNil(t, f, "rapid's -rapid.%s flag is not registered", name)
	old := f.Value.String()
	require.NoError(t, f.Value.Set(value))
	t.Cleanup(func() { _ = f.Value.Set(old) })
}

// failFileCase returns the signature a fail file's header records: the
// output of the failing case, which the property logged.
func failFileCase(t *testing.T, path string) string {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	sig := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "#") {
			break
		}
		if i := strings.Index(line, caseMarker); i >= 0 {
			sig = line[i+len(caseMarker):]
		}
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, sig, "%s: no %q line in its header", path, caseMarker)
	return sig
}

// TestMinimizeActions is the rapid stateful test: first every fail file under
// testdata/rapid/TestMinimizeActions/ (cases that once failed), then random
// cases. With DYNAMO_PLANT_BUG set it plants that bug, fails, shrinks, and
// writes a new fail file.
func TestMinimizeActions(t *testing.T) {
	bug, bugName := plantedFromEnv(t)
	rapidDefault(t, "checks", fmt.Sprint(minimizeChecks))
	files, err := filepath.Glob(filepath.Join("testdata", "rapid", t.Name(), t.Name()+"-*.fail"))
	require.NoError(t, err)
	if bugName != "" {
		t.Logf("planted bug %q in every node: this run should fail and write a fail file", bugName)
	}

	var ran []string
	steps := 0
	start := time.Now()
	rapid.Check(t, minimizeProperty(bug, func(sig string, n int) {
		ran = append(ran, sig)
		steps += n
	}))
	t.Logf("%d cases (%d fail files first), %d actions, in %s", len(ran), len(files), steps, time.Since(start).Round(time.Millisecond))

	// rapid replays the fail files first, and says nothing when they pass.
	// Each must have replayed the very case it recorded: a file that no
	// longer does (a changed action set or generator) protects nothing.
	first := len(files)
	if f := flag.Lookup("rapid.failfile"); f != nil && f.Value.String() != "" {
		first++ // -rapid.failfile runs before them
	}
	first = min(first, len(ran))
	for _, path := range files {
		want := failFileCase(t, path)
		if !slices.Contains(ran[:first], want) {
			t.Errorf("fail file %s did not replay its case (were the actions or their generators changed?)\n"+
				"  recorded: %s\nDelete it and make a new one by planting the bug it caught, e.g.\n"+
				"  %s=dropsibling go test ./sim -run TestMinimizeActions", path, want, plantBugEnv)
			continue
		}
		t.Logf("replayed %s: %s", filepath.Base(path), want)
	}
}

// recordingTB is a rapid.TB that records instead of failing, so that a test
// can run rapid.Check on a property it expects to fail and look at what rapid
// did: its verdict, and (through the property's own callback) the shrunk case,
// which is the last case rapid runs.
type recordingTB struct {
	name   string
	logs   []string
	errors []string
	failed bool
}

func (r *recordingTB) Helper()                    {}
func (r *recordingTB) Name() string               { return r.name }
func (r *recordingTB) Logf(f string, args ...any) { r.logs = append(r.logs, fmt.Sprintf(f, args...)) }
func (r *recordingTB) Log(args ...any)            { r.logs = append(r.logs, fmt.Sprint(args...)) }
func (r *recordingTB) Errorf(f string, args ...any) {
	r.failed = true
	r.errors = append(r.errors, fmt.Sprintf(f, args...))
}
func (r *recordingTB) Error(args ...any)            { r.Errorf("%s", fmt.Sprint(args...)) }
func (r *recordingTB) Fatalf(f string, args ...any) { r.Errorf(f, args...) }
func (r *recordingTB) Fatal(args ...any)            { r.Error(args...) }
func (r *recordingTB) FailNow()                     { r.failed = true }
func (r *recordingTB) Fail()                        { r.failed = true }
func (r *recordingTB) Failed() bool                 { return r.failed }
func (r *recordingTB) Skipf(f string, args ...any) {
	panic("recordingTB: skip: " + fmt.Sprintf(f, args...))
}
func (r *recordingTB) Skip(args ...any) { panic("recordingTB: skip: " + fmt.Sprint(args...)) }
func (r *recordingTB) SkipNow()         { panic("recordingTB: skip") }

// TestMinimizeFindsPlantedBug shows that minimisation works: with a bug
// planted, rapid must find a failing case and shrink it to a handful of
// actions, and the fail file it writes (here in a temporary directory) must
// replay the failure first thing on the next run, and pass without the bug.
//
// rapid's seed is pinned (plantedRapidSeed) so that the search and the
// shrinking are the same on every run: the sim is deterministic, and so is
// rapid given its seed, as long as shrinking ends before -rapid.shrinktime
// (30s). -rapid.seed=N (0: random) explores other starting cases:
//
//	go test ./sim -run TestMinimizeFindsPlantedBug -v -rapid.seed=0
//
// On this 2-core machine, rapid seeds 1 to 4 shrank dropsibling to 3 actions
// in 3 to 10 s, and wrongmerge to 3 to 5 actions in 2 to 13 s.
func TestMinimizeFindsPlantedBug(t *testing.T) {
	rapidDefault(t, "seed", fmt.Sprint(plantedRapidSeed))
	// A bound in case a change to the core makes shrinking slower (rapid's
	// default is 30s per failure): what is shrunk by then is still short.
	rapidDefault(t, "shrinktime", "15s")
	for _, tc := range []struct {
		bug      string
		maxSteps int
	}{
		// Two blind writes make siblings; a read-modify-write whose read
		// returned one of them overwrites both: no_lost_writes.
		{"dropsibling", 15},
		// A replica that replaces its siblings instead of merging loses a
		// concurrent write, or keeps replicas apart.
		{"wrongmerge", 15},
	} {
		t.Run(tc.bug, func(t *testing.T) {
			// rapid writes its fail file under ./testdata/rapid: keep it out
			// of the source tree.
			t.Chdir(t.TempDir())
			bug := plantableBugs[tc.bug]
			var last string
			var lastSteps, cases int
			prop := minimizeProperty(bug, func(sig string, n int) { last, lastSteps, cases = sig, n, cases+1 })

			rec := &recordingTB{name: "Planted_" + tc.bug}
			start := time.Now()
			rapid.Check(rec, prop)
			took := time.Since(start)
			require.True(t, rec.failed, "rapid found no failing case with %s planted", tc.bug)
			report := strings.Join(rec.errors, "\n")
			require.Contains(t, report, "[rapid] failed after")
			require.Contains(t, report, "a must-hold check failed")
			// The last case rapid ran is its final replay of the shrunk case.
			t.Logf("rapid found the %s failure and shrank it to %d actions in %s (%d cases run):\n  %s\n%s",
				tc.bug, lastSteps, took.Round(time.Millisecond), cases, last, report)
			require.LessOrEqual(t, lastSteps, tc.maxSteps, "the shrunk case is too long: %s", last)
			shrunk := last

			// The fail file replays first on the next run, and fails at once.
			files, err := filepath.Glob(filepath.Join("testdata", "rapid", rec.name, "*.fail"))
			require.NoError(t, err)
			require.Len(t, files, 1)
			require.Equal(t, shrunk, failFileCase(t, files[0]))
			var ran []string
			seen := func(sig string, _ int) { ran = append(ran, sig) }
			again := &recordingTB{name: rec.name}
			rapid.Check(again, minimizeProperty(bug, seen))
			require.True(t, again.failed)
			require.Contains(t, strings.Join(again.errors, "\n"), "[rapid] failed after 0 tests")
			require.Equal(t, shrunk, ran[0], "the fail file's case ran first")

			// Without the bug the same case passes.
			setRapidFlag(t, "checks", "1")
			ran = nil
			clean := &recordingTB{name: rec.name}
			rapid.Check(clean, minimizeProperty(core.Bugs{}, seen))
			require.False(t, clean.failed, "%v", clean.errors)
			require.Equal(t, shrunk, ran[0])
		})
	}
}

// plantedRapidSeed is the rapid seed TestMinimizeFindsPlantedBug starts from:
// of seeds 1 to 4, the one whose shrinking is quickest for both bugs (about
// 3 s for dropsibling, 2 s for wrongmerge, here).
const plantedRapidSeed = 4
