/* SPDX-License-Identifier: GPL-2.0-only */
/* kernel.*: module load and unload, and the bpf(2) commands that load or attach. */

#include "headers/vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "lib/path.h"
#include "lib/record.h"
#include "lib/str.h"
#include "lib/submit.h"
#include "lib/regs.h"
#include "lib/syscall.h"

/* String bounds: module parameters and names (MODULE_NAME_LEN is 64 - sizeof(long)) */
#define MODULE_PARAMS_MAX 1024
#define MODULE_NAME_MAX 64

/* bpf(2) takes a union bpf_attr from user memory; its layout is the UAPI's, so the kernel's
 * own definition in vmlinux.h gives the offsets. */
#define ATTR_OFF(field) __builtin_offsetof(union bpf_attr, field)
_Static_assert(ATTR_OFF(map_type) == 0 && ATTR_OFF(prog_type) == 0, "the type is the first word");
_Static_assert(ATTR_OFF(attach_type) == ATTR_OFF(link_create.attach_type), "one attach_type offset");
/* An object name: BPF_OBJ_NAME_LEN bytes with the NUL. */
#define BPF_NAME_MAX (sizeof(((union bpf_attr *)0)->map_name) - 1)
/* The bound of a raw tracepoint's name. */
#define RAW_TP_NAME_MAX 128

SEC("tracepoint/syscalls/sys_exit_init_module")
int exit_init_module(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct scratch *s = begin(ctx, t, K_KERNEL_MODULE_LOAD);
	if (!s)
		return 0;
	struct pt_regs *r = uregs(t);
	s->h.a[0] = (__u64)-1; /* no fd: the image is in memory */
	put_ustr(s, SLOT_X, (void *)ARG2(r), MODULE_PARAMS_MAX);
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_finit_module")
int exit_finit_module(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct scratch *s = begin(ctx, t, K_KERNEL_MODULE_LOAD);
	if (!s)
		return 0;
	struct pt_regs *r = uregs(t);
	int fd = ARG0(r);
	s->h.a[0] = (__u64)(__s64)fd;
	put_file_path(s, SLOT_PATH, fd_file(fd));
	put_ustr(s, SLOT_X, (void *)ARG1(r), MODULE_PARAMS_MAX);
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_delete_module")
int exit_delete_module(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct scratch *s = begin(ctx, t, K_KERNEL_MODULE_UNLOAD);
	if (!s)
		return 0;
	struct pt_regs *r = uregs(t);
	put_ustr(s, SLOT_X, (void *)ARG0(r), MODULE_NAME_MAX);
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_bpf")
int exit_bpf(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	__u32 cmd = ARG0(r);
	const void *attr = (void *)ARG1(r);
	__u32 type = 0;
	const void *name = NULL;

	/* a1: the map or program type, the first word of their attr */
	switch (cmd) {
	case BPF_MAP_CREATE:
		name = attr + ATTR_OFF(map_name);
		break;
	case BPF_PROG_LOAD:
		name = attr + ATTR_OFF(prog_name);
		break;
	case BPF_PROG_ATTACH:
	case BPF_LINK_CREATE:
	case BPF_RAW_TRACEPOINT_OPEN:
	case BPF_BTF_LOAD:
		break;
	default:
		return 0; /* lookups, iteration, queries: not loads */
	}
	struct scratch *s = begin(ctx, t, K_KERNEL_BPF);
	if (!s)
		return 0;
	s->h.a[0] = cmd;
	if (name) {
		bpf_probe_read_user(&type, sizeof(type), attr);
		s->h.a[1] = type;
	}
	if (cmd == BPF_RAW_TRACEPOINT_OPEN) {
		__u64 p = 0;
		bpf_probe_read_user(&p, sizeof(p), attr + ATTR_OFF(raw_tracepoint.name));
		put_ustr(s, SLOT_X, (void *)p, RAW_TP_NAME_MAX);
	} else if (name) {
		put_ustr(s, SLOT_X, name, BPF_NAME_MAX);
	}
	return submit(s);
}
