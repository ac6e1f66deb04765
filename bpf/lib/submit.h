/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Starting a record in the per-CPU scratch area (begin, fill_hdr) and writing it to the ring
 * (submit). A record is built in scratch and copied out whole, because its strings have
 * lengths known only once read.
 */
#ifndef OTELSEC_SUBMIT_H
#define OTELSEC_SUBMIT_H

#include "../headers/vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "maps.h"
#include "ring.h"
#include "syscall.h"

/* filtered: the collector's own events, and those of excluded thread groups, are not written. */
static __always_inline int filtered(__u32 tgid)
{
	if (tgid == self_tgid)
		return 1;
	if (have_excl && bpf_map_lookup_elem(&excluded, &tgid))
		return 1;
	return 0;
}

/* upto_nul keeps the bytes of w (little-endian, its first byte lowest) before its first NUL
 * and zeroes the rest: the lowest 0x80 bit of the zero-byte test marks the first zero byte
 * exactly (a borrow only makes false marks above it). */
static __always_inline __u64 upto_nul(__u64 w)
{
	__u64 z = (w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL;
	return w & (((z & -z) >> 7) - 1);
}

/* put_comm writes t's comm as bpf_get_current_comm does (strscpy_pad: at most 15 bytes, NUL,
 * zeroes to the end), from two loads of the task instead of a helper call. */
static __always_inline void put_comm(char *dst, struct task_struct *t)
{
	__u64 lo = *(__u64 *)&t->comm[0];
	__u64 hi = *(__u64 *)&t->comm[8];
	__u64 z = (lo - 0x0101010101010101ULL) & ~lo & 0x8080808080808080ULL;
	if (z) {
		lo = upto_nul(lo);
		hi = 0;
	} else {
		hi = upto_nul(hi & 0x00ffffffffffffffULL);
	}
	((__u64 *)dst)[0] = lo;
	((__u64 *)dst)[1] = hi;
}

/* fill_hdr writes the common header of s's record and empties its tail. t is the current
 * task (bpf_get_current_task_btf, asked once per program): pid and tid are its tgid and pid,
 * as bpf_get_current_pid_tgid answers. */
static __always_inline void fill_hdr(struct scratch *s, struct task_struct *t, __u16 kind, __u16 nr, __s64 ret)
{
	struct rec_hdr *h = &s->h;
	const struct cred *c = t->cred;

	h->ts = bpf_ktime_get_boot_ns();
	h->ret = ret;
	for (int i = 0; i < NWORDS; i++)
		h->a[i] = 0;
	h->pid = t->tgid;
	h->tid = t->pid;
	h->ppid = t->real_parent->tgid;
	h->uid = c->uid.val;
	h->euid = c->euid.val;
	h->gid = c->gid.val;
	h->egid = c->egid.val;
	h->kind = kind;
	h->nr = nr;
	for (int i = 0; i < NSLOTS; i++)
		h->slen[i] = 0;
	h->trunc = 0;
	h->hflags = t->signal->tty ? HFLAG_TTY : 0;
	h->magic = REC_MAGIC;
	h->pad0 = 0;
	h->loginuid = t->loginuid.val;
	h->cap_eff = c->cap_effective.val;
	h->cap_perm = c->cap_permitted.val;
	/* zero-padded past the NUL: the whole array goes out */
	put_comm(h->comm, t);
	s->pos = 0;
}

/* begin: the common start of a syscall exit program; t is the current task. NULL: nothing
 * to write. */
static __always_inline struct scratch *begin(struct sys_exit_args *ctx, struct task_struct *t, __u16 kind)
{
	__u32 tgid = t->tgid;
	if (filtered(tgid))
		return NULL;
	struct scratch *s = get_scratch();
	if (!s)
		return NULL;
	fill_hdr(s, t, kind, (__u16)ctx->nr, ctx->ret);
	return s;
}

/* wake_flags: records go out without a wakeup (a wakeup costs microseconds); a busy reader
 * polls, and is woken when the unread data of a ring passes its mark (wakeup_bytes,
 * wakeup_bytes_prio). Reading the ring's positions touches a cache line the reader writes, so
 * each CPU checks only every query_every records. */
static __always_inline __u64 wake_flags(struct scratch *s, void *ring, __u64 mark)
{
	if (++s->nquery < query_every)
		return BPF_RB_NO_WAKEUP;
	s->nquery = 0;
	return bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) >= mark ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/* reader_asleep: an idle reader (both rings found empty for a poll interval) sets it, then
 * looks at the rings once more, then sleeps without polling (the kernel package's rings.wait
 * writes it through the .bss map's memory); the first record written after that clears it and
 * wakes the reader. So an idle sensor costs nothing, and a busy one is polled, not woken.
 * It is read after the record is in the ring (the commit in bpf_ringbuf_output is an atomic
 * exchange, a full barrier), as the reader reads the rings' positions after setting it: of the
 * two, one sees the other's write, so no record waits for a sleeping reader. */
__u32 reader_asleep = 0;

/* output writes the record to ring (counting a drop when there is no room) and wakes a reader
 * that went to sleep. The lone wakeup is an empty record discarded with a forced wakeup:
 * there is no helper that only wakes. */
static __always_inline void output(struct scratch *s, void *ring, __u64 size, __u64 mark, __u32 id)
{
	__u64 flags = wake_flags(s, ring, mark);
	if (bpf_ringbuf_output(ring, s, size, flags)) {
		count_drop(id);
		return;
	}
	if (!reader_asleep || flags == BPF_RB_FORCE_WAKEUP)
		return;
	reader_asleep = 0;
	void *w = bpf_ringbuf_reserve(ring, 8, 0);
	if (w)
		bpf_ringbuf_discard(w, BPF_RB_FORCE_WAKEUP);
}

/* submit writes the record to its kind's ring; a ring without room counts a drop. */
static __always_inline int submit(struct scratch *s)
{
	__u64 n = s->pos;
	if (n > TAIL_SIZE)
		n = TAIL_SIZE;
	if (prio_mask & (1ULL << (s->h.kind & 63)))
		output(s, &events_prio, HDR_SIZE + n, wakeup_bytes_prio, RING_PRIO);
	else
		output(s, &events, HDR_SIZE + n, wakeup_bytes, RING_BULK);
	return 0;
}

#endif
