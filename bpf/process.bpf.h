/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * process.*: exec (the sched_process_exec hook for successes, sys_exit_execve* for failures),
 * fork, exit, ptrace and chdir.
 */

#include "headers/vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "lib/creds.h"
#include "lib/exe.h"
#include "lib/maps.h"
#include "lib/path.h"
#include "lib/record.h"
#include "lib/str.h"
#include "lib/submit.h"
#include "lib/verdict.h"
#include "lib/regs.h"
#include "lib/syscall.h"
#include "lib/uapi.h"

/* Kernels before 6.15 name kernfs_node's parent "parent" (now "__parent"). */
struct kernfs_node___old {
	struct kernfs_node___old *parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	return (void *)BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

static __always_inline int exec_record(struct task_struct *p, struct linux_binprm *bprm)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u32 tgid = t->tgid;
	if (tgid == self_tgid)
		return 0;
	struct scratch *s = get_scratch();
	if (!s)
		return 0;

	struct file *f = bprm->file;
	__u32 w = walk(s, BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt));

	if (have_excl) {
		/* An exec re-decides exclusion from the new image: an excluded process that runs
		 * something else is traced again. */
		__u32 len = WALK_LEN(w);
		if (len > PREFIX_BYTES)
			len = PREFIX_BYTES;
		s->key.prefixlen = len * 8;
		bpf_probe_read_kernel(s->key.data, len & (PREFIX_BYTES * 2 - 1), s->walk);
		if (bpf_map_lookup_elem(&excl_prefixes, &s->key)) {
			__u8 one = 1;
			bpf_map_update_elem(&excluded, &tgid, &one, BPF_ANY);
			return 0;
		}
		bpf_map_delete_elem(&excluded, &tgid);
	}
	if (track_creds)
		remember_creds(t, tgid); /* setuid binaries and file capabilities change them here */
	if (!(emit_mask & (1ULL << K_PROCESS_EXEC)))
		return 0;

	__u16 nr = current_nr(t);
	if (nr != NR_EXECVE && nr != NR_EXECVEAT)
		nr = NO_SYSCALL; /* a kernel thread's exec (usermode helper) */
	fill_hdr(s, t, K_PROCESS_EXEC, nr, 0);
	s->h.a[0] = BPF_CORE_READ(bprm, argc);
	s->h.a[1] = AT_FDCWD;
	s->h.a[2] = task_vpid(p);
	s->h.hflags |= exe_flags(f);
	put_walk(s, SLOT_PATH, w);
	put_cwd(s, SLOT_PATH_BASE);
	put_kstr(s, SLOT_PATH2, BPF_CORE_READ(bprm, filename), max_path);

	struct mm_struct *mm = p->mm;
	if (mm) {
		/* The environment (NAME=VALUE strings, NUL-separated, as argv) goes in the slot a
		 * success does not use otherwise; the slots are read in order, so it is written
		 * before argv. max_env_bytes 0 (the receiver's capture off) copies nothing. */
		put_urange(s, SLOT_PATH2_BASE, BPF_CORE_READ(mm, env_start), BPF_CORE_READ(mm, env_end),
			   max_env_bytes);
		put_urange(s, SLOT_X, BPF_CORE_READ(mm, arg_start), BPF_CORE_READ(mm, arg_end),
			   max_arg_bytes);
	}

	struct kernfs_node *kn = BPF_CORE_READ(p, cgroups, dfl_cgrp, kn);
	if (kn) {
		/* "<parent>/<leaf>": the leaf names the container for the systemd driver
		 * (docker-<id>.scope), the parent tells the cgroupfs driver's (docker/<id>). */
		struct kernfs_node *parent = kn_parent(kn);
		__u16 l1 = 0;
		if (parent && kn_parent(parent)) {
			int start = put_kstr(s, SLOT_Y, BPF_CORE_READ(parent, name), NAME_MAX);
			if (start >= 0 && s->pos <= TAIL_START_MASK) {
				s->tail[TAIL_AT(s->pos)] = '/';
				s->pos += 1;
				l1 = s->h.slen[SLOT_Y] + 1;
			} else {
				/* could not write the separator: the parent alone, marked cut */
				s->h.trunc |= 1 << SLOT_Y;
				return submit(s);
			}
		}
		s->h.slen[SLOT_Y] = 0;
		put_kstr(s, SLOT_Y, BPF_CORE_READ(kn, name), NAME_MAX);
		s->h.slen[SLOT_Y] += l1;
	}
	return submit(s);
}

/* An exec changes the lineage of the caller's descendants (lib/verdict.h): counted after the
 * record is in the ring. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	exec_record(p, bprm);
	if (has_children(bpf_get_current_task_btf()))
		lineage_changed();
	return 0;
}

/* A failed exec's argv is read from the caller's array: at most EXEC_ARGV_MAX pointers. */
#define EXEC_ARGV_MAX 32

/* Failed execs (successful ones are written by on_exec). */
static __always_inline int exec_failed(struct sys_exit_args *ctx, struct task_struct *t, int dirfd, const void *fname, const void *const *argv)
{
	if (ctx->ret == 0)
		return 0;
	struct scratch *s = begin(ctx, t, K_PROCESS_EXEC);
	if (!s)
		return 0;
	s->h.a[1] = dirfd;
	put_path(s, SLOT_PATH, dirfd, fname);

	/* argv from the caller's array: bounded count and bytes. */
	__u32 start = s->pos, budget = clamp_max(max_arg_bytes), used = 0, argc = 0;
	if (argv && start <= TAIL_START_MASK) {
		for (int i = 0; i < EXEC_ARGV_MAX; i++) {
			const char *a = NULL;
			if (bpf_probe_read_user(&a, sizeof(a), &argv[i]) || !a)
				break;
			argc++;
			__u32 pos = start + used;
			if (used >= budget || pos > TAIL_START_MASK) {
				s->h.trunc |= 1 << SLOT_X;
				break;
			}
			__u32 room = budget - used;
			if (room > STR_MAX)
				room = STR_MAX;
			long n = bpf_probe_read_user_str(&s->tail[TAIL_AT(pos)], room, a);
			if (n <= 0)
				break;
			used += n; /* keeps the NUL as the separator */
			if (n == room) {
				s->h.trunc |= 1 << SLOT_X;
				break;
			}
		}
		if (used > STR_MAX)
			used = STR_MAX;
		s->h.slen[SLOT_X] = used;
		s->pos = start + used;
	}
	if (argc == EXEC_ARGV_MAX)
		s->h.trunc |= 1 << SLOT_X; /* there may be more */
	s->h.a[0] = argc;
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_execve")
int exit_execve(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return exec_failed(ctx, t, AT_FDCWD, (void *)ARG0(r), (void *)ARG1(r));
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int exit_execveat(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return exec_failed(ctx, t, (int)ARG0(r), (void *)ARG1(r), (void *)ARG2(r));
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ctgid = child->tgid;
	if (child->pid != ctgid)
		return 0; /* a thread */
	struct task_struct *t = bpf_get_current_task_btf();
	__u32 ptgid = t->tgid;
	if (have_excl && bpf_map_lookup_elem(&excluded, &ptgid)) {
		__u8 one = 1;
		bpf_map_update_elem(&excluded, &ctgid, &one, BPF_ANY);
		return 0;
	}
	if (track_creds)
		remember_creds(t, ctgid); /* the child starts with the parent's (current's) creds */
	if (ptgid == self_tgid || !(emit_mask & (1ULL << K_PROCESS_FORK)))
		return 0;
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	fill_hdr(s, t, K_PROCESS_FORK, current_nr(t), ctgid);
	s->h.a[0] = ctgid;
	s->h.a[1] = task_vpid(parent);
	return submit(s);
}

static __always_inline int exit_record(struct task_struct *p)
{
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0; /* not the last thread */
	__u32 tgid = p->tgid;
	/* before the pid can be reused */
	bpf_map_delete_elem(&open_class, &tgid);
	if (track_creds)
		bpf_map_delete_elem(&creds, &tgid);
	if (have_excl && bpf_map_lookup_elem(&excluded, &tgid)) {
		bpf_map_delete_elem(&excluded, &tgid);
		return 0;
	}
	if (tgid == self_tgid || !(emit_mask & (1ULL << K_PROCESS_EXIT)))
		return 0;
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	fill_hdr(s, bpf_get_current_task_btf(), K_PROCESS_EXIT, NO_SYSCALL, 0);
	s->h.a[0] = (__u32)p->exit_code;
	return submit(s);
}

/* The exit of a process with children changes their lineage (the kernel gives them another
 * parent): counted after the exit's record is in the ring (lib/verdict.h). */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	exit_record(p);
	if (BPF_CORE_READ(p, signal, live.counter) == 0 && has_children(p))
		lineage_changed();
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_ptrace")
int exit_ptrace(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct scratch *s = begin(ctx, t, K_PROCESS_PTRACE);
	if (!s)
		return 0;
	struct pt_regs *r = uregs(t);
	s->h.a[0] = ARG0(r);
	s->h.a[1] = ARG1(r);
	s->h.a[2] = ARG2(r);
	return submit(s);
}

/* chdir and fchdir: the working directory a success moved to, so that the receiver's process
 * table follows it (reading the cwd for every record instead would cost a path walk each);
 * for a failure, the directory asked for. a0: fchdir's fd, or AT_FDCWD for chdir. */
static __always_inline int do_chdir(struct sys_exit_args *ctx, struct task_struct *t, int fd, const void *path)
{
	struct scratch *s = begin(ctx, t, K_PROCESS_CHDIR);
	if (!s)
		return 0;
	s->h.a[0] = (__u64)(__s64)fd;
	if (ctx->ret == 0)
		put_cwd(s, SLOT_PATH);
	else if (fd == AT_FDCWD)
		put_path(s, SLOT_PATH, AT_FDCWD, path);
	else
		put_file_path(s, SLOT_PATH, fd_file(fd));
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_chdir")
int exit_chdir(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_chdir(ctx, t, AT_FDCWD, (void *)ARG0(r));
}

SEC("tracepoint/syscalls/sys_exit_fchdir")
int exit_fchdir(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_chdir(ctx, t, (int)ARG0(r), NULL);
}
