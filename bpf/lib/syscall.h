/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a syscalls:sys_exit_* program sees: the tracepoint's record (number and return value)
 * and, for the arguments, the task's saved user registers (x86-64 syscall convention; regs.h
 * finds them).
 */
#ifndef OTELSEC_SYSCALL_H
#define OTELSEC_SYSCALL_H

#include "../headers/vmlinux.h"
#include <bpf/bpf_helpers.h>

struct sys_exit_args {
	__u64 common;
	__s32 nr;
	__s32 pad;
	__s64 ret;
};

#define ARG0(r) ((r)->di)
#define ARG1(r) ((r)->si)
#define ARG2(r) ((r)->dx)
#define ARG3(r) ((r)->r10)
#define ARG4(r) ((r)->r8)
#define ARG5(r) ((r)->r9)

/* asm/unistd_64.h: the syscalls that exec (the sched_process_exec hook also runs for a kernel
 * thread's exec, which comes from neither). */
#define NR_EXECVE 59
#define NR_EXECVEAT 322

#endif
