/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * The record layout the otelsec programs write to the ring buffer, read by the Go decoder
 * receiver/syscallreceiver/internal/kevent/decode.go. bpf2go generates Go for every type and
 * enum here (the -type list in ../gen.go), so the numbers are enums rather than #defines; the
 * types are put in the object's BTF, where bpf2go finds them, by otelsec.bpf.c.
 *
 * A record is a fixed HDR_SIZE-byte header followed by up to NSLOTS strings stored back to back
 * without terminators; hdr.slen[i] is the length of string i, bit i of hdr.trunc says it was
 * cut at a bound. Which a[] word and which slot means what depends on the kind: see the
 * comments of kevent.Event and the programs (the <domain>.bpf.h files next to otelsec.bpf.c).
 */
#ifndef OTELSEC_RECORD_H
#define OTELSEC_RECORD_H

#include "../headers/vmlinux.h"

/* String bounds: a string starts at or below TAIL_START_MASK and is at most STR_MAX bytes, so
 * the tail never exceeds TAIL_SIZE; a string that would start later is dropped and marked
 * truncated. The 16 spare bytes cover put_str reading two bytes past a string's bound. */
enum rec_layout {
	REC_MAGIC = 0x05ec, /* hdr.magic */
	HDR_SIZE = 152,
	COMM_LEN = 16, /* hdr.comm: TASK_COMM_LEN */
	NWORDS = 6, /* hdr.a[] */
	NSLOTS = 6,
	STR_MAX = 4096,
	TAIL_START_MASK = 8191,
	TAIL_SIZE = TAIL_START_MASK + 1 + STR_MAX + 16,
};

enum slot {
	SLOT_PATH,
	SLOT_PATH_BASE,
	SLOT_PATH2,
	SLOT_PATH2_BASE,
	SLOT_X,
	SLOT_Y,
};

_Static_assert(SLOT_Y + 1 == NSLOTS, "one slot length per slot");

/* The rings records go out through (ring.h): the high-value kinds, which the rules look for and
 * which are rare, have one of their own, so that a flood of the others cannot crowd them out.
 * Which kinds are high-value is the loader's choice (events.Spec.Priority), passed as prio_mask. */
enum ring {
	RING_BULK,
	RING_PRIO,
	NRINGS,
};

/* hdr.hflags */
enum hflag {
	HFLAG_TTY = 1,
	/* privilege.*: the credentials before the call are not known (see the creds map) */
	HFLAG_OLD_UNKNOWN = 2,
	/* process.exec (success): the executable is on an overlay's upper layer (written in the
	 * container, not shipped in its image), or is a memfd (never on any filesystem) */
	HFLAG_EXE_UPPER = 4,
	HFLAG_EXE_MEMFD = 8,
};

/* Values of a hdr field or a[] word that stand for "none". */
enum rec_none {
	NO_SYSCALL = 0xffff,       /* nr: the record is not from a syscall */
	ID_UNCHANGED = 0xffffffff, /* privilege.*: (uid_t)-1, as set*id take it: left as is, or not known */
	MODE_UNKNOWN = 0xffffffff, /* fd.dup: the file's mode could not be read */
	LOGINUID_UNSET = 0xffffffff, /* hdr.loginuid: no login session (AUDIT_UID_UNSET) */
};

/* enum kind: kevent.Kind, schema.EventNames order from 1. */
enum kind {
	K_PROCESS_EXEC = 1,
	K_PROCESS_FORK,
	K_PROCESS_EXIT,
	K_PROCESS_PTRACE,
	K_PROCESS_CHDIR,
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
	__u64 ts;        /* bpf_ktime_get_boot_ns */
	__s64 ret;       /* syscall return value */
	__u64 a[NWORDS]; /* kind-specific numbers */
	__u32 pid;       /* tgid */
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
	__u32 loginuid; /* audit login uid, LOGINUID_UNSET when none */
	__u64 cap_eff;  /* the calling thread's effective and permitted capabilities */
	__u64 cap_perm;
	char comm[COMM_LEN]; /* the calling thread's comm, NUL-padded */
};

_Static_assert(sizeof(struct rec_hdr) == HDR_SIZE, "record header size");

#endif
