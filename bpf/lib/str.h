/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Appending strings and bytes to the tail of the record being built: each put_* stores into
 * one slot, sets its length, and marks it truncated when cut at a bound.
 */
#ifndef OTELSEC_STR_H
#define OTELSEC_STR_H

#include "../headers/vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "maps.h"

/* TAIL_AT masks a tail position after an optimisation barrier: clang would otherwise drop the
 * mask after an earlier range check that the verifier then fails to connect to the access. */
#define TAIL_AT(p)                                                                                                     \
	({                                                                                                             \
		__u32 __v = (p);                                                                                       \
		asm volatile("" : "+r"(__v));                                                                          \
		__v & TAIL_START_MASK;                                                                                 \
	})

static __always_inline __u32 clamp_max(__u32 m)
{
	return m > STR_MAX ? STR_MAX : m;
}

/* put_str appends a NUL-terminated string from user (user != 0) or kernel memory to slot.
 * Returns its start in the tail, or -1 if nothing was stored. Always inlined with a constant
 * user, so each caller keeps only its own helper call. */
static __always_inline int put_str(struct scratch *s, int slot, const void *ptr, __u32 max, int user)
{
	__u32 pos = s->pos;
	if (!ptr)
		return -1;
	if (pos > TAIL_START_MASK) {
		s->h.trunc |= 1 << slot;
		return -1;
	}
	__u32 m = clamp_max(max);
	/* m + 2: room for one byte past the bound and the NUL, so that a longer string shows */
	long n = user ? bpf_probe_read_user_str(&s->tail[TAIL_AT(pos)], m + 2, ptr)
		      : bpf_probe_read_kernel_str(&s->tail[TAIL_AT(pos)], m + 2, ptr);
	if (n <= 0)
		return -1;
	__u32 len = n - 1;
	if (len > m) {
		len = m;
		s->h.trunc |= 1 << slot;
	}
	s->h.slen[slot] = len;
	s->pos = pos + len;
	return pos;
}

#define put_ustr(s, slot, p, max) put_str(s, slot, p, max, 1)
#define put_kstr(s, slot, p, max) put_str(s, slot, p, max, 0)

/* put_ubytes appends len bytes of user memory (len <= STR_MAX). */
static __always_inline void put_ubytes(struct scratch *s, int slot, const void *uptr, __u32 len, int trunc)
{
	__u32 pos = s->pos;
	if (!uptr || len == 0)
		return;
	if (pos > TAIL_START_MASK) {
		s->h.trunc |= 1 << slot;
		return;
	}
	if (len > STR_MAX) {
		len = STR_MAX;
		trunc = 1;
	}
	if (bpf_probe_read_user(&s->tail[TAIL_AT(pos)], len, uptr))
		return;
	if (trunc)
		s->h.trunc |= 1 << slot;
	s->h.slen[slot] = len;
	s->pos = pos + len;
}

/* put_urange appends the user memory [start, end) to slot, cut to max bytes (marked truncated):
 * a process's argv or environment, between the mm's arg_* or env_* bounds. */
static __always_inline void put_urange(struct scratch *s, int slot, unsigned long start, unsigned long end, __u32 max)
{
	__u32 m = clamp_max(max);
	if (end <= start || m == 0)
		return;
	__u64 n = end - start;
	int trunc = 0;
	if (n > m) {
		n = m;
		trunc = 1;
	}
	put_ubytes(s, slot, (void *)start, n, trunc);
}

static __always_inline void put_kbytes(struct scratch *s, int slot, const void *kptr, __u32 len)
{
	__u32 pos = s->pos;
	if (len == 0)
		return;
	if (pos > TAIL_START_MASK) {
		s->h.trunc |= 1 << slot;
		return;
	}
	if (len > STR_MAX)
		len = STR_MAX;
	if (bpf_probe_read_kernel(&s->tail[TAIL_AT(pos)], len, kptr))
		return;
	s->h.slen[slot] = len;
	s->pos = pos + len;
}

#endif
