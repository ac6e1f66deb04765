//go:build ignore

// SPDX-License-Identifier: GPL-2.0-only
/*
 * otelsec kernel programs: one record per security-relevant syscall, written at the syscall's
 * exit with its arguments and result (syscalls:sys_exit_<name> tracepoints; the arguments come
 * from the task's saved user registers), plus the scheduler hooks for exec, fork and exit.
 * Record layout: lib/record.h. Loaded and attached by receiver/syscallreceiver/internal/kernel,
 * which finds the programs by function name.
 *
 * bpf2go compiles one source into one object, and the programs share their maps and
 * configuration, so this file is that one source: it includes one file per event domain. The
 * domain files are headers (<domain>.bpf.h), not .c files, because they are not compiled on
 * their own; the shared helpers they use are in lib/.
 */
#include "headers/vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#include "process.bpf.h"
#include "file.bpf.h"
#include "network.bpf.h"
#include "privilege.bpf.h"
#include "namespace.bpf.h"
#include "kernel.bpf.h"

#include "lib/maps.h"
#include "lib/syscall.h"

/* ---- benchmark baseline: the cost of writing one 256-byte record ---- */
SEC("tracepoint/syscalls/sys_exit_openat")
int bench_baseline(struct sys_exit_args *ctx)
{
	void *p = bpf_ringbuf_reserve(&events, 256, 0);
	if (!p) {
		__u32 zero = 0;
		__u64 *d = bpf_map_lookup_elem(&drops, &zero);
		if (d)
			*d += 1;
		return 0;
	}
	((__u64 *)p)[0] = bpf_ktime_get_boot_ns();
	((__u64 *)p)[1] = ctx->ret;
	bpf_ringbuf_submit(p, BPF_RB_NO_WAKEUP);
	return 0;
}
