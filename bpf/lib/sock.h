/* SPDX-License-Identifier: GPL-2.0-only */
/* Sockets: the socket behind a descriptor, its family/type/protocol, and its addresses. */
#ifndef OTELSEC_SOCK_H
#define OTELSEC_SOCK_H

#include "../headers/vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "maps.h"
#include "path.h"
#include "str.h"
#include "uapi.h"

/* Socket address sizes, from the UAPI structs. */
#define SIN_ADDR_LEN ((int)__builtin_offsetof(struct sockaddr_in, __pad)) /* family, port, address */
#define SUN_FAMILY_LEN ((int)__builtin_offsetof(struct sockaddr_un, sun_path)) /* an unnamed socket */
#define SUN_ADDR_MAX ((int)sizeof(struct sockaddr_un)) /* the most a unix_address holds */
#define SOCKADDR_MAX ((int)sizeof(struct __kernel_sockaddr_storage))

static __always_inline struct socket *fd_socket(int fd)
{
	struct file *f = fd_file(fd);
	if (!f)
		return NULL;
	__u16 mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return NULL;
	return BPF_CORE_READ(f, private_data);
}

/* sock_info puts family/type/protocol of the socket in a[1..3]. */
static __always_inline struct sock *sock_info(struct scratch *s, struct socket *so)
{
	if (!so)
		return NULL;
	struct sock *sk = BPF_CORE_READ(so, sk);
	s->h.a[2] = (__u16)BPF_CORE_READ(so, type);
	if (!sk)
		return NULL;
	s->h.a[1] = BPF_CORE_READ(sk, __sk_common.skc_family);
	s->h.a[3] = BPF_CORE_READ(sk, sk_protocol);
	return sk;
}

/* put_sock_addr appends the local (peer=0) or remote (peer=1) address of sk to slot, as a
 * struct sockaddr_{in,in6,un}. */
static __always_inline void put_sock_addr(struct scratch *s, int slot, struct sock *sk, int peer)
{
	if (!sk)
		return;
	__u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	struct sockaddr_in6 *sa = &s->sa;
	if (fam == AF_INET) {
		struct sockaddr_in *in = (void *)sa;
		in->sin_family = AF_INET;
		if (peer) {
			in->sin_port = BPF_CORE_READ(sk, __sk_common.skc_dport);
			in->sin_addr.s_addr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		} else {
			__u16 p = BPF_CORE_READ(sk, __sk_common.skc_num);
			in->sin_port = bpf_htons(p);
			in->sin_addr.s_addr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		}
		put_kbytes(s, slot, in, SIN_ADDR_LEN);
	} else if (fam == AF_INET6) {
		sa->sin6_family = AF_INET6;
		sa->sin6_flowinfo = 0;
		sa->sin6_scope_id = 0;
		if (peer) {
			sa->sin6_port = BPF_CORE_READ(sk, __sk_common.skc_dport);
			BPF_CORE_READ_INTO(&sa->sin6_addr, sk, __sk_common.skc_v6_daddr);
		} else {
			__u16 p = BPF_CORE_READ(sk, __sk_common.skc_num);
			sa->sin6_port = bpf_htons(p);
			BPF_CORE_READ_INTO(&sa->sin6_addr, sk, __sk_common.skc_v6_rcv_saddr);
		}
		put_kbytes(s, slot, sa, sizeof(*sa));
	} else if (fam == AF_UNIX) {
		struct unix_sock *u = (void *)sk;
		if (peer) {
			u = (void *)BPF_CORE_READ(u, peer);
			if (!u)
				return;
		}
		struct unix_address *ua = BPF_CORE_READ(u, addr);
		if (!ua) {
			/* unnamed: family only */
			sa->sin6_family = AF_UNIX;
			put_kbytes(s, slot, sa, SUN_FAMILY_LEN);
			return;
		}
		int len = BPF_CORE_READ(ua, len);
		if (len < SUN_FAMILY_LEN)
			return;
		if (len > SUN_ADDR_MAX)
			len = SUN_ADDR_MAX;
		put_kbytes(s, slot, &ua->name[0], len);
	}
}

/* put_user_sockaddr appends a sockaddr the caller passed. */
static __always_inline void put_user_sockaddr(struct scratch *s, int slot, const void *uaddr, __u64 len)
{
	if (len > SOCKADDR_MAX)
		len = SOCKADDR_MAX;
	put_ubytes(s, slot, uaddr, (__u32)len, 0);
}

#endif
