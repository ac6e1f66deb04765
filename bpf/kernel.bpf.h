/* SPDX-License-Identifier: GPL-2.0-only */
/* kernel.*: module load and unload, and bpf(2) commands that load or attach. Included once, by otelsec.bpf.c. */

#include "headers/vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "lib/path.h"
#include "lib/record.h"
#include "lib/str.h"
#include "lib/submit.h"
#include "lib/syscall.h"

SEC("tracepoint/syscalls/sys_exit_init_module")
int exit_init_module(struct sys_exit_args *ctx)
{
	struct scratch *s = begin(ctx, K_KERNEL_MODULE_LOAD);
	if (!s)
		return 0;
	struct pt_regs *r = uregs();
	s->h.a[0] = (__u64)-1;
	put_ustr(s, SLOT_X, (void *)ARG2(r), 1024);
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_finit_module")
int exit_finit_module(struct sys_exit_args *ctx)
{
	struct scratch *s = begin(ctx, K_KERNEL_MODULE_LOAD);
	if (!s)
		return 0;
	struct pt_regs *r = uregs();
	int fd = ARG0(r);
	s->h.a[0] = (__u64)(__s64)fd;
	s->h.a[1] = ARG2(r);
	put_file_path(s, SLOT_PATH, fd_file(fd));
	put_ustr(s, SLOT_X, (void *)ARG1(r), 1024);
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_delete_module")
int exit_delete_module(struct sys_exit_args *ctx)
{
	struct scratch *s = begin(ctx, K_KERNEL_MODULE_UNLOAD);
	if (!s)
		return 0;
	struct pt_regs *r = uregs();
	s->h.a[0] = ARG1(r);
	put_ustr(s, SLOT_X, (void *)ARG0(r), 64);
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_bpf")
int exit_bpf(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	__u32 cmd = ARG0(r);
	const void *attr = (void *)ARG1(r);
	__u32 type = 0;
	const void *name = NULL;

	switch (cmd) {
	case 0: /* BPF_MAP_CREATE: map_type @0, map_name @28 */
		name = attr + 28;
		break;
	case 5: /* BPF_PROG_LOAD: prog_type @0, prog_name @48 */
		name = attr + 48;
		break;
	case 8:  /* BPF_PROG_ATTACH: attach_type @8 */
	case 28: /* BPF_LINK_CREATE: attach_type @8 */
		attr += 8;
		break;
	case 17: /* BPF_RAW_TRACEPOINT_OPEN */
	case 18: /* BPF_BTF_LOAD */
		break;
	default:
		return 0; /* lookups, iteration, queries: not loads */
	}
	struct scratch *s = begin(ctx, K_KERNEL_BPF);
	if (!s)
		return 0;
	bpf_probe_read_user(&type, sizeof(type), attr);
	s->h.a[0] = cmd;
	s->h.a[1] = cmd == 17 || cmd == 18 ? 0 : type;
	if (cmd == 17) {
		__u64 p = 0;
		bpf_probe_read_user(&p, sizeof(p), attr);
		put_ustr(s, SLOT_X, (void *)p, 128);
	} else if (name) {
		put_ustr(s, SLOT_X, name, 15);
	}
	return submit(s);
}
