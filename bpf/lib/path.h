/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Paths: the absolute path of a (dentry, vfsmount) built by walking to the root, the file
 * behind a descriptor, the working directory, and user path arguments with the directory they
 * are relative to.
 */
#ifndef OTELSEC_PATH_H
#define OTELSEC_PATH_H

#include "../headers/vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "maps.h"
#include "str.h"
#include "uapi.h"

/* The walk visits at most WALK_STEPS dentries and mount crossings (bpf_loop: the verifier
 * checks a step once, a path pays for its own depth only) and keeps the COMP_MAX components
 * nearest the root (scratch.comp, used as a ring). */
#define WALK_STEPS 4096
#define COMP_MAX COMP_SLOTS
#define COMP_MASK (COMP_MAX - 1)

/* walk's result: the path's length, with bit WALK_CUT_BIT set when it was cut. */
#define WALK_CUT_BIT 31
#define WALK_CUT (1u << WALK_CUT_BIT)
#define WALK_LEN(w) ((w) & ~WALK_CUT)

/* How a walk ended. */
enum walk_end {
	WALK_GAVE_UP,     /* WALK_STEPS passed first */
	WALK_ROOT,        /* the caller's mount namespace root, or a pseudo file (memfd, anon inode) */
	WALK_UNREACHABLE, /* the top of a mount tree that is not the caller's: a detached mount
			   * (open_tree, umount -l), another namespace's; then up its filesystem */
};

struct walk_ctx {
	struct dentry *d;
	struct vfsmount *vm;
	struct mount *mnt;
	struct mount *ns_root; /* the caller's mount namespace's root mount */
	__u32 n;               /* components pushed, leaf first */
	__u32 end;             /* enum walk_end */
	__u32 dev;             /* WALK_UNREACHABLE: the filesystem's device */
};

static __always_inline void push(struct scratch *s, struct walk_ctx *c, struct dentry *d)
{
	s->comp[c->n & COMP_MASK] = (__u64)d;
	c->n++;
}

/* walk_up handles one dentry or mount crossing for walk, leaf to root (a bpf_loop callback).
 * Returns 1 to stop. */
static long walk_up(__u32 i, struct walk_ctx *c)
{
	struct scratch *s = get_scratch();
	if (!s)
		return 1;
	/* locals: BPF_CORE_READ(c->x, ...) would make walk_ctx a CO-RE type */
	struct dentry *d = c->d;
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (c->end == WALK_UNREACHABLE) {
		/* up the filesystem of a tree we cannot reach, to its root */
		if (d == parent)
			return 1;
		push(s, c, d);
		c->d = parent;
		return 0;
	}
	struct vfsmount *vm = c->vm;
	struct mount *mnt = c->mnt;
	if (d == BPF_CORE_READ(vm, mnt_root)) {
		struct mount *mp = BPF_CORE_READ(mnt, mnt_parent);
		if (mp != mnt) {
			c->d = BPF_CORE_READ(mnt, mnt_mountpoint);
			c->mnt = mp;
			c->vm = (void *)mp + bpf_core_field_offset(struct mount, mnt);
			return 0;
		}
		if (mnt == c->ns_root) {
			c->end = WALK_ROOT;
			return 1;
		}
		/* The top of a tree that is not ours: what is truthful is the device and the path
		 * within the filesystem, from the tree's root dentry up. */
		c->end = WALK_UNREACHABLE;
		c->dev = BPF_CORE_READ(vm, mnt_sb, s_dev);
		if (d == parent)
			return 1;
		push(s, c, d);
		c->d = parent;
		return 0;
	}
	push(s, c, d);
	if (d == parent) {
		/* a pseudo file's dentry is its own parent (memfd, anon inodes): its name is the
		 * whole path, as d_path shows it ("/memfd:NAME") */
		c->end = WALK_ROOT;
		return 1;
	}
	c->d = parent;
	return 0;
}

struct emit_ctx {
	__u32 n; /* components pushed */
	__u32 off;
	__u32 cut;
};

/* walk_emit appends the j-th component from the root to s->walk (a bpf_loop callback). */
static long walk_emit(__u32 j, struct emit_ctx *c)
{
	struct scratch *s = get_scratch();
	if (!s)
		return 1;
	struct dentry *d = (void *)s->comp[(c->n - 1 - j) & COMP_MASK];
	struct qstr q = BPF_CORE_READ(d, d_name);
	__u32 len = q.len & NAME_MASK;
	__u32 off = c->off;
	if (off + 1 + len > WALK_SIZE) {
		c->cut = 1;
		return 1;
	}
	s->walk[off & WALK_MASK] = '/';
	bpf_probe_read_kernel(&s->walk[(off + 1) & WALK_MASK], len, q.name);
	c->off = off + 1 + len;
	return 0;
}

/* The prefix of a path not reachable from the caller's root (see walk). */
static const char unreachable_fmt[] = "(unreachable %u:%u)";
static const char gave_up[] = "(unreachable)";

/* walk builds the path of (dentry, vfsmount) root first at the start of s->walk and returns its
 * length; WALK_CUT set: it was cut, keeping its head (rules match prefixes). Two passes: up to
 * the root collecting the dentries, then their names from the root down, until the buffer is
 * full. A path the walk cannot reach from the caller's mount namespace root never passes for
 * one: it is "(unreachable MAJOR:MINOR)" and the path within that device's filesystem (a
 * detached mount's, another namespace's), or "(unreachable)" alone, cut, when it is deeper
 * than WALK_STEPS. */
static __always_inline __u32 walk(struct scratch *s, struct dentry *d, struct vfsmount *vm)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct walk_ctx c = {
		.d = d,
		.vm = vm,
		.mnt = (void *)vm - bpf_core_field_offset(struct mount, mnt),
		.ns_root = BPF_CORE_READ(t, nsproxy, mnt_ns, root),
	};
	struct emit_ctx e = {};
	if (!d || !vm)
		return 0;
	bpf_loop(WALK_STEPS, walk_up, &c, 0);
	if (c.end == WALK_GAVE_UP) {
		bpf_probe_read_kernel(s->walk, sizeof(gave_up) - 1, gave_up);
		return (sizeof(gave_up) - 1) | WALK_CUT;
	}
	if (c.end == WALK_UNREACHABLE) {
		__u64 dev[2] = {c.dev >> 20, c.dev & 0xfffff}; /* the kernel's dev_t: MAJOR, MINOR */
		long n = bpf_snprintf(s->walk, 32, unreachable_fmt, dev, sizeof(dev));
		if (n > 0)
			e.off = (n - 1) & 31;
	}
	e.n = c.n;
	if (c.n > COMP_MAX) {
		e.cut = 1; /* the leaf side is gone from the ring */
		c.n = COMP_MAX;
	}
	bpf_loop(c.n, walk_emit, &e, 0);
	__u32 off = e.off;
	if (c.n == 0 && off < WALK_SIZE) {
		s->walk[off & WALK_MASK] = '/'; /* the root itself */
		off++;
	}
	if (off > WALK_SIZE)
		off = WALK_SIZE;
	return off | (e.cut << WALK_CUT_BIT);
}

/* put_walk copies the result of walk into slot. */
static __always_inline void put_walk(struct scratch *s, int slot, __u32 w)
{
	__u32 len = WALK_LEN(w);
	__u32 m = clamp_max(max_path);
	__u32 pos = s->pos;
	if (w & WALK_CUT)
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
	if (bpf_probe_read_kernel(&s->tail[TAIL_AT(pos)], len, s->walk))
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

/* put_path_dir completes a user path put_ustr stored in slot (at start): a relative one gets
 * the directory it is relative to in slot + 1. */
static __always_inline void put_path_dir(struct scratch *s, int slot, int dirfd, const void *uptr, int start)
{
	if (start >= 0 && s->h.slen[slot & 7] > 0 && s->tail[TAIL_AT(start)] == '/')
		return;
	if (!uptr)
		return;
	if (dirfd == AT_FDCWD)
		put_cwd(s, slot + 1);
	else
		put_file_path(s, slot + 1, fd_file(dirfd));
}

/* put_path appends a user path argument to slot and, when it is relative (or empty, as with
 * AT_EMPTY_PATH), the directory it is relative to in slot+1. */
static __always_inline void put_path(struct scratch *s, int slot, int dirfd, const void *uptr)
{
	put_path_dir(s, slot, dirfd, uptr, put_ustr(s, slot, uptr, max_path));
}

/* The longest path clean_absolute looks through; a longer one is not taken for clean. */
#define CLEAN_MAX 256

/* clean_absolute says whether the user path in slot (at start) is whole, absolute and clean
 * in a sense stricter than the receiver's (kevent.IsClean): no empty element, no element
 * that starts with a dot (so no "." or ".."), no trailing slash. Its record would carry no
 * file.path_as_given. */
static __always_inline int clean_absolute(struct scratch *s, int slot, int start)
{
	if (start < 0 || (s->h.trunc & (1 << slot)))
		return 0;
	__u32 len = s->h.slen[slot & 7];
	if (len < 2 || len > CLEAN_MAX || s->tail[TAIL_AT(start)] != '/')
		return 0;
	for (__u32 i = 0; i < CLEAN_MAX; i++) {
		if (i >= len)
			break;
		if (s->tail[TAIL_AT(start + i)] != '/')
			continue;
		if (i + 1 >= len)
			return 0;
		char next = s->tail[TAIL_AT(start + i + 1)];
		if (next == '/' || next == '.')
			return 0;
	}
	return 1;
}

#endif
