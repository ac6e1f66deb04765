/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Constants of the kernel's user ABI. vmlinux.h carries the kernel's types and enums but not
 * its #defines, so the ones the programs need are repeated here, each with its UAPI header.
 */
#ifndef OTELSEC_UAPI_H
#define OTELSEC_UAPI_H

/* asm-generic/fcntl.h */
#define O_WRONLY 00000001
#define O_CREAT 00000100
#define O_TRUNC 00001000

/* linux/fcntl.h */
#define AT_FDCWD -100
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200

/* linux/stat.h */
#define S_IFMT 00170000
#define S_IFSOCK 0140000

/* linux/socket.h */
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10

/* linux/sched.h */
#define CLONE_NEWTIME 0x00000080
#define CLONE_NEWNS 0x00020000
#define CLONE_NEWCGROUP 0x02000000
#define CLONE_NEWUTS 0x04000000
#define CLONE_NEWIPC 0x08000000
#define CLONE_NEWUSER 0x10000000
#define CLONE_NEWPID 0x20000000
#define CLONE_NEWNET 0x40000000

/* asm-generic/errno.h (x86 uses the generic numbers) */
#define EINPROGRESS 115

/* linux/limits.h: the longest file name, also the kernfs (cgroup) names' bound */
#define NAME_MAX 255

#endif
