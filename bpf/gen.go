// Package bpf holds the otelsec eBPF programs and their bpf2go output, committed so that
// building the collector needs no clang. otelsec.bpf.c is the one compiled source: it includes
// one <domain>.bpf.h per event domain, which use the helpers in lib/ (the record layout is
// lib/record.h). The benchmark-only object is in benchbpf.
// Regenerate with `go generate ./bpf/...` (clang-16, libbpf headers).
package bpf

//go:generate go tool bpf2go -cc clang-16 -target amd64 -cflags "-O2 -g -Wall -Werror -D__TARGET_ARCH_x86" -no-global-types Otelsec otelsec.bpf.c -- -I/usr/include/x86_64-linux-gnu
