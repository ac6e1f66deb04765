// Package kernel loads and attaches the otelsec eBPF programs (package bpf) and reads their
// records. It is the kernel half of the syscall receiver; the component builds on it:
//
//	t, err := kernel.New(kernel.Options{Events: names, ExcludeExecutablePrefixes: p, SelfPID: os.Getpid()})
//	err = t.Start()                   // probe, load, attach; one clear error when it cannot run
//	log.Info("unavailable", t.Unavailable())  // selected events whose hooks are missing here
//	go t.Read(ctx, func(ev *kevent.Event) { ... })  // until ctx is done or Close
//	drops, _ := t.Drops()             // ring-buffer reservations that failed (exact)
//	t.DecodeErrors()                  // malformed records skipped
//	t.Close()                         // detaches everything; idempotent
//
// The *kevent.Event passed to the Read callback and its strings are only valid during the
// callback (they reference the reader's reused buffer).
//
// # Hooks per event (amd64)
//
// Every syscall event is written once, at the syscall's exit, by a program on the per-syscall
// tracepoint syscalls:sys_exit_<name>; its arguments are read from the task's saved user
// registers (bpf_task_pt_regs), so no sys_enter program and no per-thread map is needed (and
// with no sys_enter program attached, the kernel skips its enter-side dispatch entirely).
// Only the tracepoints of the selected events are attached: other syscalls pay nothing.
//
//	process.exec            tp_btf/sched_process_exec (success: bprm->file, mm argv, fs->pwd,
//	                        cgroup, tty); sys_exit_execve/execveat with ret < 0 (failures)
//	process.fork            tp_btf/sched_process_fork (new thread groups only)
//	process.exit            tp_btf/sched_process_exit (when the last thread exits)
//	process.ptrace          sys_exit_ptrace
//	file.open               sys_exit_open, openat, openat2
//	file.unlink             sys_exit_unlink, unlinkat, rmdir
//	file.rename             sys_exit_rename, renameat, renameat2
//	file.link               sys_exit_link, linkat
//	file.symlink            sys_exit_symlink, symlinkat
//	file.chmod              sys_exit_chmod, fchmod, fchmodat, fchmodat2
//	file.chown              sys_exit_chown, fchown, lchown, fchownat
//	file.mkdir              sys_exit_mkdir, mkdirat
//	file.mount              sys_exit_mount, umount2
//	file.memfd_create       sys_exit_memfd_create
//	fd.dup                  sys_exit_dup, dup2, dup3
//	network.socket          sys_exit_socket
//	network.connect         sys_exit_connect
//	network.accept          sys_exit_accept, accept4
//	network.bind            sys_exit_bind
//	network.listen          sys_exit_listen
//	network.send            sys_exit_sendto, sendmsg (only with a destination address)
//	privilege.setuid        sys_exit_setuid, setreuid, setresuid, setfsuid
//	privilege.setgid        sys_exit_setgid, setregid, setresgid, setfsgid
//	privilege.capset        sys_exit_capset
//	                        (the credentials "before" come from a per-process map kept at
//	                        exec, fork and each of these calls, seeded from /proc at Start: a
//	                        sys_enter program would make every syscall pay the enter dispatch)
//	namespace.setns         sys_exit_setns
//	namespace.unshare       sys_exit_unshare, clone, clone3 (clone only with CLONE_NEW* flags)
//	kernel.module_load      sys_exit_init_module, finit_module
//	kernel.module_unload    sys_exit_delete_module
//	kernel.bpf              sys_exit_bpf (MAP_CREATE, PROG_LOAD, BTF_LOAD, PROG_ATTACH,
//	                        LINK_CREATE, RAW_TRACEPOINT_OPEN)
//
// Where a tracepoint does not exist (arm64 has no open, chmod, ... syscalls) the remaining
// ones of the event are attached; an event with none left is reported by Unavailable.
//
// # Filtering in the kernel
//
// The collector's own thread group (Options.SelfPID) is dropped by every program (its
// children are traced). Processes whose executable, as the kernel resolves it, starts with one
// of Options.ExcludeExecutablePrefixes are marked at exec in a hash map (an LPM trie holds the
// prefixes); the mark is inherited at fork and removed at exit, and marked processes produce
// nothing at the cost of one hash lookup per captured syscall. An exec re-decides: an excluded
// process that executes something outside the prefixes is traced again (an exclusion must not
// become a blind spot for what an excluded tool spawns). Processes already running at Start
// are marked from /proc/<pid>/exe. The exec/fork/exit hooks are attached for this bookkeeping
// even when their events are not selected (they then write nothing).
//
// # Bounds and truncation
//
// Strings are copied up to Options.MaxPathBytes (paths, names) and MaxArgBytes (argv), at most
// 4096 bytes each, and a record's strings start within its first 8 KiB of string space. A
// string cut at a bound has its Truncated flag set; paths longer than 4096 bytes or deeper
// than 40 components are cut on the root side and flagged. MaxArgs is applied by Read.
//
// # Ring buffer and wakeups
//
// Records are written with BPF_RB_NO_WAKEUP (a wakeup per record costs microseconds); each CPU
// checks the ring's fill level every few records and forces a wakeup past
// Options.WakeupFraction of the ring, and Read polls every Options.PollInterval, so latency
// stays within a few milliseconds. A failed write is counted per CPU (Drops sums them).
//
// # Costs (see BenchmarkSyscallOverhead)
//
// A captured syscall pays for one program: the header (ids, creds, boot-time clock), one copy
// of each user string (~100-150 ns each here: reading user memory from BPF has a fixed cost),
// kernel path walks only for relative paths and fd-based calls, and one ring write. Records
// are built in a per-CPU scratch buffer and copied out at their real length. Syscalls no
// program is attached to pay only the kernel's syscall-tracepoint dispatch (no sys_enter
// program is ever attached).
//
// # Kernel requirements
//
// BTF (/sys/kernel/btf/vmlinux), ring buffers (5.8), bpf_loop (5.17, used for path walks),
// bpf_task_pt_regs (5.15) and tracepoint support; tp_btf (5.5) for the successful-exec, fork
// and exit hooks (without it only failed execs are seen). CO-RE adapts the struct layouts,
// including kernfs_node's parent renamed in 6.15.
//
// # Architectures
//
// The committed objects are built for amd64 (bpf/gen.go); arguments are read from x86_64
// pt_regs and Event.Syscall is an x86_64 number. arm64 needs a second bpf2go target with an
// arm64 vmlinux.h and PT_REGS_PARM*_SYSCALL, and its syscall table in kevent.
package kernel
