//go:build ignore

// SPDX-License-Identifier: GPL-2.0-only
/*
 * The benchmark baseline (receiver/syscallreceiver/internal/kernel/bench_linux_test.go): the
 * cost of writing one 256-byte record to a ring like the production one, with nothing else.
 * A separate object, so that the collector never embeds or loads it.
 */
#include "../headers/vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "../lib/ring.h"
#include "../lib/syscall.h"

char LICENSE[] SEC("license") = "GPL";

#define BASELINE_RECORD 256

SEC("tracepoint/syscalls/sys_exit_openat")
int bench_baseline(struct sys_exit_args *ctx)
{
	void *p = bpf_ringbuf_reserve(&events, BASELINE_RECORD, 0);
	if (!p) {
		count_drop(RING_BULK);
		return 0;
	}
	((__u64 *)p)[0] = bpf_ktime_get_boot_ns();
	((__u64 *)p)[1] = ctx->ret;
	bpf_ringbuf_submit(p, BPF_RB_NO_WAKEUP);
	return 0;
}
