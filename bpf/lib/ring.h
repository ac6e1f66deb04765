/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ring buffer the records go out through, and the per-CPU count of records it had no
 * room for. Shared with the benchmark object (benchbpf/bench.bpf.c), whose baseline program
 * writes to a ring of the same kind.
 */
#ifndef OTELSEC_RING_H
#define OTELSEC_RING_H

#include "../headers/vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* rewritten at load */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

static __always_inline void count_drop(void)
{
	__u32 zero = 0;
	__u64 *d = bpf_map_lookup_elem(&drops, &zero);
	if (d)
		*d += 1;
}

#endif
