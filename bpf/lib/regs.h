/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Finding the current task's saved user registers (the syscall's arguments, syscall.h's ARG*)
 * with as few helper calls as the kernel allows. Not in syscall.h, which the benchmark object
 * shares: these globals would be the baseline's too.
 */
#ifndef OTELSEC_REGS_H
#define OTELSEC_REGS_H

#include "../headers/vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "syscall.h"

/* bpf_rdonly_cast (a kfunc, Linux 6.2+) gives a pointer of a BTF type that a program may load
 * from (each load checked, like a field of a BTF pointer); the verifier turns the call into a
 * register move. Weak: on a kernel without it the loader leaves regs_cast 0 and the call is
 * never reached. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/* regs_cast: the loader found bpf_rdonly_cast in the kernel (and the programs loaded with it);
 * 0: every uregs asks bpf_task_pt_regs. */
volatile const __u32 regs_cast = 0;

/* regs_off: where a task's saved user registers are from its stack, task_pt_regs(t) - t->stack,
 * which on x86-64 is a constant of the kernel build (THREAD_SIZE, the stack top's padding):
 * learned from the first answer of bpf_task_pt_regs (one per object; a race writes the same
 * value), 0 until then. */
__u64 regs_off = 0;

/* The learned offset is within the stack (THREAD_SIZE is at most 64 KiB on x86-64);
 * anything else is not trusted and bpf_task_pt_regs keeps answering. */
#define REGS_OFF_MAX (1 << 16)

/* uregs: the current task t's saved user registers (t must be current). The helper call is
 * paid once per object: after that, t->stack + regs_off, which is what task_pt_regs computes. */
static __always_inline struct pt_regs *uregs(struct task_struct *t)
{
	if (!regs_cast)
		return (struct pt_regs *)bpf_task_pt_regs(t);
	__u64 stack = (__u64)t->stack;
	__u64 off = regs_off;
	if (!off || off > REGS_OFF_MAX) {
		/* Pointers as numbers: r - t is one (a privileged program may subtract pointers),
		 * and bpf_get_current_task is t's address as one. */
		__u64 r = (__u64)bpf_task_pt_regs(t);
		__u64 at = r - (__u64)t + bpf_get_current_task();
		off = at - stack;
		if (off && off <= REGS_OFF_MAX)
			regs_off = off;
		return bpf_rdonly_cast((void *)at, bpf_core_type_id_kernel(struct pt_regs));
	}
	return bpf_rdonly_cast((void *)(stack + off), bpf_core_type_id_kernel(struct pt_regs));
}

/* current_nr: the syscall the current task t is in (for the sched hooks, which lack it). */
static __always_inline __u16 current_nr(struct task_struct *t)
{
	struct pt_regs *r = uregs(t);
	return (__u16)r->orig_ax;
}

#endif
