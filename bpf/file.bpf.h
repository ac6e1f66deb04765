/* SPDX-License-Identifier: GPL-2.0-only */
/* file.* and fd.dup: the path calls, mount, memfd_create and the dup family. */

#include "headers/vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "lib/path.h"
#include "lib/record.h"
#include "lib/sock.h"
#include "lib/str.h"
#include "lib/submit.h"
#include "lib/regs.h"
#include "lib/syscall.h"
#include "lib/uapi.h"
#include "lib/verdict.h"

/* The bound of a filesystem type name (mount); the kernel's are far shorter. */
#define FSTYPE_MAX 64

/* A fast path that read short absolute paths straight into a fixed-size ring reservation was
 * measured (syscall-level A/B, quiet machine) no cheaper than this: the one user-memory read
 * of the path dominates the difference to a bare record, not the scratch copy. */
static __always_inline int do_open(struct sys_exit_args *ctx, struct task_struct *t, int dirfd, const void *path, __u64 flags, __u64 mode)
{
	/* read before begin() takes the record's time (lib/verdict.h) */
	__u64 gen = lineage_now();
	struct scratch *s = begin(ctx, t, K_FILE_OPEN);
	if (!s)
		return 0;
	s->h.a[0] = dirfd;
	s->h.a[1] = flags;
	s->h.a[2] = mode;
	int start = put_ustr(s, SLOT_PATH, path, max_path);
	/* Failures the receiver's rules cannot match (quiet_open): most of a compiler's opens. */
	if (quiet_errno(ctx->ret) && clean_absolute(s, SLOT_PATH, start)) {
		count_quiet();
		return 0;
	}
	/* Opens the receiver has decided before: most of the rest. */
	if (remembered_open(s, t, gen, start))
		return 0;
	s->h.a[3] = gen;
	s->h.a[4] = t->self_exec_id;
	s->h.a[5] = t->group_leader->start_boottime;
	put_path_dir(s, SLOT_PATH, dirfd, path, start);
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_open")
int exit_open(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_open(ctx, t, AT_FDCWD, (void *)ARG0(r), ARG1(r), ARG2(r));
}

/* creat(path, mode) is open(path, O_CREAT | O_WRONLY | O_TRUNC, mode). */
SEC("tracepoint/syscalls/sys_exit_creat")
int exit_creat(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_open(ctx, t, AT_FDCWD, (void *)ARG0(r), O_CREAT | O_WRONLY | O_TRUNC, ARG1(r));
}

SEC("tracepoint/syscalls/sys_exit_openat")
int exit_openat(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_open(ctx, t, (int)ARG0(r), (void *)ARG1(r), ARG2(r), ARG3(r));
}

SEC("tracepoint/syscalls/sys_exit_openat2")
int exit_openat2(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	struct open_how how = {};
	bpf_probe_read_user(&how, sizeof(how), (void *)ARG2(r));
	return do_open(ctx, t, (int)ARG0(r), (void *)ARG1(r), how.flags, how.mode);
}

/* do_path records a call on one (dirfd, path) with one more argument: unlink's flags, mkdir's
 * mode. */
static __always_inline int do_path(struct sys_exit_args *ctx, struct task_struct *t, __u16 kind, int dirfd, const void *path, __u64 arg)
{
	struct scratch *s = begin(ctx, t, kind);
	if (!s)
		return 0;
	s->h.a[0] = dirfd;
	s->h.a[1] = arg;
	put_path(s, SLOT_PATH, dirfd, path);
	return submit(s);
}

#define do_unlink(ctx, t, dirfd, path, flags) do_path(ctx, t, K_FILE_UNLINK, dirfd, path, flags)
#define do_mkdir(ctx, t, dirfd, path, mode) do_path(ctx, t, K_FILE_MKDIR, dirfd, path, mode)

SEC("tracepoint/syscalls/sys_exit_unlink")
int exit_unlink(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_unlink(ctx, t, AT_FDCWD, (void *)ARG0(r), 0);
}

SEC("tracepoint/syscalls/sys_exit_unlinkat")
int exit_unlinkat(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_unlink(ctx, t, (int)ARG0(r), (void *)ARG1(r), ARG2(r));
}

SEC("tracepoint/syscalls/sys_exit_rmdir")
int exit_rmdir(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_unlink(ctx, t, AT_FDCWD, (void *)ARG0(r), AT_REMOVEDIR);
}

/* rename and link: slot PATH = the new path (created), PATH2 = the old one. */
static __always_inline int do_twopath(struct sys_exit_args *ctx, struct task_struct *t, __u16 kind, int olddfd, const void *oldp, int newdfd,
				      const void *newp, __u64 flags)
{
	struct scratch *s = begin(ctx, t, kind);
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
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_twopath(ctx, t, K_FILE_RENAME, AT_FDCWD, (void *)ARG0(r), AT_FDCWD, (void *)ARG1(r), 0);
}

SEC("tracepoint/syscalls/sys_exit_renameat")
int exit_renameat(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_twopath(ctx, t, K_FILE_RENAME, (int)ARG0(r), (void *)ARG1(r), (int)ARG2(r), (void *)ARG3(r), 0);
}

SEC("tracepoint/syscalls/sys_exit_renameat2")
int exit_renameat2(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_twopath(ctx, t, K_FILE_RENAME, (int)ARG0(r), (void *)ARG1(r), (int)ARG2(r), (void *)ARG3(r), ARG4(r));
}

SEC("tracepoint/syscalls/sys_exit_link")
int exit_link(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_twopath(ctx, t, K_FILE_LINK, AT_FDCWD, (void *)ARG0(r), AT_FDCWD, (void *)ARG1(r), 0);
}

SEC("tracepoint/syscalls/sys_exit_linkat")
int exit_linkat(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_twopath(ctx, t, K_FILE_LINK, (int)ARG0(r), (void *)ARG1(r), (int)ARG2(r), (void *)ARG3(r), ARG4(r));
}

static __always_inline int do_symlink(struct sys_exit_args *ctx, struct task_struct *t, const void *target, int newdfd, const void *linkpath)
{
	struct scratch *s = begin(ctx, t, K_FILE_SYMLINK);
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
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_symlink(ctx, t, (void *)ARG0(r), AT_FDCWD, (void *)ARG1(r));
}

SEC("tracepoint/syscalls/sys_exit_symlinkat")
int exit_symlinkat(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_symlink(ctx, t, (void *)ARG0(r), (int)ARG1(r), (void *)ARG2(r));
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
static __always_inline int do_chmod(struct sys_exit_args *ctx, struct task_struct *t, int dirfd, const void *path, __u64 mode, __u64 flags,
				    int fd)
{
	struct scratch *s = begin(ctx, t, K_FILE_CHMOD);
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
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_chmod(ctx, t, AT_FDCWD, (void *)ARG0(r), ARG1(r), 0, -1);
}

SEC("tracepoint/syscalls/sys_exit_fchmod")
int exit_fchmod(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_chmod(ctx, t, AT_FDCWD, NULL, ARG1(r), 0, (int)ARG0(r));
}

SEC("tracepoint/syscalls/sys_exit_fchmodat")
int exit_fchmodat(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_chmod(ctx, t, (int)ARG0(r), (void *)ARG1(r), ARG2(r), 0, -1);
}

SEC("tracepoint/syscalls/sys_exit_fchmodat2")
int exit_fchmodat2(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_chmod(ctx, t, (int)ARG0(r), (void *)ARG1(r), ARG2(r), ARG3(r), -1);
}

/* chown family: a0 dirfd, a1 uid, a2 gid, a3 flags, a4 fd or -1. */
static __always_inline int do_chown(struct sys_exit_args *ctx, struct task_struct *t, int dirfd, const void *path, __u64 uid, __u64 gid,
				    __u64 flags, int fd)
{
	struct scratch *s = begin(ctx, t, K_FILE_CHOWN);
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
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_chown(ctx, t, AT_FDCWD, (void *)ARG0(r), ARG1(r), ARG2(r), 0, -1);
}

SEC("tracepoint/syscalls/sys_exit_lchown")
int exit_lchown(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_chown(ctx, t, AT_FDCWD, (void *)ARG0(r), ARG1(r), ARG2(r), AT_SYMLINK_NOFOLLOW, -1);
}

SEC("tracepoint/syscalls/sys_exit_fchown")
int exit_fchown(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_chown(ctx, t, AT_FDCWD, NULL, ARG1(r), ARG2(r), 0, (int)ARG0(r));
}

SEC("tracepoint/syscalls/sys_exit_fchownat")
int exit_fchownat(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_chown(ctx, t, (int)ARG0(r), (void *)ARG1(r), ARG2(r), ARG3(r), ARG4(r), -1);
}

SEC("tracepoint/syscalls/sys_exit_mkdir")
int exit_mkdir(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_mkdir(ctx, t, AT_FDCWD, (void *)ARG0(r), ARG1(r));
}

SEC("tracepoint/syscalls/sys_exit_mkdirat")
int exit_mkdirat(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_mkdir(ctx, t, (int)ARG0(r), (void *)ARG1(r), ARG2(r));
}

SEC("tracepoint/syscalls/sys_exit_mount")
int exit_mount(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct scratch *s = begin(ctx, t, K_FILE_MOUNT);
	if (!s)
		return 0;
	struct pt_regs *r = uregs(t);
	s->h.a[0] = ARG3(r);
	put_path(s, SLOT_PATH, AT_FDCWD, (void *)ARG1(r));
	put_ustr(s, SLOT_PATH2, (void *)ARG0(r), max_path);
	put_ustr(s, SLOT_X, (void *)ARG2(r), FSTYPE_MAX);
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_umount")
int exit_umount2(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct scratch *s = begin(ctx, t, K_FILE_MOUNT);
	if (!s)
		return 0;
	struct pt_regs *r = uregs(t);
	s->h.a[0] = ARG1(r);
	put_path(s, SLOT_PATH, AT_FDCWD, (void *)ARG0(r));
	return submit(s);
}

SEC("tracepoint/syscalls/sys_exit_memfd_create")
int exit_memfd_create(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct scratch *s = begin(ctx, t, K_FILE_MEMFD_CREATE);
	if (!s)
		return 0;
	struct pt_regs *r = uregs(t);
	s->h.a[0] = ARG1(r);
	put_ustr(s, SLOT_X, (void *)ARG0(r), NAME_MAX);
	return submit(s);
}

/* ---- fd.dup ---- */

static __always_inline int do_dup(struct sys_exit_args *ctx, struct task_struct *t, int oldfd, int newfd)
{
	struct scratch *s = begin(ctx, t, K_FD_DUP);
	if (!s)
		return 0;
	s->h.a[0] = (__u64)(__s64)oldfd;
	s->h.a[1] = (__u64)(__s64)newfd;
	s->h.a[3] = MODE_UNKNOWN;
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
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_dup(ctx, t, (int)ARG0(r), (int)ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_dup2")
int exit_dup2(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_dup(ctx, t, (int)ARG0(r), (int)ARG1(r));
}

SEC("tracepoint/syscalls/sys_exit_dup3")
int exit_dup3(struct sys_exit_args *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *r = uregs(t);
	return do_dup(ctx, t, (int)ARG0(r), (int)ARG1(r));
}
