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

/* The walk stops after PATH_DEPTH components and marks the path cut. */
#define PATH_DEPTH 40

/* walk's result: the path's length, with bit WALK_CUT_BIT set when it was cut. */
#define WALK_CUT_BIT 31
#define WALK_CUT (1u << WALK_CUT_BIT)
#define WALK_LEN(w) ((w) & ~WALK_CUT)

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
 * returns its length (s->walk_off is its start); WALK_CUT set: the path was cut on the root side
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
	return (WALK_SIZE - off) | (c.cut << WALK_CUT_BIT);
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

#endif
