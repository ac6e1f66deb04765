// Package kernel loads and attaches the otelsec eBPF programs (package bpf) and reads their
// records. It is the kernel half of the syscall receiver; the component builds on it:
//
//	t, err := kernel.New(kernel.Options{Events: names, ExcludeExecutablePrefixes: p, SelfPID: os.Getpid()})
//	err = t.Start()                   // probe, load, attach; one clear error when it cannot run
//	log.Info("unavailable", t.Unavailable())  // selected events whose hooks are missing here
//	go t.Read(ctx, func(ev *kevent.Event) { ... })  // until ctx is done or Close
//	drops, _ := t.Drops()             // ring-buffer reservations that failed (exact; DropsByRing per ring)
//	t.DecodeErrors()                  // malformed records skipped
//	t.Close()                         // detaches everything; idempotent
//
// The *kevent.Event passed to the Read callback and its strings are only valid during the
// callback (they reference the reader's reused buffer).
//
// # Hooks
//
// Every syscall event is written once, at the syscall's exit, by a program on the per-syscall
// tracepoint syscalls:sys_exit_<name>; its arguments are read from the task's saved user
// registers (bpf_task_pt_regs), so no sys_enter program and no per-thread map is needed (and
// with no sys_enter program attached, the kernel skips its enter-side dispatch entirely).
// Exec, fork and exit come from the scheduler's BTF tracepoints. Which hooks produce which
// event is each event's description (package events; the table in docs/events.md is generated
// from it); the loader attaches the program whose ELF section names the hook, and only those
// of the selected events: other syscalls pay nothing. Maps and load-time variables are set
// through the bpf2go-generated specs.
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
// Strings are copied up to Options.MaxPathBytes (paths, names), MaxArgBytes (argv) and
// MaxEnvBytes (a successful exec's environment, none at 0), at most 4096 bytes each, and a
// record's strings start within its first 8 KiB of string space (the environment is written
// before argv, so with a long path and cwd a large bound can push argv out: it is kept small). A
// string cut at a bound has its Truncated flag set. Paths the kernel walks (executables, fd
// paths, the cwd and dirfd bases) keep their head when cut, as user path arguments do (rules
// match prefixes), and are flagged; a path not reachable from the caller's mount namespace
// root is "(unreachable MAJOR:MINOR)" and its path within that filesystem (bpf/lib/path.h).
// MaxArgs is applied by Read.
//
// # Ring buffers and wakeups
//
// There are two rings: the priority ring (Options.PriorityRingBufferSize) for the high-value
// kinds (events.Spec.Priority: exec, fork, exit, privilege and namespace changes, module and
// BPF loads, ...), the bulk ring for the rest, so that a flood of opens cannot crowd out what
// the rules look for. Read merges them in the order things happened (see rings).
//
// Records are written with BPF_RB_NO_WAKEUP (a wakeup per record costs microseconds); each CPU
// checks its ring's fill level every few records and forces a wakeup past
// Options.WakeupFraction of that ring. A busy Read sleeps in one epoll over both rings (in Go's
// netpoller), up to Options.PollInterval, so latency stays within a few milliseconds. After a
// poll interval without a record it is idle: it sets the object's reader_asleep flag and sleeps
// until the first record written after that, whose program wakes it (bpf/lib/submit.h), so an
// idle sensor wakes for nothing. A failed write is counted per CPU and ring (Drops sums them,
// DropsByRing by ring).
//
// # Costs (see BenchmarkSyscallOverhead)
//
// A captured syscall pays for one program: the header (ids, creds, boot-time clock), one copy
// of each user string (~100-150 ns each here: reading user memory from BPF has a fixed cost),
// kernel path walks only for relative paths and fd-based calls, and one ring write. Records
// are built in a per-CPU scratch buffer and copied out at their real length. Helper calls cost
// tens of ns each here (a call and a return, with the CPU's return-stack mitigations), so the
// header takes what it can from the task by loads: the task is asked for once per program,
// pid, tid and comm are read from it, and the syscall's arguments from the saved registers at
// a fixed offset from its stack (bpf/lib/regs.h). What is left on an absolute-path open: the
// task, the clock, the path copy and the ring write. Syscalls no program is attached to pay
// only the kernel's syscall-tracepoint dispatch (no sys_enter program is ever attached).
//
// # Kernel requirements
//
// BTF (/sys/kernel/btf/vmlinux), ring buffers (5.8), bpf_loop (5.17, used for path walks),
// bpf_task_pt_regs (5.15) and tracepoint support; tp_btf (5.5) for the successful-exec, fork
// and exit hooks (without it only failed execs are seen). bpf_rdonly_cast (a kfunc, 6.2) saves
// a helper call per record; without it the programs ask bpf_task_pt_regs each time (the same
// records; Tracer.Fallbacks says so and the receiver logs it). CO-RE adapts the struct layouts,
// including kernfs_node's parent renamed in 6.15.
//
// # Architectures
//
// The committed objects are built for amd64 (bpf/gen.go); arguments are read from x86_64
// pt_regs and Event.Syscall is an x86_64 number. arm64 needs a second bpf2go target with an
// arm64 vmlinux.h and PT_REGS_PARM*_SYSCALL, and its syscall table in kevent.
package kernel
