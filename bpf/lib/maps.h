/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The object's state: the load-time configuration the loader rewrites before loading
 * (receiver/syscallreceiver/internal/kernel/load_linux.go sets each by name) and the maps
 * other than the ring's (ring.h).
 */
#ifndef OTELSEC_MAPS_H
#define OTELSEC_MAPS_H

#include "../headers/vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "record.h"
#include "ring.h" /* the events and drops maps */

/* The priority ring (enum ring): smaller, for the kinds of prio_mask. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 2 << 20); /* rewritten at load */
} events_prio SEC(".maps");

/* ---- load-time configuration ---- */
volatile const __u32 self_tgid = 0;     /* never traced; 0: none */
volatile const __u32 have_excl = 0;     /* exclusion prefixes configured */
volatile const __u64 emit_mask = ~0ULL; /* bit per enum kind, for the shared sched hooks */
volatile const __u32 max_path = STR_MAX;
volatile const __u32 max_arg_bytes = STR_MAX;
volatile const __u32 max_env_bytes = 0; /* process.exec's environment; 0: not copied */
volatile const __u64 prio_mask = 0;         /* bit per enum kind: written to events_prio */
volatile const __u64 wakeup_bytes = 1 << 20; /* force a wakeup past this much unread data... */
volatile const __u64 wakeup_bytes_prio = 1 << 17; /* ...in events_prio */
volatile const __u32 query_every = 1;        /* records per CPU between two checks of it */
volatile const __u32 track_creds = 0;        /* keep the creds map (privilege events selected) */

/* ---- the per-CPU work area ---- */
/* The path walk (lib/path.h) builds a path forwards from the start of walk[]; one name's
 * worth of room past WALK_SIZE keeps every masked store in bounds. */
#define WALK_SIZE 4096
#define WALK_MASK 4095
#define NAME_MASK 255
#define COMP_SLOTS 512 /* the dentries a walk keeps (lib/path.h) */

/* An excl_prefixes key: an executable path's first PREFIX_BYTES bytes, prefixlen in bits. */
#define PREFIX_BYTES 256

struct lpm_key {
	__u32 prefixlen;
	__u8 data[PREFIX_BYTES];
};

/* scratch: the record being built (h, tail, pos: the tail's fill), and room for the path walk
 * (its result, and the dentries it passed: lib/path.h), an exclusion key and a socket address. */
struct scratch {
	struct rec_hdr h; /* h and tail must stay contiguous: they are output as one record */
	char tail[TAIL_SIZE];
	__u32 pos;
	__u32 nquery; /* records since the last ring fill check (lib/submit.h) */
	char walk[WALK_SIZE + NAME_MASK + 1];
	__u64 comp[COMP_SLOTS]; /* struct dentry *: bpf2go has no Go type for pointers */
	struct lpm_key key;
	struct sockaddr_in6 sa;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

static __always_inline struct scratch *get_scratch(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&scratch_map, &zero);
}

/* ---- exclusion ---- */
/* Thread groups whose events are dropped (exclusion prefixes), inherited at fork. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u8);
} excluded SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_key);
	__type(value, __u8);
} excl_prefixes SEC(".maps");

/* ---- left out in the kernel ---- */
/* Failed opens that no rule of the receiver's rules_filter can match, by errno: bit e % 64 of
 * word e / 64. Only opens of an absolute, clean path (clean_absolute) are left out: their
 * records would carry no file.path_as_given, which the receiver's question to the rules
 * (ruleengine CannotMatch) says. All zero, as loaded: none. */
#define QUIET_ERRNOS 256

struct quiet_errnos {
	__u64 bits[QUIET_ERRNOS / 64];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct quiet_errnos);
} quiet_open SEC(".maps");

/* The opens left out so, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} quiet_count SEC(".maps");

/* quiet_errno says whether a failed open with this return value may be left out. */
static __always_inline int quiet_errno(__s64 ret)
{
	if (ret >= 0 || ret <= -QUIET_ERRNOS)
		return 0;
	__u32 zero = 0, e = (__u32)-ret;
	struct quiet_errnos *q = bpf_map_lookup_elem(&quiet_open, &zero);
	return q && (q->bits[(e >> 6) & (QUIET_ERRNOS / 64 - 1)] >> (e & 63)) & 1;
}

static __always_inline void count_quiet(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&quiet_count, &zero);
	if (n)
		(*n)++;
}

/* ---- credentials ---- */
/* The last known credentials of each thread group, for the "before" side of set*id and capset
 * records without a sys_enter program (any sys_enter program makes every syscall of the
 * system pay the enter-side tracepoint dispatch). Written at exec and fork, after each set*id
 * and capset, seeded from /proc at load; removed at exit. Changes by other means (prctl, user
 * namespaces) are not seen, so "before" means "as of the last exec, fork or credential call". */
struct pre_creds {
	__u32 uid, euid, gid, egid;
	__u64 cap_eff;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct pre_creds);
} creds SEC(".maps");

#endif
