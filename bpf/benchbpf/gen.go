// Package benchbpf holds the benchmark-only eBPF object (bench.bpf.c): the baseline program
// the kernel benchmarks compare the production programs against. It is a package of its own
// so that only the benchmarks embed it. Regenerate with `go generate ./bpf/...`, as package bpf.
package benchbpf

//go:generate go tool bpf2go -cc clang-16 -target amd64 -cflags "-O2 -g -Wall -Werror -D__TARGET_ARCH_x86" -no-global-types Bench bench.bpf.c -- -I/usr/include/x86_64-linux-gnu
