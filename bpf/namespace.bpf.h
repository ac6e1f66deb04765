/* SPDX-License-Identifier: GPL-2.0-only */
/* namespace.*: setns, unshare, and clones that create namespaces. */

#include "headers/vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "lib/record.h"
#include "lib/submit.h"
#include "lib/regs.h"
#include "lib/syscall.h"
#include "lib/uapi.h"

/* A clone with any of these creates namespaces. */
#define CLONE_NEW_MASK                                                                                                 \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |  \
	 CLONE_NEWTIME)

SEC("tracepoint/syscalls/sys_exit_setns")
int exit_setns(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct scratch *s = begin(ctx, t, K_NAMESPACE_SETNS);
	if (!s)
		return 0;
	struct pt_regs *r = uregs(t);
	s->h.a[0] = (__u64)(__s64)(int)ARG0(r);
	s->h.a[1] = ARG1(r);
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_unshare")
int exit_unshare(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct scratch *s = begin(ctx, t, K_NAMESPACE_UNSHARE);
	if (!s)
		return 0;
	struct pt_regs *r = uregs(t);
	s->h.a[0] = ARG0(r);
	return submit(s);
}

static __always_inline int do_clone_ns(struct sys_exit_args *ctx, struct task_struct *t, __u64 flags)
{
	if (!(flags & CLONE_NEW_MASK) || ctx->ret == 0)
		return 0; /* no new namespace, or the child's return */
	struct scratch *s = begin(ctx, t, K_NAMESPACE_UNSHARE);
	if (!s)
		return 0;
	s->h.a[0] = flags;
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_clone")
int exit_clone(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_clone_ns(ctx, t, ARG0(r));
}

SEC("tracepoint/syscalls/sys_exit_clone3")
int exit_clone3(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	__u64 flags = 0;
	bpf_probe_read_user(&flags, sizeof(flags), (void *)ARG0(r));
	return do_clone_ns(ctx, t, flags);
}
