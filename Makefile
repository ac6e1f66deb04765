# otelsec - see README.md. Everything runs as root on Linux (the receiver loads eBPF programs).
GO        ?= go
BUILD     := _build
BIN       := $(BUILD)/otelcol-sec
CONFIG    ?= otelsec:default
FUZZTIME  ?= 10s
BENCHTIME ?= 1s

.PHONY: all build image run test unit fuzz bench generate mdatagen tracefs clean

all: build

# ocb generates the distribution from builder-config.yaml and compiles it; our components come
# from this checkout through a replace, so a rebuild after editing them takes seconds.
build:
	$(GO) tool builder --config builder-config.yaml

# The sensor's container image (deploy/Dockerfile: FROM scratch, the static binary, CA
# certificates), built with the local docker; no registry is needed.
IMAGE ?= otelsec/otelcol-sec:0.1.0
image: build
	mkdir -p $(BUILD)/image
	cp $(BIN) $(BUILD)/image/otelcol-sec
	cp /etc/ssl/certs/ca-certificates.crt $(BUILD)/image/ca-certificates.crt
	docker build -f deploy/Dockerfile -t $(IMAGE) $(BUILD)/image

# Runs the collector with the configuration embedded in the binary (config/default.yaml):
# kernel events -> default rules -> Falco-style alerts on stdout. Needs root.
# The garbage collector: with GOGC and GOMEMLIMIT unset the syscall receiver runs it at
# GOGC=400 within a heap budget (receiver/syscallreceiver/gc.go); `make run GOGC=100` chooses.
run: build tracefs
	$(BIN) --config $(CONFIG)

tracefs:
	@mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing || true

# Every test, the eBPF and end-to-end ones included (root), then each fuzz target briefly.
test: build tracefs unit fuzz

# -p 1: the eBPF tests of several packages each trace the whole machine; run side by side, one
# package's load lands in another's counts (drops, events seen).
unit:
	$(GO) vet ./...
	OTELSEC_BINARY=$(CURDIR)/$(BIN) $(GO) test -p 1 -count=1 -timeout 30m ./...

fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) ./scripts/fuzz-all.sh

# Benchmarks: figures are ratios against baselines measured in the same run (see README).
# test/bench's workloads build C (gcc, make) and serve HTTP with nginx; without them those
# benchmarks skip, saying so.
bench: build tracefs
	@command -v gcc >/dev/null && command -v make >/dev/null && { command -v nginx || test -x /usr/sbin/nginx; } >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcc make libc6-dev nginx) || \
	  echo "bench: could not install gcc, make, nginx; the workload benchmarks will skip"
	OTELSEC_BINARY=$(CURDIR)/$(BIN) $(GO) test -p 1 -count=1 -run '^$$' -bench . -benchtime $(BENCHTIME) -benchmem -timeout 60m ./...

# Rebuilds the committed bpf2go outputs; needs clang-16 (installed with apt if missing).
generate:
	@command -v clang-16 >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang-16 llvm-16 libbpf-dev bpftool)
	$(GO) generate ./bpf/...

# Regenerates each component's internal/metadata from its metadata.yaml.
mdatagen:
	@for f in receiver/*/metadata.yaml processor/*/metadata.yaml exporter/*/metadata.yaml; do \
	  (cd $$(dirname $$f) && $(GO) tool mdatagen metadata.yaml) || exit 1; done

clean:
	rm -rf $(BUILD)
