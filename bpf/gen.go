// Package bpf holds the otelsec eBPF programs (otelsec.bpf.c, record layout in headers/record.h)
// and their bpf2go output, committed so that building the collector needs no clang.
// Regenerate with `go generate ./bpf/...` (clang-16, libbpf headers).
package bpf

//go:generate go tool bpf2go -cc clang-16 -target amd64 -cflags "-O2 -g -Wall -Werror -D__TARGET_ARCH_x86" -no-global-types Otelsec otelsec.bpf.c -- -I/usr/include/x86_64-linux-gnu
