# graphprofile: every target a newcomer needs. `make test` runs every test.
GO ?= go
NPM ?= npm

.PHONY: test build check postgres-check chromium fuzz bench compat clean release image image-test

# Every test, with the race detector, after formatting and vet checks. The
# JavaScript client tests (cmd/graphprofile) need the pinned client and
# playwright-core from compat/js/package-lock.json, installed fresh by npm
# ci, and the browser test Debian's Chromium (the chromium target). The
# PostgreSQL store's tests (postgres/) start a throwaway cluster from
# PostgreSQL's binaries (/usr/lib/postgresql/<version>/bin or PATH), or use
# the server GRAPHPROFILE_TEST_POSTGRES=postgres://… names; without either
# make test stops first with one message (postgres-check). Then the SQLite
# store's tests again with the pure-Go driver of static builds (-tags
# purego; no race detector, for time): its package and the binary's kill -9
# and SIGTERM tests. Last, without the race detector, whose memory is not
# theirs, the tests of an export's and an import's peak memory.
test: postgres-check check chromium
	$(NPM) ci --prefix compat/js --no-audit --no-fund --loglevel=error
	$(GO) test -race -count=1 ./...
	$(GO) test -count=1 -tags purego ./sqlite/...
	$(GO) test -count=1 -tags purego -run '^(TestKillDurability|TestSIGTERMUnderLoad)$$' ./cmd/graphprofile
	$(GO) test -count=1 -run '^(TestExportMemory|TestUsersImportMemory)$$' ./cmd/graphprofile

# Debian's Chromium for the browser test (TestBrowser drives it through
# playwright-core), installed with apt-get when it is missing: as root, or
# through sudo.
CHROMIUM := /usr/bin/chromium
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		sudo=""; if [ "$$(id -u)" -ne 0 ]; then sudo=sudo; fi; \
		echo "installing Debian's chromium for the browser test"; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
	fi

# One message saying how to provide PostgreSQL when the PostgreSQL tests
# would find no server, instead of the same failure from each of them
# (built, then run: go run would add a line of its own).
postgres-check:
	@$(GO) build -o bin/pgcheck ./postgres/pgtest/pgcheck
	@bin/pgcheck

build:
	$(GO) build -o bin/graphprofile ./cmd/graphprofile

# The checks include the static build (CGO_ENABLED=0, the pure-Go SQLite
# driver), so that a change that only builds with cgo fails here, and vet
# (which type-checks every package and its tests) for macOS and Windows, the
# release's other systems, so that a Linux-only call (syscall.Kill, Flock,
# Pdeathsig, Mkfifo) outside a file of its own fails here, not in make
# release: about 2 minutes the first time (every dependency compiled for
# each), seconds once cached. Without cgo, as scripts/release builds them
# (with CGO_ENABLED=1 in the environment, as .ci/run sets it, Go would look
# for a C cross-compiler).
check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags purego ./sqlite/... ./cmd/graphprofile/...
	CGO_ENABLED=0 $(GO) build -o /dev/null ./cmd/graphprofile
	CGO_ENABLED=0 GOOS=darwin $(GO) vet ./...
	CGO_ENABLED=0 GOOS=windows $(GO) vet ./...

# Long fuzzing runs (make test runs the fuzz seed corpora as ordinary tests).
FUZZTIME ?= 2m
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzDecodeBody$$' -fuzztime=$(FUZZTIME) .
	$(GO) test -run='^$$' -fuzz='^FuzzDecodeBodyEveryType$$' -fuzztime=$(FUZZTIME) .
	$(GO) test -run='^$$' -fuzz='^FuzzStoredWideYear$$' -fuzztime=$(FUZZTIME) .
	$(GO) test -run='^$$' -fuzz='^FuzzMergePatch$$' -fuzztime=$(FUZZTIME) .
	$(GO) test -run='^$$' -fuzz='^FuzzETagListed$$' -fuzztime=$(FUZZTIME) .
	$(GO) test -run='^$$' -fuzz='^FuzzParseFixtures$$' -fuzztime=$(FUZZTIME) .
	$(GO) test -run='^$$' -fuzz='^FuzzJSONReaderOracle$$' -fuzztime=$(FUZZTIME) .
	$(GO) test -run='^$$' -fuzz='^FuzzCreatePosition$$' -fuzztime=$(FUZZTIME) ./graphapi
	$(GO) test -run='^$$' -fuzz='^FuzzServeRequest$$' -fuzztime=$(FUZZTIME) ./graphapi
	$(GO) test -run='^$$' -fuzz='^FuzzParseFaults$$' -fuzztime=$(FUZZTIME) ./graphapi
	$(GO) test -run='^$$' -fuzz='^FuzzParseBatch$$' -fuzztime=$(FUZZTIME) ./graphapi
	$(GO) test -run='^$$' -fuzz='^FuzzRedactCredentials$$' -fuzztime=$(FUZZTIME) ./graphapi
	$(GO) test -run='^$$' -fuzz='^FuzzRedactedPasswords$$' -fuzztime=$(FUZZTIME) ./graphapi
	$(GO) test -run='^$$' -fuzz='^FuzzPreferredMaxPageSize$$' -fuzztime=$(FUZZTIME) ./graphapi
	$(GO) test -run='^$$' -fuzz='^FuzzAcceptsGzip$$' -fuzztime=$(FUZZTIME) ./graphapi
	$(GO) test -run='^$$' -fuzz='^FuzzForwarded$$' -fuzztime=$(FUZZTIME) ./graphapi
	$(GO) test -run='^$$' -fuzz='^FuzzCORSOrigins$$' -fuzztime=$(FUZZTIME) ./graphapi
	$(GO) test -run='^$$' -fuzz='^FuzzParseFaultHeader$$' -fuzztime=$(FUZZTIME) ./graphapi
	$(GO) test -run='^$$' -fuzz='^FuzzParseThrottleLimit$$' -fuzztime=$(FUZZTIME) ./graphapi
	$(GO) test -run='^$$' -fuzz='^FuzzAuthenticate$$' -fuzztime=$(FUZZTIME) ./token
	$(GO) test -run='^$$' -fuzz='^FuzzParseJWKS$$' -fuzztime=$(FUZZTIME) ./token
	$(GO) test -run='^$$' -fuzz='^FuzzClaims$$' -fuzztime=$(FUZZTIME) ./token
	$(GO) test -run='^$$' -fuzz='^FuzzOIDCIssuerURL$$' -fuzztime=$(FUZZTIME) ./token
	$(GO) test -run='^$$' -fuzz='^FuzzParseFilter$$' -fuzztime=$(FUZZTIME) ./odata
	$(GO) test -run='^$$' -fuzz='^FuzzParseOrderBy$$' -fuzztime=$(FUZZTIME) ./odata
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./odata
	$(GO) test -run='^$$' -fuzz='^FuzzSkipToken$$' -fuzztime=$(FUZZTIME) ./odata
	$(GO) test -run='^$$' -fuzz='^FuzzFilterAlgebra$$' -fuzztime=$(FUZZTIME) ./odata
	$(GO) test -run='^$$' -fuzz='^FuzzRedactHidesThePassword$$' -fuzztime=$(FUZZTIME) ./cmd/graphprofile
	$(GO) test -run='^$$' -fuzz='^FuzzImportReader$$' -fuzztime=$(FUZZTIME) ./cmd/graphprofile
	$(GO) test -run='^$$' -fuzz='^FuzzParseStore$$' -fuzztime=$(FUZZTIME) ./cmd/graphprofile
	$(GO) test -run='^$$' -fuzz='^FuzzParseWriterCounters$$' -fuzztime=$(FUZZTIME) ./cmd/graphprofile-bench

# The official Microsoft Graph Go SDK against the server (compat/gosdk, its
# own module: its first build takes minutes and gigabytes of memory).
compat:
	cd compat/gosdk && $(GO) test -count=1 ./...

# Throughput and latency of every workload against a bare net/http ceiling,
# alternating (several minutes; never part of test). Knobs, as variables or
# in the environment: PAIRS, DURATION, WARMUP, CONNECTIONS, USERS, POSITIONS,
# and WORKLOADS (default: create update get list mixed profile; lopsided on request). See BENCHMARKS.md.
WORKLOADS ?=
bench:
	GO=$(GO) scripts/bench $(WORKLOADS)

# Release binaries for linux, darwin and windows on amd64 and arm64, static
# (CGO_ENABLED=0), version-stamped from git, with SHA-256 checksums, in dist/.
release:
	GO=$(GO) scripts/release

# The container image (Containerfile: the static binary FROM scratch), built
# with podman (CONTAINER=docker for docker); image-test builds it and checks
# its configuration and the binary in it (podman only).
image:
	GO=$(GO) scripts/image

image-test:
	GO=$(GO) scripts/image-test

clean:
	rm -rf bin dist
