package kevent

import (
	"net/netip"

	"github.com/otelsec/otelsec/bpf"

	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/validutf8"
)

// Kind identifies the event of a record: the kernel programs' enum kind (bpf/lib/record.h).
// Package events describes each kind.
type Kind uint16

const (
	KindInvalid            Kind = 0
	KindProcessExec             = Kind(bpf.OtelsecKindK_PROCESS_EXEC)
	KindProcessFork             = Kind(bpf.OtelsecKindK_PROCESS_FORK)
	KindProcessExit             = Kind(bpf.OtelsecKindK_PROCESS_EXIT)
	KindProcessPtrace           = Kind(bpf.OtelsecKindK_PROCESS_PTRACE)
	KindProcessChdir            = Kind(bpf.OtelsecKindK_PROCESS_CHDIR)
	KindFileOpen                = Kind(bpf.OtelsecKindK_FILE_OPEN)
	KindFileUnlink              = Kind(bpf.OtelsecKindK_FILE_UNLINK)
	KindFileRename              = Kind(bpf.OtelsecKindK_FILE_RENAME)
	KindFileLink                = Kind(bpf.OtelsecKindK_FILE_LINK)
	KindFileSymlink             = Kind(bpf.OtelsecKindK_FILE_SYMLINK)
	KindFileChmod               = Kind(bpf.OtelsecKindK_FILE_CHMOD)
	KindFileChown               = Kind(bpf.OtelsecKindK_FILE_CHOWN)
	KindFileMkdir               = Kind(bpf.OtelsecKindK_FILE_MKDIR)
	KindFileMount               = Kind(bpf.OtelsecKindK_FILE_MOUNT)
	KindFileMemfdCreate         = Kind(bpf.OtelsecKindK_FILE_MEMFD_CREATE)
	KindFdDup                   = Kind(bpf.OtelsecKindK_FD_DUP)
	KindNetworkSocket           = Kind(bpf.OtelsecKindK_NETWORK_SOCKET)
	KindNetworkConnect          = Kind(bpf.OtelsecKindK_NETWORK_CONNECT)
	KindNetworkAccept           = Kind(bpf.OtelsecKindK_NETWORK_ACCEPT)
	KindNetworkBind             = Kind(bpf.OtelsecKindK_NETWORK_BIND)
	KindNetworkListen           = Kind(bpf.OtelsecKindK_NETWORK_LISTEN)
	KindNetworkSend             = Kind(bpf.OtelsecKindK_NETWORK_SEND)
	KindPrivilegeSetuid         = Kind(bpf.OtelsecKindK_PRIVILEGE_SETUID)
	KindPrivilegeSetgid         = Kind(bpf.OtelsecKindK_PRIVILEGE_SETGID)
	KindPrivilegeCapset         = Kind(bpf.OtelsecKindK_PRIVILEGE_CAPSET)
	KindNamespaceSetns          = Kind(bpf.OtelsecKindK_NAMESPACE_SETNS)
	KindNamespaceUnshare        = Kind(bpf.OtelsecKindK_NAMESPACE_UNSHARE)
	KindKernelModuleLoad        = Kind(bpf.OtelsecKindK_KERNEL_MODULE_LOAD)
	KindKernelModuleUnload      = Kind(bpf.OtelsecKindK_KERNEL_MODULE_UNLOAD)
	KindKernelBPF               = Kind(bpf.OtelsecKindK_KERNEL_BPF)
)

// NoSyscall is Event.Syscall for records that do not come from a syscall (process.exit, an exec
// done by a kernel thread such as a usermode helper).
const NoSyscall = uint16(bpf.OtelsecRecNoneNO_SYSCALL)

// Str is a string field of a record. B references the raw record (see the package doc).
// Truncated is set when the kernel cut the value at a bound: a truncated value is never whole.
type Str struct {
	B         []byte
	Truncated bool
}

// String copies the bytes, replacing invalid UTF-8 with U+FFFD so the result is safe for pdata.
func (s Str) String() string { return validutf8.FromBytes(s.B) }

// Empty reports whether the field holds no bytes.
func (s Str) Empty() bool { return len(s.B) == 0 }

// Sockaddr is a decoded socket address (from a sockaddr the caller passed, or built by the
// kernel program from a struct sock). Family is AF_* (0 when absent).
type Sockaddr struct {
	Family uint16
	Port   uint16 // host byte order, inet only
	IP     netip.Addr
	// Path is the AF_UNIX path; abstract names start with a NUL byte (shown as "@" by convention).
	Path Str
}

// Valid reports whether an address was present.
func (a Sockaddr) Valid() bool { return a.Family != 0 }

// Event is one decoded record: a syscall at its exit, or a scheduler hook (exec, fork, exit).
//
// The header fields are set for every kind. The event-specific fields are set only for the
// kinds named in their comment and are zero otherwise. Paths: Path is the path argument exactly
// as the caller gave it; when it is relative, PathBase is the absolute path of the directory it
// is relative to (the dirfd's path, or the cwd for AT_FDCWD), so PathBase+"/"+Path resolves it
// (record.resolvePath joins them). Absolute paths carry no base. Paths the kernel resolved itself (exec's
// executable, fd paths) are absolute.
type Event struct {
	Kind    Kind
	Syscall uint16 // syscall number of the running arch; NoSyscall when not from a syscall
	Ret     int64  // raw return value; -errno on failure (see Errno)
	BootNs  uint64 // CLOCK_BOOTTIME ns when the record was written
	// UnixNano is the wall-clock time; kernel.Tracer fills it from BootNs, Decode leaves it 0.
	UnixNano int64

	PID  uint32 // thread-group id
	TID  uint32
	PPID uint32 // real_parent's tgid
	UID  uint32 // real uid, at the syscall's exit
	EUID uint32
	GID  uint32
	EGID uint32
	// TTY: the process has a controlling terminal (signal->tty). Set for every kind.
	TTY bool
	// Comm is the calling thread's command name as the kernel keeps it (task->comm: the
	// executable's basename at exec, or what prctl(PR_SET_NAME) set), NUL-padded; see
	// CommBytes. For process.exec, the new image's.
	Comm [CommLen]byte
	// LoginUID is the audit login uid (set by the login session, inherited, never changed by
	// setuid); LoginUIDUnset outside a session.
	LoginUID uint32
	// ThreadCapEffective and ThreadCapPermitted are the calling thread's capability sets at
	// the record (bit n: capability n).
	ThreadCapEffective, ThreadCapPermitted uint64

	// Path/PathBase: file.* (the path acted on; for rename and link the path created, for
	// symlink the link created, for mount/umount the mount point), process.exec (the executable
	// as the kernel resolved it, absolute, for a successful exec; the filename as given for a
	// failed one), process.chdir (the new working directory, absolute, on success; the
	// directory asked for on failure), kernel.module_load (finit_module: the module file's path).
	Path, PathBase Str
	// Path2/Path2Base: file.rename (the old path), file.link (the existing file).
	// process.exec: the filename as given to execve (bprm->filename; a script's path when the
	// executable is its interpreter).
	Path2, Path2Base Str

	// process.exec. Argv holds the arguments separated by NUL bytes (see Args), bounded in
	// bytes by the kernel; Argv.Truncated when cut. ArgCount is argc as the kernel counted it
	// (successful exec): it can exceed the number of arguments Argv holds. For a failed exec
	// the arguments are read from the caller's array, at most 32 (ArgCount counts those read).
	Argv     Str
	ArgCount uint32
	// Env: process.exec (success): the new environment, NAME=VALUE strings separated by NUL
	// bytes (read with Args), bounded by the kernel (Options.MaxEnvBytes; empty when 0).
	Env Str
	Cwd Str // process.exec (success): working directory, absolute
	// Cgroup is "<parent>/<leaf>" of the task's default-hierarchy (v2) cgroup, e.g.
	// "system.slice/docker-<id>.scope" or "docker/<id>"; procinfo.ContainerIDFromCgroupPath reads the id.
	Cgroup Str

	// VPID: process.exec, process.fork: the process's pid in its own pid namespace (the
	// caller's for fork).
	VPID uint32
	// ExeUpperLayer, ExeFromMemfd: process.exec (success): the executable is on an overlay's
	// upper layer (written in the container rather than shipped in its image), or is a memfd.
	ExeUpperLayer, ExeFromMemfd bool

	ChildPID   uint32 // process.fork: the new process
	ExitStatus uint32 // process.exit: wait status (code<<8 | signal); see ExitCode

	PtraceRequest int64  // process.ptrace
	TargetPID     int32  // process.ptrace
	PtraceAddr    uint64 // process.ptrace

	// DirFD: the dirfd of Path (-100 AT_FDCWD) for the *at syscalls; DirFD2 that of Path2.
	// For fchmod/fchown/fchdir/finit_module/setns/network.* the fd operated on is in FD
	// (process.chdir: -100 for chdir).
	DirFD, DirFD2 int32
	FD            int32
	// Flags: file.open (O_* flags; openat2: how.flags), file.unlink (AT_REMOVEDIR; set for
	// rmdir too), file.rename (RENAME_*), file.link/chmod/chown (AT_*), file.mount (MS_* for
	// mount, MNT_* for umount2), file.memfd_create (MFD_*),
	// namespace.* (CLONE_NEW* flags; setns: nstype).
	Flags uint64
	// Mode: file.open, file.chmod, file.mkdir (permission bits, may include S_IS*).
	Mode uint32
	// LineageGen, ExecID and GroupStart: file.open, the kernel's lineage count, the thread's
	// self_exec_id and its thread group's start (ns since boot) as the program read them (what
	// a remembered open's class is set with: bpf/lib/verdict.h).
	LineageGen uint64
	ExecID     uint32
	GroupStart uint64
	// OwnerUID/OwnerGID: file.chown (0xffffffff: unchanged).
	OwnerUID, OwnerGID uint32
	// SymlinkTarget: file.symlink, the target as given.
	SymlinkTarget Str
	// Name: file.memfd_create (the name given), kernel.module_unload (the module), kernel.bpf
	// (prog or map name from the attr, when set).
	Name Str
	// MountSource/MountFSType: file.mount (mount only; umount2 leaves them empty).
	MountSource, MountFSType Str
	// ModuleArgs: kernel.module_load (the parameter string).
	ModuleArgs Str

	// fd.dup: OldFD is duplicated to NewFD (for dup: the return value). FDType is the type of
	// the old fd's file; for an inet socket Peer holds its peer address when connected.
	OldFD, NewFD int32
	FDType       FDType

	// network.*: Family/SockType/Protocol of the socket (network.socket: the arguments; others:
	// read from the fd's socket). SockType excludes SOCK_NONBLOCK/SOCK_CLOEXEC.
	Family   uint16
	SockType uint16
	Protocol uint16
	Backlog  int32 // network.listen
	// Peer: network.connect (the address asked for), network.send (the destination),
	// network.accept (the remote end), fd.dup (inet socket's peer).
	Peer Sockaddr
	// Local: network.bind (the address asked for), network.listen and network.accept (the
	// socket's bound address).
	Local Sockaddr

	// privilege.setuid/setgid: the raw arguments (setuid(a): IDs[0]; setreuid(r,e): IDs[0..1];
	// setresuid(r,e,s): IDs[0..2]; 0xffffffff = unchanged), and the process's real/effective
	// ids before the call (the header's UID/EUID/GID/EGID are those after it). See TargetID.
	IDs           [3]uint32
	NArgs         uint8
	OldID, OldEID uint32
	// privilege.capset: the effective and permitted sets asked for, and the effective set
	// before the call. CapAdded() = new effective bits that were not effective before.
	CapEffective, CapPermitted uint64
	CapOldEffective            uint64
	// OldID/OldEID/CapOld* are the process's credentials as of its last exec, fork or
	// credential call seen by the kernel program (or at load, from /proc). OldCredsUnknown
	// (privilege.*): there was none (OldID/OldEID are 0xffffffff, CapOld* 0; CapAdded is 0).
	OldCredsUnknown bool

	// kernel.bpf: the bpf(2) command; for BPF_PROG_LOAD the program type, for BPF_MAP_CREATE
	// the map type, for BPF_PROG_ATTACH/BPF_LINK_CREATE the attach type.
	BPFCmd  uint32
	BPFType uint32
}

// CommBytes is Comm up to its NUL.
func (e *Event) CommBytes() []byte {
	for i, c := range e.Comm {
		if c == 0 {
			return e.Comm[:i]
		}
	}
	return e.Comm[:]
}

// CommOf is the comm exec gives a program whose executable is named exeName (its basename):
// the name cut to the kernel's 15 bytes. The receiver leaves out a comm that is just that.
func CommOf(exeName string) string {
	if len(exeName) > CommLen-1 {
		return exeName[:CommLen-1]
	}
	return exeName
}

// Errno returns the errno of a failed syscall (Ret in [-4095, -1]), else 0.
func (e *Event) Errno() int {
	if e.Ret < 0 && e.Ret >= -4095 {
		return int(-e.Ret)
	}
	return 0
}

// ErrorName returns the errno name of a failed syscall ("ENOENT"), or "" on success.
// process.fork/exit and successful execs never fail.
func (e *Event) ErrorName() string {
	if e.Kind == KindProcessExit || e.Kind == KindProcessFork {
		return ""
	}
	return ErrnoName(e.Errno())
}

// SyscallName returns the name of e.Syscall ("openat"), or "" when there is none.
func (e *Event) SyscallName() string { return SyscallName(e.Syscall) }

// ExitCode splits ExitStatus: the exit code, or 128+signal for a process killed by a signal
// (the shell convention), and the signal (0 for a normal exit).
func (e *Event) ExitCode() (code int, signal int) {
	sig := int(e.ExitStatus & 0x7f)
	if sig != 0 {
		return 128 + sig, sig
	}
	return int(e.ExitStatus>>8) & 0xff, 0
}

// CapAdded returns the capabilities that become effective by a capset and were not before
// (0 when the before is unknown).
func (e *Event) CapAdded() uint64 {
	if e.OldCredsUnknown {
		return 0
	}
	return e.CapEffective &^ e.CapOldEffective
}

// TargetID returns the effective id a setuid/setgid-family call asks for: setuid/setfsuid's
// argument, setreuid's euid (or ruid when euid is -1), setresuid's euid (or ruid, then suid).
// ok is false when the call changes no effective id (all -1).
func (e *Event) TargetID() (id uint32, ok bool) {
	const unchanged = 0xffffffff
	switch e.NArgs {
	case 1:
		return e.IDs[0], e.IDs[0] != unchanged
	case 2, 3:
		if e.IDs[1] != unchanged {
			return e.IDs[1], true
		}
		for _, v := range e.IDs[:e.NArgs] {
			if v != unchanged {
				return v, true
			}
		}
	}
	return 0, false
}
