/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What process.exec says of the new image beyond its path: where the executable lives
 * (an overlay's upper layer, a memfd), and the process's pid as its own pid namespace shows it.
 */
#ifndef OTELSEC_EXE_H
#define OTELSEC_EXE_H

#include "../headers/vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "record.h"

#define OVERLAYFS_MAGIC 0x794c7630
#define TMPFS_MAGIC_ 0x01021994
#define HUGETLBFS_MAGIC_ 0x958458f6

/* exe_flags: HFLAG_EXE_UPPER when f is on an overlay and its inode has an upper dentry
 * (the file was written in the container, or copied up on a change, rather than coming from
 * the image's lower layers); HFLAG_EXE_MEMFD when f is a memfd: an unlinked tmpfs/hugetlbfs
 * inode named "memfd:..." (memfd_create's files are on the kernel's internal mount). */
static __always_inline __u16 exe_flags(struct file *f)
{
	struct dentry *d = BPF_CORE_READ(f, f_path.dentry);
	unsigned long magic = BPF_CORE_READ(d, d_sb, s_magic);
	struct inode *ino = BPF_CORE_READ(d, d_inode);
	if (!ino)
		return 0;
	if (magic == OVERLAYFS_MAGIC) {
		/* the VFS inode of an overlay file is embedded in its struct ovl_inode */
		struct ovl_inode *oi = (void *)ino - bpf_core_field_offset(struct ovl_inode, vfs_inode);
		struct dentry *upper = BPF_CORE_READ(oi, __upperdentry);
		return upper && BPF_CORE_READ(upper, d_inode) ? HFLAG_EXE_UPPER : 0;
	}
	if ((magic == TMPFS_MAGIC_ || magic == HUGETLBFS_MAGIC_) && BPF_CORE_READ(ino, __i_nlink) == 0) {
		char name[8] = {};
		bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(d, d_name.name));
		if (name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' && name[4] == 'd' && name[5] == ':')
			return HFLAG_EXE_MEMFD;
	}
	return 0;
}

/* task_vpid: t's thread-group id in the pid namespace t lives in (getpid() inside it). */
static __always_inline __u32 task_vpid(struct task_struct *t)
{
	struct pid *p = BPF_CORE_READ(t, signal, pids[PIDTYPE_TGID]);
	if (!p)
		return 0;
	unsigned int level = BPF_CORE_READ(p, level);
	int nr = 0;
	bpf_probe_read_kernel(&nr, sizeof(nr), &p->numbers[level & 31].nr);
	return nr;
}

#endif
