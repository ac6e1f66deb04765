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

char LICENSE[] SEC("license") = "GPL";

#include "process.bpf.h"
#include "file.bpf.h"
#include "network.bpf.h"
#include "privilege.bpf.h"
#include "namespace.bpf.h"
#include "kernel.bpf.h"

