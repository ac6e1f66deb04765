//go:build ignore

// SPDX-License-Identifier: GPL-2.0-only
/*
 * otelsec kernel programs: one record per security-relevant syscall, written at the syscall's
 * exit with its arguments and result (syscalls:sys_exit_<name> tracepoints; the arguments come
 * from the task's saved user registers), plus the scheduler hooks for exec, fork and exit.
 * Record layout: lib/record.h. Loaded and attached by receiver/syscallreceiver/internal/kernel,
 * which finds the programs by function name.
 *
 * bpf2go compiles one source into one object, and the programs share their maps and
 * configuration, so this file is that one source: it includes one file per event domain. The
 * domain files are headers (<domain>.bpf.h), not .c files, because they are not compiled on
 * their own; the shared helpers they use are in lib/.
 */
#include "headers/vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "lib/record.h"

char LICENSE[] SEC("license") = "GPL";

#include "process.bpf.h"
#include "file.bpf.h"
#include "network.bpf.h"
#include "privilege.bpf.h"
#include "namespace.bpf.h"
#include "kernel.bpf.h"

/* bpf2go -type (gen.go) generates Go only for types in the object's BTF, and clang emits only
 * the types something uses: the record header and the map keys and values are, but the enums
 * are only values. A const pointer to each puts it in BTF, for 8 bytes of .rodata each (const
 * and zero, so not .bss: no extra map). */
#define EMIT_TYPE(type, name) const type *const name __attribute__((unused)) = 0
EMIT_TYPE(enum kind, unused_kind);
EMIT_TYPE(enum rec_layout, unused_rec_layout);
EMIT_TYPE(enum slot, unused_slot);
EMIT_TYPE(enum hflag, unused_hflag);
EMIT_TYPE(enum rec_none, unused_rec_none);
EMIT_TYPE(enum ring, unused_ring);
