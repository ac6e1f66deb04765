/* SPDX-License-Identifier: GPL-2.0-only */
/* privilege.*: the set*id family and capset, each with the credentials before the call. */

#include "headers/vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "lib/creds.h"
#include "lib/maps.h"
#include "lib/record.h"
#include "lib/submit.h"
#include "lib/regs.h"
#include "lib/syscall.h"

static __always_inline int do_setid(struct sys_exit_args *ctx, struct task_struct *t, __u16 kind, int nargs)
{
	struct scratch *s = begin(ctx, t, kind);
	if (!s)
		return 0;
	struct pt_regs *r = uregs(t);
	s->h.a[0] = (__u32)ARG0(r);
	s->h.a[1] = nargs > 1 ? (__u32)ARG1(r) : ID_UNCHANGED;
	s->h.a[2] = nargs > 2 ? (__u32)ARG2(r) : ID_UNCHANGED;
	s->h.a[5] = nargs;
	__u32 tgid = s->h.pid;
	struct pre_creds *pc = bpf_map_lookup_elem(&creds, &tgid);
	if (pc) {
		s->h.a[3] = kind == K_PRIVILEGE_SETUID ? pc->uid : pc->gid;
		s->h.a[4] = kind == K_PRIVILEGE_SETUID ? pc->euid : pc->egid;
	} else {
		s->h.a[3] = ID_UNCHANGED;
		s->h.a[4] = ID_UNCHANGED;
		s->h.hflags |= HFLAG_OLD_UNKNOWN;
	}
	remember_creds(t, tgid);
	return submit(s);
}

#define SETID(name, kind, nargs)                                                                                       \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                                                    \
	int exit_##name(struct sys_exit_args *ctx)                                                                     \
	{                                                                                                              \
		return do_setid(ctx, bpf_get_current_task_btf(), kind, nargs);                                         \
	}

SETID(setuid, K_PRIVILEGE_SETUID, 1)
SETID(setreuid, K_PRIVILEGE_SETUID, 2)
SETID(setresuid, K_PRIVILEGE_SETUID, 3)
SETID(setfsuid, K_PRIVILEGE_SETUID, 1)
SETID(setgid, K_PRIVILEGE_SETGID, 1)
SETID(setregid, K_PRIVILEGE_SETGID, 2)
SETID(setresgid, K_PRIVILEGE_SETGID, 3)
SETID(setfsgid, K_PRIVILEGE_SETGID, 1)

SEC("tracepoint/syscalls/sys_exit_capset")
int exit_capset(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct scratch *s = begin(ctx, t, K_PRIVILEGE_CAPSET);
	if (!s)
		return 0;
	struct pt_regs *r = uregs(t);
	/* Two struct __user_cap_data_struct {effective, permitted, inheritable} (the 64-bit
	 * capability versions): the low 32 capabilities, then the high. vmlinux.h's struct would
	 * make each field a CO-RE relocation against the kernel's type; this is user ABI. */
	__u32 d[6] = {};
	bpf_probe_read_user(d, sizeof(d), (void *)ARG1(r));
	s->h.a[0] = d[0] | (__u64)d[3] << 32; /* effective */
	s->h.a[1] = d[1] | (__u64)d[4] << 32; /* permitted */
	__u32 tgid = s->h.pid;
	struct pre_creds *pc = bpf_map_lookup_elem(&creds, &tgid);
	if (pc) {
		s->h.a[3] = pc->cap_eff;
	} else {
		s->h.hflags |= HFLAG_OLD_UNKNOWN;
	}
	remember_creds(t, tgid);
	return submit(s);
}
