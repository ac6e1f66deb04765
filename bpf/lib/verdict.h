/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Remembered opens: successful or failed opens of an absolute path that the receiver has
 * already found no rule can match, left out in the kernel.
 *
 * A build's compilers open the same headers, a web server the same files, again and again; the
 * receiver decides each from a few attributes (the path, the flags, the result, the executable
 * and its ancestors' names, the container) and most of its work goes to events it then drops.
 * So when the rules decided "no match" from attributes that are all functions of what the
 * kernel sees here (the path as given, flags, mode, errno, syscall) and of the process's
 * lineage, the receiver gives the kernel the decision (open_verdict), keyed by those inputs and
 * by a class number standing for the lineage values (open_class: the thread group's class).
 *
 * A class holds only while the lineage values it stands for hold. They change at the thread
 * group's own exec (self_exec_id changes), and when an ancestor execs or exits with children
 * (a parent's name or link changes under its descendants): the programs bump lineage_gen then,
 * after their record is in the ring, and the receiver bumps it when its process table changes
 * a lineage without a kernel event (an ancestor forgotten, a parent link seen to change). Each
 * open record carries the lineage_gen its program read before the record's time (a[3]), the
 * thread's self_exec_id (a[4]) and its thread group's start (a[5]); the receiver sets a class
 * with those, so a class set from a
 * record older than a lineage change never matches: every change that record's values missed
 * bumped the count after the record read it.
 */
#ifndef OTELSEC_VERDICT_H
#define OTELSEC_VERDICT_H

#include "../headers/vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "maps.h"
#include "str.h"

/* The longest path a verdict is kept for: longer ones always go to the receiver. */
#define VERDICT_PATH_MAX 256

/* Seeds of the path hash, random per load (set by the loader): a path cannot be chosen to
 * collide with a remembered one without them. */
volatile const __u64 verdict_seed1 = 0;
volatile const __u64 verdict_seed2 = 0;

struct lineage_class {
	__u64 gen;     /* lineage_gen the class was computed at */
	__u64 start;   /* the thread group's start (group_leader->start_boottime): a re-used pid is another */
	__u32 class;   /* the receiver's number for the lineage values */
	__u32 exec_id; /* task->self_exec_id then */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32); /* tgid */
	__type(value, struct lineage_class);
} open_class SEC(".maps");

/* What a remembered decision depends on. h1, h2: two seeded hashes of the path's bytes. */
struct open_key {
	__u64 h1;
	__u64 h2;
	__u64 flags;
	__u32 class;
	__u32 mode;
	__u32 err; /* errno, 0 for a successful open */
	__u16 nr;  /* syscall number */
	__u16 len; /* path length */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct open_key);
	__type(value, __u8);
} open_verdict SEC(".maps");

/* Bumped by the programs and by the receiver, through the .bss it maps (as reader_asleep). */
__u64 lineage_gen = 0;

/* The opens left out so, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} remembered_count SEC(".maps");

static __always_inline __u64 lineage_now(void)
{
	return *(volatile __u64 *)&lineage_gen;
}

/* lineage_changed is called after the record of the change is in the ring. */
static __always_inline void lineage_changed(void)
{
	__sync_fetch_and_add(&lineage_gen, 1);
}

/* has_children: t has children whose lineage includes it. */
static __always_inline int has_children(struct task_struct *t)
{
	return t->children.next != &t->children;
}

/* path_hash is the receiver's kernel.PathHash: 8 bytes at a time, the last word zero-padded. */
static __always_inline void path_hash(struct scratch *s, int start, __u32 len, __u64 *h1, __u64 *h2)
{
	__u64 a = verdict_seed1, b = verdict_seed2;
	for (__u32 i = 0; i < VERDICT_PATH_MAX; i += 8) {
		if (i >= len)
			break;
		__u64 w = *(__u64 *)&s->tail[TAIL_AT(start + i)];
		if (len - i < 8)
			w &= (1ULL << ((len - i) * 8)) - 1;
		a = (a ^ w) * 0x100000001b3ULL;
		a ^= a >> 32;
		b = (b + w) * 0x9e3779b97f4a7c15ULL;
		b ^= b >> 29;
	}
	*h1 = a;
	*h2 = b;
}

/* remembered_open says whether the receiver has decided an open like this one (its path at
 * start in SLOT_PATH) already: no rule can match it. gen is lineage_now() from before the
 * record's time. */
static __always_inline int remembered_open(struct scratch *s, struct task_struct *t, __u64 gen, int start)
{
	__u32 tgid = t->tgid;
	struct lineage_class *c = bpf_map_lookup_elem(&open_class, &tgid);
	if (!c || c->gen != gen || c->exec_id != t->self_exec_id || c->start != t->group_leader->start_boottime)
		return 0;
	if (start < 0 || (s->h.trunc & (1 << SLOT_PATH)))
		return 0;
	__u32 len = s->h.slen[SLOT_PATH];
	if (len < 1 || len > VERDICT_PATH_MAX || s->tail[TAIL_AT(start)] != '/')
		return 0;
	struct open_key k = {
		.flags = s->h.a[1],
		.class = c->class,
		.mode = (__u32)s->h.a[2],
		.err = s->h.ret < 0 && s->h.ret >= -4095 ? (__u32)-s->h.ret : 0,
		.nr = s->h.nr,
		.len = (__u16)len,
	};
	path_hash(s, start, len, &k.h1, &k.h2);
	if (!bpf_map_lookup_elem(&open_verdict, &k))
		return 0;
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&remembered_count, &zero);
	if (n)
		(*n)++;
	return 1;
}

#endif
