//go:build ignore

// SPDX-License-Identifier: GPL-2.0-only
/*
 * otelsec kernel programs: one record per security-relevant syscall, written at the syscall's
 * exit with its arguments and result (syscalls:sys_exit_<name> tracepoints; the arguments come
 * from the task's saved user registers), plus the scheduler hooks for exec, fork and exit.
 * Record layout: headers/record.h. Loaded and attached by receiver/syscallreceiver/internal/kernel.
 */
#include "headers/vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "headers/record.h"

char LICENSE[] SEC("license") = "GPL";

/* ---- load-time configuration (rewritten by the loader) ---- */
volatile const __u32 self_tgid = 0;     /* never traced; 0: none */
volatile const __u32 have_excl = 0;     /* exclusion prefixes configured */
volatile const __u64 emit_mask = ~0ULL; /* bit per enum kind, for the shared sched hooks */
volatile const __u32 max_path = STR_MAX;
volatile const __u32 max_arg_bytes = STR_MAX;
volatile const __u64 wakeup_bytes = 1 << 20; /* force a wakeup past this much unread data */
volatile const __u32 query_every = 1;        /* records per CPU between two checks of it */
volatile const __u32 track_creds = 0;        /* keep the creds map (privilege events selected) */

/* ---- maps ---- */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* rewritten at load */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

#define WALK_SIZE 4096
#define WALK_MASK 4095
#define NAME_MASK 255
#define PATH_DEPTH 40
#define PREFIX_BYTES 256

struct lpm_key {
	__u32 prefixlen;
	__u8 data[PREFIX_BYTES];
};

struct scratch {
	struct rec_hdr h; /* h and tail must stay contiguous: they are output as one record */
	char tail[TAIL_SIZE];
	__u32 pos;
	__u32 walk_off;
	__u32 nquery;
	__u32 pad;
	char walk[WALK_SIZE + NAME_MASK + 1];
	struct lpm_key key;
	struct sockaddr_in6 sa;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

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

/* The last known credentials of each thread group, for the "before" side of set*id and capset
 * records without a sys_enter program (any sys_enter program makes every syscall of the
 * system pay the enter-side tracepoint dispatch). Written at exec and fork, after each set*id
 * and capset, seeded from /proc at load; removed at exit. Changes by other means (prctl, user
 * namespaces) are not seen, so "before" means "as of the last exec, fork or credential call". */
struct pre_creds {
	__u32 uid, euid, gid, egid;
	__u64 cap_eff, cap_prm;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct pre_creds);
} creds SEC(".maps");

/* ---- constants ---- */
#define AT_FDCWD -100
#define AT_REMOVEDIR 0x200
#define CLONE_NEW_MASK 0x7e020080ULL
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10

struct sys_exit_args {
	__u64 common;
	__s32 nr;
	__s32 pad;
	__s64 ret;
};

/* ---- helpers ---- */

/* Kernels before 6.15 name kernfs_node's parent "parent" (now "__parent"). */
struct kernfs_node___old {
	struct kernfs_node___old *parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	return (void *)BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

static __always_inline void remember_creds(__u32 tgid)
{
	struct task_struct *t = bpf_get_current_task_btf();
	const struct cred *c = t->cred;
	struct pre_creds pc = {
		.uid = c->uid.val,
		.euid = c->euid.val,
		.gid = c->gid.val,
		.egid = c->egid.val,
		.cap_eff = c->cap_effective.val,
		.cap_prm = c->cap_permitted.val,
	};
	bpf_map_update_elem(&creds, &tgid, &pc, BPF_ANY);
}

static __always_inline struct scratch *get_scratch(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&scratch_map, &zero);
}

static __always_inline int filtered(__u32 tgid)
{
	if (tgid == self_tgid)
		return 1;
	if (have_excl && bpf_map_lookup_elem(&excluded, &tgid))
		return 1;
	return 0;
}

/* fill_hdr_at writes the common header into h: the scratch record, or a ring reservation. */
static __always_inline void fill_hdr_at(struct rec_hdr *h, __u16 kind, __u16 nr, __s64 ret)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 id = bpf_get_current_pid_tgid();
	const struct cred *c = t->cred;

	h->ts = bpf_ktime_get_boot_ns();
	h->ret = ret;
	for (int i = 0; i < 6; i++)
		h->a[i] = 0;
	h->pid = id >> 32;
	h->tid = (__u32)id;
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
	h->pad1 = 0;
}

static __always_inline void fill_hdr(struct scratch *s, __u16 kind, __u16 nr, __s64 ret)
{
	fill_hdr_at(&s->h, kind, nr, ret);
	s->pos = 0;
}

/* begin: the common start of a syscall exit program. NULL: nothing to write. */
static __always_inline struct scratch *begin(struct sys_exit_args *ctx, __u16 kind)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (filtered(tgid))
		return NULL;
	struct scratch *s = get_scratch();
	if (!s)
		return NULL;
	fill_hdr(s, kind, (__u16)ctx->nr, ctx->ret);
	return s;
}

static __always_inline struct pt_regs *uregs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

#define ARG0(r) ((r)->di)
#define ARG1(r) ((r)->si)
#define ARG2(r) ((r)->dx)
#define ARG3(r) ((r)->r10)
#define ARG4(r) ((r)->r8)
#define ARG5(r) ((r)->r9)

static __always_inline void count_drop(void)
{
	__u32 zero = 0;
	__u64 *d = bpf_map_lookup_elem(&drops, &zero);
	if (d)
		*d += 1;
}

/* wake_flags: records go out without a wakeup (a wakeup costs microseconds); the reader polls,
 * and is woken when the unread data passes wakeup_bytes. Reading the ring's positions touches
 * a cache line the reader writes, so each CPU checks only every query_every records. */
static __always_inline __u64 wake_flags(struct scratch *s)
{
	if (++s->nquery < query_every)
		return BPF_RB_NO_WAKEUP;
	s->nquery = 0;
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline int submit(struct scratch *s)
{
	__u64 n = s->pos;
	if (n > TAIL_SIZE)
		n = TAIL_SIZE;
	if (bpf_ringbuf_output(&events, s, HDR_SIZE + n, wake_flags(s)))
		count_drop();
	return 0;
}

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

struct walk_ctx {
	struct dentry *d;
	struct vfsmount *vm;
	struct mount *mnt;
	__u32 off;
	__u32 cut;
	__u32 stop_after;
};

/* walk_step handles one dentry for walk (a bpf_loop callback, so the verifier checks it once
 * whatever the depth). Returns 1 to stop. */
static long walk_step(__u32 i, struct walk_ctx *c)
{
	struct scratch *s = get_scratch();
	if (!s)
		return 1;
	/* locals: BPF_CORE_READ(c->x, ...) would make walk_ctx a CO-RE type */
	struct dentry *d = c->d;
	struct vfsmount *vm = c->vm;
	struct mount *mnt = c->mnt;
	struct dentry *root = BPF_CORE_READ(vm, mnt_root);
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (d == root || d == parent) {
		struct mount *mp = BPF_CORE_READ(mnt, mnt_parent);
		if (d != root) {
			/* a pseudo file's dentry is its own parent (memfd, anon inodes): its name is
			 * the whole path, as d_path shows it ("/memfd:NAME"); so keep it */
			c->stop_after = 1;
			goto name;
		}
		if (mp == mnt)
			return 1; /* the real root (or a detached tree's top) */
		c->d = BPF_CORE_READ(mnt, mnt_mountpoint);
		c->mnt = mp;
		c->vm = (void *)mp + bpf_core_field_offset(struct mount, mnt);
		return 0;
	}
name:;
	struct qstr q = BPF_CORE_READ(d, d_name);
	__u32 len = q.len & NAME_MASK;
	__u32 off = c->off & (WALK_SIZE * 2 - 1);
	if (len + 1 > off) {
		c->cut = 1;
		return 1;
	}
	off -= len;
	bpf_probe_read_kernel(&s->walk[off & WALK_MASK], len, q.name);
	off -= 1;
	s->walk[off & WALK_MASK] = '/';
	c->off = off;
	c->d = parent;
	return c->stop_after ? 1 : 0;
}

/* walk builds the absolute path of (dentry, vfsmount) root-first at the end of s->walk and
 * returns its length (s->walk_off is its start); bit 31 set: the path was cut on the root side
 * (deeper than PATH_DEPTH components or longer than the buffer). */
static __always_inline __u32 walk(struct scratch *s, struct dentry *d, struct vfsmount *vm)
{
	struct walk_ctx c = {
		.d = d,
		.vm = vm,
		.mnt = (void *)vm - bpf_core_field_offset(struct mount, mnt),
		.off = WALK_SIZE,
	};
	if (!d || !vm)
		return 0;
	long n = bpf_loop(PATH_DEPTH, walk_step, &c, 0);
	if (n >= PATH_DEPTH)
		c.cut = 1;
	__u32 off = c.off & (WALK_SIZE * 2 - 1);
	if (off > WALK_SIZE)
		off = WALK_SIZE;
	if (off == WALK_SIZE) {
		off -= 1;
		s->walk[off & WALK_MASK] = '/';
	}
	s->walk_off = off;
	return (WALK_SIZE - off) | (c.cut << 31);
}

/* put_walk copies the result of walk into slot. */
static __always_inline void put_walk(struct scratch *s, int slot, __u32 w)
{
	__u32 len = w & 0x7fffffff;
	__u32 m = clamp_max(max_path);
	__u32 pos = s->pos;
	if (w & (1u << 31))
		s->h.trunc |= 1 << slot;
	if (len > m) {
		len = m;
		s->h.trunc |= 1 << slot;
	}
	if (len == 0)
		return;
	if (pos > TAIL_START_MASK) {
		s->h.trunc |= 1 << slot;
		return;
	}
	if (bpf_probe_read_kernel(&s->tail[TAIL_AT(pos)], len, &s->walk[s->walk_off & WALK_MASK]))
		return;
	s->h.slen[slot] = len;
	s->pos = pos + len;
}

static __always_inline struct file *fd_file(int fd)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **fds;
	struct file *f = NULL;

	if (fd < 0 || !fdt)
		return NULL;
	if ((__u32)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

static __always_inline void put_file_path(struct scratch *s, int slot, struct file *f)
{
	if (!f)
		return;
	__u32 w = walk(s, BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt));
	put_walk(s, slot, w);
}

static __always_inline void put_cwd(struct scratch *s, int slot)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct fs_struct *fs = t->fs;
	if (!fs)
		return;
	__u32 w = walk(s, BPF_CORE_READ(fs, pwd.dentry), BPF_CORE_READ(fs, pwd.mnt));
	put_walk(s, slot, w);
}

/* put_path appends a user path argument to slot and, when it is relative (or empty, as with
 * AT_EMPTY_PATH), the directory it is relative to in slot+1. */
static __always_inline void put_path(struct scratch *s, int slot, int dirfd, const void *uptr)
{
	int start = put_ustr(s, slot, uptr, max_path);
	if (start >= 0 && s->h.slen[slot & 7] > 0 && s->tail[TAIL_AT(start)] == '/')
		return;
	if (!uptr)
		return;
	if (dirfd == AT_FDCWD)
		put_cwd(s, slot + 1);
	else
		put_file_path(s, slot + 1, fd_file(dirfd));
}

/* ---- sockets ---- */

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
		put_kbytes(s, slot, in, 8);
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
			put_kbytes(s, slot, sa, 2);
			return;
		}
		int len = BPF_CORE_READ(ua, len);
		if (len < 2)
			return;
		if (len > 110)
			len = 110;
		put_kbytes(s, slot, &ua->name[0], len);
	}
}

/* put_user_sockaddr appends a sockaddr the caller passed. */
static __always_inline void put_user_sockaddr(struct scratch *s, int slot, const void *uaddr, __u64 len)
{
	if (len > 128)
		len = 128;
	put_ubytes(s, slot, uaddr, (__u32)len, 0);
}

/* ================= process ================= */

static __always_inline __u16 current_nr(void)
{
	struct pt_regs *r = uregs();
	return (__u16)r->orig_ax;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (tgid == self_tgid)
		return 0;
	struct scratch *s = get_scratch();
	if (!s)
		return 0;

	struct file *f = bprm->file;
	__u32 w = walk(s, BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt));

	if (have_excl) {
		/* An exec re-decides exclusion from the new image: an excluded process that runs
		 * something else is traced again. */
		__u32 len = w & 0x7fffffff;
		if (len > PREFIX_BYTES)
			len = PREFIX_BYTES;
		s->key.prefixlen = len * 8;
		bpf_probe_read_kernel(s->key.data, len & (PREFIX_BYTES * 2 - 1), &s->walk[s->walk_off & WALK_MASK]);
		if (bpf_map_lookup_elem(&excl_prefixes, &s->key)) {
			__u8 one = 1;
			bpf_map_update_elem(&excluded, &tgid, &one, BPF_ANY);
			return 0;
		}
		bpf_map_delete_elem(&excluded, &tgid);
	}
	if (track_creds)
		remember_creds(tgid); /* setuid binaries and file capabilities change them here */
	if (!(emit_mask & (1ULL << K_PROCESS_EXEC)))
		return 0;

	__u16 nr = current_nr();
	if (nr != 59 && nr != 322)
		nr = NO_SYSCALL; /* a kernel thread's exec (usermode helper) */
	fill_hdr(s, K_PROCESS_EXEC, nr, 0);
	s->h.a[0] = BPF_CORE_READ(bprm, argc);
	s->h.a[1] = AT_FDCWD;
	put_walk(s, SLOT_PATH, w);
	put_cwd(s, SLOT_PATH_BASE);
	put_kstr(s, SLOT_PATH2, BPF_CORE_READ(bprm, filename), max_path);

	struct mm_struct *mm = p->mm;
	if (mm) {
		unsigned long as = BPF_CORE_READ(mm, arg_start), ae = BPF_CORE_READ(mm, arg_end);
		__u32 m = clamp_max(max_arg_bytes);
		if (ae > as) {
			__u64 n = ae - as;
			int trunc = 0;
			if (n > m) {
				n = m;
				trunc = 1;
			}
			put_ubytes(s, SLOT_X, (void *)as, n, trunc);
		}
	}

	struct kernfs_node *kn = BPF_CORE_READ(p, cgroups, dfl_cgrp, kn);
	if (kn) {
		/* "<parent>/<leaf>": the leaf names the container for the systemd driver
		 * (docker-<id>.scope), the parent tells the cgroupfs driver's (docker/<id>). */
		struct kernfs_node *parent = kn_parent(kn);
		__u16 l1 = 0;
		if (parent && kn_parent(parent)) {
			int start = put_kstr(s, SLOT_Y, BPF_CORE_READ(parent, name), 255);
			if (start >= 0 && s->pos <= TAIL_START_MASK) {
				s->tail[TAIL_AT(s->pos)] = '/';
				s->pos += 1;
				l1 = s->h.slen[SLOT_Y] + 1;
			} else {
				/* could not write the separator: the parent alone, marked cut */
				s->h.trunc |= 1 << SLOT_Y;
				return submit(s);
			}
		}
		s->h.slen[SLOT_Y] = 0;
		put_kstr(s, SLOT_Y, BPF_CORE_READ(kn, name), 255);
		s->h.slen[SLOT_Y] += l1;
	}
	return submit(s);
}

/* Failed execs (successful ones are written by on_exec). */
static __always_inline int exec_failed(struct sys_exit_args *ctx, int dirfd, const void *fname, const void *const *argv)
{
	if (ctx->ret == 0)
		return 0;
	struct scratch *s = begin(ctx, K_PROCESS_EXEC);
	if (!s)
		return 0;
	s->h.a[1] = dirfd;
	put_path(s, SLOT_PATH, dirfd, fname);

	/* argv from the caller's array: bounded count and bytes. */
	__u32 start = s->pos, budget = clamp_max(max_arg_bytes), used = 0, argc = 0;
	if (argv && start <= TAIL_START_MASK) {
		for (int i = 0; i < 32; i++) {
			const char *a = NULL;
			if (bpf_probe_read_user(&a, sizeof(a), &argv[i]) || !a)
				break;
			argc++;
			__u32 pos = start + used;
			if (used >= budget || pos > TAIL_START_MASK) {
				s->h.trunc |= 1 << SLOT_X;
				break;
			}
			__u32 room = budget - used;
			if (room > STR_MAX)
				room = STR_MAX;
			long n = bpf_probe_read_user_str(&s->tail[TAIL_AT(pos)], room, a);
			if (n <= 0)
				break;
			used += n; /* keeps the NUL as the separator */
			if (n == room) {
				s->h.trunc |= 1 << SLOT_X;
				break;
			}
		}
		if (used > STR_MAX)
			used = STR_MAX;
		s->h.slen[SLOT_X] = used;
		s->pos = start + used;
	}
	if (argc == 32)
		s->h.trunc |= 1 << SLOT_X; /* there may be more */
	s->h.a[0] = argc;
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_execve")
int exit_execve(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return exec_failed(ctx, AT_FDCWD, (void *)ARG0(r), (void *)ARG1(r));
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int exit_execveat(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return exec_failed(ctx, (int)ARG0(r), (void *)ARG1(r), (void *)ARG2(r));
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ctgid = child->tgid;
	if (child->pid != ctgid)
		return 0; /* a thread */
	__u32 ptgid = bpf_get_current_pid_tgid() >> 32;
	if (have_excl && bpf_map_lookup_elem(&excluded, &ptgid)) {
		__u8 one = 1;
		bpf_map_update_elem(&excluded, &ctgid, &one, BPF_ANY);
		return 0;
	}
	if (track_creds)
		remember_creds(ctgid); /* the child starts with the parent's (current's) creds */
	if (ptgid == self_tgid || !(emit_mask & (1ULL << K_PROCESS_FORK)))
		return 0;
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	fill_hdr(s, K_PROCESS_FORK, current_nr(), ctgid);
	s->h.a[0] = ctgid;
	return submit(s);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0; /* not the last thread */
	__u32 tgid = p->tgid;
	if (track_creds)
		bpf_map_delete_elem(&creds, &tgid);
	if (have_excl && bpf_map_lookup_elem(&excluded, &tgid)) {
		bpf_map_delete_elem(&excluded, &tgid);
		return 0;
	}
	if (tgid == self_tgid || !(emit_mask & (1ULL << K_PROCESS_EXIT)))
		return 0;
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	fill_hdr(s, K_PROCESS_EXIT, NO_SYSCALL, 0);
	s->h.a[0] = (__u32)p->exit_code;
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_ptrace")
int exit_ptrace(struct sys_exit_args *ctx)
{
	struct scratch *s = begin(ctx, K_PROCESS_PTRACE);
	if (!s)
		return 0;
	struct pt_regs *r = uregs();
	s->h.a[0] = ARG0(r);
	s->h.a[1] = ARG1(r);
	s->h.a[2] = ARG2(r);
	return submit(s);
}

/* ================= file ================= */

/* A fast path that read short absolute paths straight into a fixed-size ring reservation was
 * measured (syscall-level A/B, quiet machine) no cheaper than this: the one user-memory read
 * of the path dominates the difference to a bare record, not the scratch copy. */
static __always_inline int do_open(struct sys_exit_args *ctx, int dirfd, const void *path, __u64 flags, __u64 mode)
{
	struct scratch *s = begin(ctx, K_FILE_OPEN);
	if (!s)
		return 0;
	s->h.a[0] = dirfd;
	s->h.a[1] = flags;
	s->h.a[2] = mode;
	put_path(s, SLOT_PATH, dirfd, path);
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_open")
int exit_open(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return do_open(ctx, AT_FDCWD, (void *)ARG0(r), ARG1(r), ARG2(r));
}

SEC("tracepoint/syscalls/sys_exit_openat")
int exit_openat(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return do_open(ctx, (int)ARG0(r), (void *)ARG1(r), ARG2(r), ARG3(r));
}

SEC("tracepoint/syscalls/sys_exit_openat2")
int exit_openat2(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	struct open_how how = {};
	bpf_probe_read_user(&how, sizeof(how), (void *)ARG2(r));
	return do_open(ctx, (int)ARG0(r), (void *)ARG1(r), how.flags, how.mode);
}

/* do_path records a call on one (dirfd, path) with one more argument: unlink's flags, mkdir's
 * mode. */
static __always_inline int do_path(struct sys_exit_args *ctx, __u16 kind, int dirfd, const void *path, __u64 arg)
{
	struct scratch *s = begin(ctx, kind);
	if (!s)
		return 0;
	s->h.a[0] = dirfd;
	s->h.a[1] = arg;
	put_path(s, SLOT_PATH, dirfd, path);
	return submit(s);
}

#define do_unlink(ctx, dirfd, path, flags) do_path(ctx, K_FILE_UNLINK, dirfd, path, flags)
#define do_mkdir(ctx, dirfd, path, mode) do_path(ctx, K_FILE_MKDIR, dirfd, path, mode)

SEC("tracepoint/syscalls/sys_exit_unlink")
int exit_unlink(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return do_unlink(ctx, AT_FDCWD, (void *)ARG0(r), 0);
}

SEC("tracepoint/syscalls/sys_exit_unlinkat")
int exit_unlinkat(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return do_unlink(ctx, (int)ARG0(r), (void *)ARG1(r), ARG2(r));
}

SEC("tracepoint/syscalls/sys_exit_rmdir")
int exit_rmdir(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return do_unlink(ctx, AT_FDCWD, (void *)ARG0(r), AT_REMOVEDIR);
}

/* rename and link: slot PATH = the new path (created), PATH2 = the old one. */
static __always_inline int do_twopath(struct sys_exit_args *ctx, __u16 kind, int olddfd, const void *oldp, int newdfd,
				      const void *newp, __u64 flags)
{
	struct scratch *s = begin(ctx, kind);
	if (!s)
		return 0;
	s->h.a[0] = newdfd;
	s->h.a[1] = olddfd;
	s->h.a[2] = flags;
	put_path(s, SLOT_PATH, newdfd, newp);
	put_path(s, SLOT_PATH2, olddfd, oldp);
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_rename")
int exit_rename(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return do_twopath(ctx, K_FILE_RENAME, AT_FDCWD, (void *)ARG0(r), AT_FDCWD, (void *)ARG1(r), 0);
}

SEC("tracepoint/syscalls/sys_exit_renameat")
int exit_renameat(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return do_twopath(ctx, K_FILE_RENAME, (int)ARG0(r), (void *)ARG1(r), (int)ARG2(r), (void *)ARG3(r), 0);
}

SEC("tracepoint/syscalls/sys_exit_renameat2")
int exit_renameat2(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return do_twopath(ctx, K_FILE_RENAME, (int)ARG0(r), (void *)ARG1(r), (int)ARG2(r), (void *)ARG3(r), ARG4(r));
}

SEC("tracepoint/syscalls/sys_exit_link")
int exit_link(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return do_twopath(ctx, K_FILE_LINK, AT_FDCWD, (void *)ARG0(r), AT_FDCWD, (void *)ARG1(r), 0);
}

SEC("tracepoint/syscalls/sys_exit_linkat")
int exit_linkat(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return do_twopath(ctx, K_FILE_LINK, (int)ARG0(r), (void *)ARG1(r), (int)ARG2(r), (void *)ARG3(r), ARG4(r));
}

static __always_inline int do_symlink(struct sys_exit_args *ctx, const void *target, int newdfd, const void *linkpath)
{
	struct scratch *s = begin(ctx, K_FILE_SYMLINK);
	if (!s)
		return 0;
	s->h.a[0] = newdfd;
	put_path(s, SLOT_PATH, newdfd, linkpath);
	put_ustr(s, SLOT_X, target, max_path);
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_symlink")
int exit_symlink(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return do_symlink(ctx, (void *)ARG0(r), AT_FDCWD, (void *)ARG1(r));
}

SEC("tracepoint/syscalls/sys_exit_symlinkat")
int exit_symlinkat(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return do_symlink(ctx, (void *)ARG0(r), (int)ARG1(r), (void *)ARG2(r));
}

/* put_fd_or_path stores the target of an f*-call (fd >= 0: the open file's path) or of a
 * path call (path against dirfd). */
static __always_inline void put_fd_or_path(struct scratch *s, int fd, int dirfd, const void *path)
{
	if (fd >= 0)
		put_file_path(s, SLOT_PATH, fd_file(fd));
	else
		put_path(s, SLOT_PATH, dirfd, path);
}

/* chmod family: a0 dirfd, a1 mode, a2 flags, a3 fd (fchmod) or -1. */
static __always_inline int do_chmod(struct sys_exit_args *ctx, int dirfd, const void *path, __u64 mode, __u64 flags,
				    int fd)
{
	struct scratch *s = begin(ctx, K_FILE_CHMOD);
	if (!s)
		return 0;
	s->h.a[0] = dirfd;
	s->h.a[1] = mode;
	s->h.a[2] = flags;
	s->h.a[3] = (__u64)(__s64)fd;
	put_fd_or_path(s, fd, dirfd, path);
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_chmod")
int exit_chmod(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return do_chmod(ctx, AT_FDCWD, (void *)ARG0(r), ARG1(r), 0, -1);
}

SEC("tracepoint/syscalls/sys_exit_fchmod")
int exit_fchmod(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return do_chmod(ctx, AT_FDCWD, NULL, ARG1(r), 0, (int)ARG0(r));
}

SEC("tracepoint/syscalls/sys_exit_fchmodat")
int exit_fchmodat(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return do_chmod(ctx, (int)ARG0(r), (void *)ARG1(r), ARG2(r), 0, -1);
}

SEC("tracepoint/syscalls/sys_exit_fchmodat2")
int exit_fchmodat2(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return do_chmod(ctx, (int)ARG0(r), (void *)ARG1(r), ARG2(r), ARG3(r), -1);
}

/* chown family: a0 dirfd, a1 uid, a2 gid, a3 flags, a4 fd or -1. */
static __always_inline int do_chown(struct sys_exit_args *ctx, int dirfd, const void *path, __u64 uid, __u64 gid,
				    __u64 flags, int fd)
{
	struct scratch *s = begin(ctx, K_FILE_CHOWN);
	if (!s)
		return 0;
	s->h.a[0] = dirfd;
	s->h.a[1] = (__u32)uid;
	s->h.a[2] = (__u32)gid;
	s->h.a[3] = flags;
	s->h.a[4] = (__u64)(__s64)fd;
	put_fd_or_path(s, fd, dirfd, path);
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_chown")
int exit_chown(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return do_chown(ctx, AT_FDCWD, (void *)ARG0(r), ARG1(r), ARG2(r), 0, -1);
}

SEC("tracepoint/syscalls/sys_exit_lchown")
int exit_lchown(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return do_chown(ctx, AT_FDCWD, (void *)ARG0(r), ARG1(r), ARG2(r), 0x100 /* AT_SYMLINK_NOFOLLOW */, -1);
}

SEC("tracepoint/syscalls/sys_exit_fchown")
int exit_fchown(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return do_chown(ctx, AT_FDCWD, NULL, ARG1(r), ARG2(r), 0, (int)ARG0(r));
}

SEC("tracepoint/syscalls/sys_exit_fchownat")
int exit_fchownat(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return do_chown(ctx, (int)ARG0(r), (void *)ARG1(r), ARG2(r), ARG3(r), ARG4(r), -1);
}

SEC("tracepoint/syscalls/sys_exit_mkdir")
int exit_mkdir(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return do_mkdir(ctx, AT_FDCWD, (void *)ARG0(r), ARG1(r));
}

SEC("tracepoint/syscalls/sys_exit_mkdirat")
int exit_mkdirat(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return do_mkdir(ctx, (int)ARG0(r), (void *)ARG1(r), ARG2(r));
}

SEC("tracepoint/syscalls/sys_exit_mount")
int exit_mount(struct sys_exit_args *ctx)
{
	struct scratch *s = begin(ctx, K_FILE_MOUNT);
	if (!s)
		return 0;
	struct pt_regs *r = uregs();
	s->h.a[0] = ARG3(r);
	put_path(s, SLOT_PATH, AT_FDCWD, (void *)ARG1(r));
	put_ustr(s, SLOT_PATH2, (void *)ARG0(r), max_path);
	put_ustr(s, SLOT_X, (void *)ARG2(r), 64);
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_umount")
int exit_umount2(struct sys_exit_args *ctx)
{
	struct scratch *s = begin(ctx, K_FILE_MOUNT);
	if (!s)
		return 0;
	struct pt_regs *r = uregs();
	s->h.a[0] = ARG1(r);
	put_path(s, SLOT_PATH, AT_FDCWD, (void *)ARG0(r));
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_memfd_create")
int exit_memfd_create(struct sys_exit_args *ctx)
{
	struct scratch *s = begin(ctx, K_FILE_MEMFD_CREATE);
	if (!s)
		return 0;
	struct pt_regs *r = uregs();
	s->h.a[0] = ARG1(r);
	put_ustr(s, SLOT_X, (void *)ARG0(r), 255);
	return submit(s);
}

/* ================= fd ================= */

static __always_inline int do_dup(struct sys_exit_args *ctx, int oldfd, int newfd, __u64 flags)
{
	struct scratch *s = begin(ctx, K_FD_DUP);
	if (!s)
		return 0;
	s->h.a[0] = (__u64)(__s64)oldfd;
	s->h.a[1] = (__u64)(__s64)newfd;
	s->h.a[2] = flags;
	s->h.a[3] = 0xffffffff;
	struct file *f = fd_file(ctx->ret >= 0 ? (int)ctx->ret : oldfd);
	if (f) {
		struct inode *ino = BPF_CORE_READ(f, f_inode);
		__u16 mode = BPF_CORE_READ(ino, i_mode);
		s->h.a[3] = mode;
		s->h.a[4] = BPF_CORE_READ(ino, i_rdev);
		if ((mode & S_IFMT) == S_IFSOCK) {
			struct socket *so = BPF_CORE_READ(f, private_data);
			struct sock *sk = BPF_CORE_READ(so, sk);
			__u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
			if (fam == AF_INET || fam == AF_INET6)
				put_sock_addr(s, SLOT_X, sk, 1);
		}
	}
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_dup")
int exit_dup(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return do_dup(ctx, (int)ARG0(r), (int)ctx->ret, 0);
}

SEC("tracepoint/syscalls/sys_exit_dup2")
int exit_dup2(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return do_dup(ctx, (int)ARG0(r), (int)ARG1(r), 0);
}

SEC("tracepoint/syscalls/sys_exit_dup3")
int exit_dup3(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return do_dup(ctx, (int)ARG0(r), (int)ARG1(r), ARG2(r));
}

/* ================= network ================= */

SEC("tracepoint/syscalls/sys_exit_socket")
int exit_socket(struct sys_exit_args *ctx)
{
	struct scratch *s = begin(ctx, K_NETWORK_SOCKET);
	if (!s)
		return 0;
	struct pt_regs *r = uregs();
	s->h.a[0] = ARG0(r);
	s->h.a[1] = ARG1(r);
	s->h.a[2] = ARG2(r);
	return submit(s);
}

/* network.* other than socket: a0 fd, a1..a3 family/type/protocol of the socket. */
SEC("tracepoint/syscalls/sys_exit_connect")
int exit_connect(struct sys_exit_args *ctx)
{
	struct scratch *s = begin(ctx, K_NETWORK_CONNECT);
	if (!s)
		return 0;
	struct pt_regs *r = uregs();
	int fd = ARG0(r);
	s->h.a[0] = (__u64)(__s64)fd;
	struct sock *sk = sock_info(s, fd_socket(fd));
	put_user_sockaddr(s, SLOT_X, (void *)ARG1(r), ARG2(r));
	if (ctx->ret == 0 || ctx->ret == -115 /* EINPROGRESS */)
		put_sock_addr(s, SLOT_Y, sk, 0);
	return submit(s);
}

static __always_inline int do_accept(struct sys_exit_args *ctx, __u64 flags)
{
	struct scratch *s = begin(ctx, K_NETWORK_ACCEPT);
	if (!s)
		return 0;
	struct pt_regs *r = uregs();
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
	return do_accept(ctx, 0);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int exit_accept4(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return do_accept(ctx, ARG3(r));
}

SEC("tracepoint/syscalls/sys_exit_bind")
int exit_bind(struct sys_exit_args *ctx)
{
	struct scratch *s = begin(ctx, K_NETWORK_BIND);
	if (!s)
		return 0;
	struct pt_regs *r = uregs();
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
	struct scratch *s = begin(ctx, K_NETWORK_LISTEN);
	if (!s)
		return 0;
	struct pt_regs *r = uregs();
	int fd = ARG0(r);
	s->h.a[0] = (__u64)(__s64)fd;
	s->h.a[4] = (__u64)(__s64)(int)ARG1(r);
	struct sock *sk = sock_info(s, fd_socket(fd));
	put_sock_addr(s, SLOT_Y, sk, 0);
	return submit(s);
}

static __always_inline int do_send(struct sys_exit_args *ctx, int fd, const void *uaddr, __u64 alen, __u64 flags)
{
	if (!uaddr)
		return 0; /* no destination: a send on a connected socket */
	struct scratch *s = begin(ctx, K_NETWORK_SEND);
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
	struct pt_regs *r = uregs();
	return do_send(ctx, (int)ARG0(r), (void *)ARG4(r), ARG5(r), ARG3(r));
}

SEC("tracepoint/syscalls/sys_exit_sendmsg")
int exit_sendmsg(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	struct user_msghdr m = {};
	if (bpf_probe_read_user(&m, sizeof(m), (void *)ARG1(r)))
		return 0;
	return do_send(ctx, (int)ARG0(r), m.msg_name, (__u64)m.msg_namelen, ARG2(r));
}

/* ================= privilege ================= */

static __always_inline int do_setid(struct sys_exit_args *ctx, __u16 kind, int nargs)
{
	struct scratch *s = begin(ctx, kind);
	if (!s)
		return 0;
	struct pt_regs *r = uregs();
	s->h.a[0] = (__u32)ARG0(r);
	s->h.a[1] = nargs > 1 ? (__u32)ARG1(r) : 0xffffffff;
	s->h.a[2] = nargs > 2 ? (__u32)ARG2(r) : 0xffffffff;
	s->h.a[5] = nargs;
	__u32 tgid = s->h.pid;
	struct pre_creds *pc = bpf_map_lookup_elem(&creds, &tgid);
	if (pc) {
		s->h.a[3] = kind == K_PRIVILEGE_SETUID ? pc->uid : pc->gid;
		s->h.a[4] = kind == K_PRIVILEGE_SETUID ? pc->euid : pc->egid;
	} else {
		s->h.a[3] = 0xffffffff;
		s->h.a[4] = 0xffffffff;
		s->h.hflags |= HFLAG_OLD_UNKNOWN;
	}
	remember_creds(tgid);
	return submit(s);
}

#define SETID(name, kind, nargs)                                                                                       \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                                                    \
	int exit_##name(struct sys_exit_args *ctx)                                                                     \
	{                                                                                                              \
		return do_setid(ctx, kind, nargs);                                                                     \
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
	struct scratch *s = begin(ctx, K_PRIVILEGE_CAPSET);
	if (!s)
		return 0;
	struct pt_regs *r = uregs();
	__u32 d[6] = {}; /* two struct __user_cap_data_struct {effective, permitted, inheritable} */
	bpf_probe_read_user(d, sizeof(d), (void *)ARG1(r));
	s->h.a[0] = d[0] | (__u64)d[3] << 32;
	s->h.a[1] = d[1] | (__u64)d[4] << 32;
	s->h.a[2] = d[2] | (__u64)d[5] << 32;
	__u32 tgid = s->h.pid;
	struct pre_creds *pc = bpf_map_lookup_elem(&creds, &tgid);
	if (pc) {
		s->h.a[3] = pc->cap_eff;
		s->h.a[4] = pc->cap_prm;
	} else {
		s->h.hflags |= HFLAG_OLD_UNKNOWN;
	}
	remember_creds(tgid);
	return submit(s);
}

/* ================= namespace ================= */

SEC("tracepoint/syscalls/sys_exit_setns")
int exit_setns(struct sys_exit_args *ctx)
{
	struct scratch *s = begin(ctx, K_NAMESPACE_SETNS);
	if (!s)
		return 0;
	struct pt_regs *r = uregs();
	s->h.a[0] = (__u64)(__s64)(int)ARG0(r);
	s->h.a[1] = ARG1(r);
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_unshare")
int exit_unshare(struct sys_exit_args *ctx)
{
	struct scratch *s = begin(ctx, K_NAMESPACE_UNSHARE);
	if (!s)
		return 0;
	struct pt_regs *r = uregs();
	s->h.a[0] = ARG0(r);
	return submit(s);
}

static __always_inline int do_clone_ns(struct sys_exit_args *ctx, __u64 flags)
{
	if (!(flags & CLONE_NEW_MASK) || ctx->ret == 0)
		return 0; /* no new namespace, or the child's return */
	struct scratch *s = begin(ctx, K_NAMESPACE_UNSHARE);
	if (!s)
		return 0;
	s->h.a[0] = flags;
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_clone")
int exit_clone(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	return do_clone_ns(ctx, ARG0(r));
}

SEC("tracepoint/syscalls/sys_exit_clone3")
int exit_clone3(struct sys_exit_args *ctx)
{
	struct pt_regs *r = uregs();
	__u64 flags = 0;
	bpf_probe_read_user(&flags, sizeof(flags), (void *)ARG0(r));
	return do_clone_ns(ctx, flags);
}

/* ================= kernel ================= */

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

/* ---- benchmark baseline: the cost of writing one 256-byte record ---- */
SEC("tracepoint/syscalls/sys_exit_openat")
int bench_baseline(struct sys_exit_args *ctx)
{
	void *p = bpf_ringbuf_reserve(&events, 256, 0);
	if (!p) {
		__u32 zero = 0;
		__u64 *d = bpf_map_lookup_elem(&drops, &zero);
		if (d)
			*d += 1;
		return 0;
	}
	((__u64 *)p)[0] = bpf_ktime_get_boot_ns();
	((__u64 *)p)[1] = ctx->ret;
	bpf_ringbuf_submit(p, BPF_RB_NO_WAKEUP);
	return 0;
}
