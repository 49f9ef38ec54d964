# The commands a newcomer needs are `make test` and `make sim`; the rest serve
# CI, benchmarks and longer runs.
GO      ?= go
SEED    ?= 1
# A count, not a duration: Go 1.26's fuzz coordinator can fail a target with
# "context deadline exceeded" when a duration-based -fuzztime ends while a
# worker is busy (golang/go#75804, fixed in Go 1.27); a count has no deadline.
FUZZTIME ?= 20000x
SEEDS   ?= 1-10000
DYNAMO  := $(GO) run ./cmd/dynamo

.PHONY: test unit race fuzz lint sweeps experiments-quick sim sweep figures bench bench-cluster bench-recovery cluster build

## test: everything CI runs (unit, simulation and checker tests, race detector
## on disk/ and net/, a short fuzz of every decoder, lint, and 200-seed sweeps
## under the nemesis). Under 5 minutes on 2 cores.
test: lint unit race fuzz sweeps experiments-quick

unit:
	$(GO) test -count=1 ./...

race:
	$(GO) test -count=1 -race ./disk/... ./net/...

# Each fuzz target runs briefly from its committed seed corpus; failures are
# written under testdata/fuzz/ and replayed by every later `go test`.
fuzz:
	$(GO) test ./core/causality -run '^$$' -fuzz '^FuzzDecodeVersions$$' -fuzztime $(FUZZTIME)
	$(GO) test ./core/causality -run '^$$' -fuzz '^FuzzDecodeClock$$' -fuzztime $(FUZZTIME)
	$(GO) test ./core -run '^$$' -fuzz '^FuzzDecodeContext$$' -fuzztime $(FUZZTIME)
	$(GO) test ./disk -run '^$$' -fuzz '^FuzzRecover$$' -fuzztime $(FUZZTIME)
	$(GO) test ./net -run '^$$' -fuzz '^FuzzDecodeMessage$$' -fuzztime $(FUZZTIME)
	$(GO) test ./net -run '^$$' -fuzz '^FuzzReadFrame$$' -fuzztime $(FUZZTIME)

# The issue's expected results, 200 seeds each under the full nemesis: the
# default profile keeps every must-hold check (no invented value, no
# acknowledged write lost, convergence); the strict profile is linearizable.
sweeps:
	$(DYNAMO) sweep --seeds 1-200 --nemesis --ops 2000
	$(DYNAMO) sweep --seeds 1-200 --nemesis --ops 2000 --profile strict --nemesis-off join,leave

# Every experiment at quick scale (under 2 minutes), outputs thrown away: the
# shape tests in experiments/ assert the paper's claims on the same runs.
experiments-quick:
	out=$$(mktemp -d) && $(DYNAMO) experiment all --scale quick --out $$out && rm -rf $$out

## figures: every experiment at full scale (under 10 minutes), into the
## committed experiments/results/ and experiments/RESULTS.md.
figures:
	$(DYNAMO) experiment all --scale full --seed 1 --out experiments/results --results experiments/RESULTS.md

## sweep: the long sweep (SEEDS, default 1-10000) under the nemesis.
sweep:
	$(DYNAMO) sweep --seeds $(SEEDS) --nemesis --ops 2000

## lint: gofmt and go vet.
lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## sim: the default scenario at SEED (make sim SEED=42).
sim:
	$(GO) run ./cmd/dynamo sim --seed $(SEED)

## bench: simulator throughput (simulated client ops per wall-clock second).
bench:
	$(GO) test ./sim -run '^$$' -bench . -benchtime 10x

## bench-cluster: 3 local node processes with (3,2,2) and durable writes, 50
## clients, 100-byte values: puts and gets per second with p50, p99 and
## p99.9; then one node with N=1 for reference. About 45 seconds.
bench-cluster: build
	./dynamo bench cluster

## bench-recovery: one node loaded with a million 100-byte values: resident
## memory, then SIGKILL and the time it takes to come back. About 2 minutes.
bench-recovery: build
	./dynamo bench recovery

## cluster: a local 3-node cluster on ports 8001-8003; Ctrl-C stops it.
cluster: build
	./dynamo cluster --nodes 3

build:
	$(GO) build -o dynamo ./cmd/dynamo
