/* SPDX-License-Identifier: GPL-2.0-only */
/* network.*: socket, connect, accept, bind, listen, and sends with a destination. */

#include "headers/vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "lib/record.h"
#include "lib/sock.h"
#include "lib/submit.h"
#include "lib/regs.h"
#include "lib/syscall.h"
#include "lib/uapi.h"

SEC("tracepoint/syscalls/sys_exit_socket")
int exit_socket(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct scratch *s = begin(ctx, t, K_NETWORK_SOCKET);
	if (!s)
		return 0;
	struct pt_regs *r = uregs(t);
	s->h.a[0] = ARG0(r);
	s->h.a[1] = ARG1(r);
	s->h.a[2] = ARG2(r);
	return submit(s);
}

/* network.* other than socket: a0 fd, a1..a3 family/type/protocol of the socket. */
SEC("tracepoint/syscalls/sys_exit_connect")
int exit_connect(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct scratch *s = begin(ctx, t, K_NETWORK_CONNECT);
	if (!s)
		return 0;
	struct pt_regs *r = uregs(t);
	int fd = ARG0(r);
	s->h.a[0] = (__u64)(__s64)fd;
	struct sock *sk = sock_info(s, fd_socket(fd));
	put_user_sockaddr(s, SLOT_X, (void *)ARG1(r), ARG2(r));
	if (ctx->ret == 0 || ctx->ret == -EINPROGRESS)
		put_sock_addr(s, SLOT_Y, sk, 0);
	return submit(s);
}

static __always_inline int do_accept(struct sys_exit_args *ctx, struct task_struct *t, __u64 flags)
{
	struct scratch *s = begin(ctx, t, K_NETWORK_ACCEPT);
	if (!s)
		return 0;
	struct pt_regs *r = uregs(t);
	int fd = ARG0(r);
	s->h.a[0] = (__u64)(__s64)fd;
	s->h.a[4] = flags;
	if (ctx->ret >= 0) {
		struct sock *sk = sock_info(s, fd_socket((int)ctx->ret));
		put_sock_addr(s, SLOT_X, sk, 1);
		put_sock_addr(s, SLOT_Y, sk, 0);
	} else {
		sock_info(s, fd_socket(fd));
	}
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int exit_accept(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	return do_accept(ctx, t, 0);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int exit_accept4(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_accept(ctx, t, ARG3(r));
}

SEC("tracepoint/syscalls/sys_exit_bind")
int exit_bind(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct scratch *s = begin(ctx, t, K_NETWORK_BIND);
	if (!s)
		return 0;
	struct pt_regs *r = uregs(t);
	int fd = ARG0(r);
	s->h.a[0] = (__u64)(__s64)fd;
	struct sock *sk = sock_info(s, fd_socket(fd));
	/* After a successful bind the socket holds the address as bound (the port the kernel
	 * chose for port 0); before, or on failure, the address asked for. */
	if (ctx->ret == 0 && sk)
		put_sock_addr(s, SLOT_Y, sk, 0);
	else
		put_user_sockaddr(s, SLOT_Y, (void *)ARG1(r), ARG2(r));
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_listen")
int exit_listen(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct scratch *s = begin(ctx, t, K_NETWORK_LISTEN);
	if (!s)
		return 0;
	struct pt_regs *r = uregs(t);
	int fd = ARG0(r);
	s->h.a[0] = (__u64)(__s64)fd;
	s->h.a[4] = (__u64)(__s64)(int)ARG1(r);
	struct sock *sk = sock_info(s, fd_socket(fd));
	put_sock_addr(s, SLOT_Y, sk, 0);
	return submit(s);
}

static __always_inline int do_send(struct sys_exit_args *ctx, struct task_struct *t, int fd, const void *uaddr, __u64 alen, __u64 flags)
{
	if (!uaddr)
		return 0; /* no destination: a send on a connected socket */
	struct scratch *s = begin(ctx, t, K_NETWORK_SEND);
	if (!s)
		return 0;
	s->h.a[0] = (__u64)(__s64)fd;
	s->h.a[4] = flags;
	sock_info(s, fd_socket(fd));
	put_user_sockaddr(s, SLOT_X, uaddr, alen);
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_sendto")
int exit_sendto(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_send(ctx, t, (int)ARG0(r), (void *)ARG4(r), ARG5(r), ARG3(r));
}

SEC("tracepoint/syscalls/sys_exit_sendmsg")
int exit_sendmsg(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	struct user_msghdr m = {};
	if (bpf_probe_read_user(&m, sizeof(m), (void *)ARG1(r)))
		return 0;
	return do_send(ctx, t, (int)ARG0(r), m.msg_name, (__u64)m.msg_namelen, ARG2(r));
}
