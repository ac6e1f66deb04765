/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * The record layout the otelsec programs write to the ring buffer. Its Go twin (the ONLY
 * decoder) is receiver/syscallreceiver/internal/kevent/decode.go: change both together.
 *
 * A record is a fixed 120-byte header followed by up to NSLOTS strings stored back to back
 * without terminators; hdr.slen[i] is the length of string i, bit i of hdr.trunc says it was
 * cut at a bound. Which a[] word and which slot means what depends on the kind: see the
 * comments of kevent.Event and the programs (the <domain>.bpf.h files next to otelsec.bpf.c).
 */
#ifndef OTELSEC_RECORD_H
#define OTELSEC_RECORD_H

#define REC_MAGIC 0x05ec
#define NSLOTS 6
#define HDR_SIZE 120

/* String bounds. A string starts below TAIL_START_LIMIT and is at most STR_MAX bytes, so the
 * tail never exceeds TAIL_SIZE; a string that would start later is dropped and marked
 * truncated. */
#define STR_MAX 4096
#define TAIL_START_MASK 8191
#define TAIL_SIZE (8192 + STR_MAX + 16)

/* Slots. */
#define SLOT_PATH 0
#define SLOT_PATH_BASE 1
#define SLOT_PATH2 2
#define SLOT_PATH2_BASE 3
#define SLOT_X 4
#define SLOT_Y 5

#define HFLAG_TTY 1
/* privilege.*: the credentials before the call are not known (see the creds map) */
#define HFLAG_OLD_UNKNOWN 2

/* Values of a hdr field or a[] word that stand for "none". */
#define NO_SYSCALL 0xffff       /* nr: the record is not from a syscall */
#define ID_UNCHANGED 0xffffffff /* privilege.*: (uid_t)-1, as set*id take it: left as is, or not known */
#define MODE_UNKNOWN 0xffffffff /* fd.dup: the file's mode could not be read */

/* enum kind: kevent.Kind, schema.EventNames order from 1. */
enum kind {
	K_PROCESS_EXEC = 1,
	K_PROCESS_FORK,
	K_PROCESS_EXIT,
	K_PROCESS_PTRACE,
	K_FILE_OPEN,
	K_FILE_UNLINK,
	K_FILE_RENAME,
	K_FILE_LINK,
	K_FILE_SYMLINK,
	K_FILE_CHMOD,
	K_FILE_CHOWN,
	K_FILE_MKDIR,
	K_FILE_MOUNT,
	K_FILE_MEMFD_CREATE,
	K_FD_DUP,
	K_NETWORK_SOCKET,
	K_NETWORK_CONNECT,
	K_NETWORK_ACCEPT,
	K_NETWORK_BIND,
	K_NETWORK_LISTEN,
	K_NETWORK_SEND,
	K_PRIVILEGE_SETUID,
	K_PRIVILEGE_SETGID,
	K_PRIVILEGE_CAPSET,
	K_NAMESPACE_SETNS,
	K_NAMESPACE_UNSHARE,
	K_KERNEL_MODULE_LOAD,
	K_KERNEL_MODULE_UNLOAD,
	K_KERNEL_BPF,
};

struct rec_hdr {
	__u64 ts;   /* bpf_ktime_get_boot_ns */
	__s64 ret;  /* syscall return value */
	__u64 a[6]; /* kind-specific numbers */
	__u32 pid;  /* tgid */
	__u32 tid;
	__u32 ppid; /* real_parent->tgid */
	__u32 uid;
	__u32 euid;
	__u32 gid;
	__u32 egid;
	__u16 kind;
	__u16 nr;
	__u16 slen[NSLOTS];
	__u16 trunc;
	__u16 hflags;
	__u16 magic;
	__u16 pad0;
	__u32 pad1;
};

_Static_assert(sizeof(struct rec_hdr) == HDR_SIZE, "record header size");

#endif
