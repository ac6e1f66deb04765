/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ring buffers the records go out through (enum ring: the bulk ring, and the priority ring
 * of the high-value kinds), and the per-CPU count, per ring, of records a ring had no room for.
 * Shared with the benchmark object (benchbpf/bench.bpf.c), whose baseline program writes to a
 * bulk ring of the same kind.
 */
#ifndef OTELSEC_RING_H
#define OTELSEC_RING_H

#include "../headers/vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "record.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* rewritten at load */
} events SEC(".maps");

/* drops[ring] */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NRINGS);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

static __always_inline void count_drop(__u32 ring)
{
	__u64 *d = bpf_map_lookup_elem(&drops, &ring);
	if (d)
		*d += 1;
}

#endif
