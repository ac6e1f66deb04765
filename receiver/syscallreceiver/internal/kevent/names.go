package kevent

import (
	"strconv"
)

// SyscallName returns the x86_64 name of syscall nr ("openat"), or "" for NoSyscall or an
// unknown number. The generated programs are built for amd64 only (see bpf/gen.go).
func SyscallName(nr uint16) string {
	if int(nr) < len(syscallNamesAMD64) {
		return syscallNamesAMD64[nr]
	}
	return ""
}

// ErrnoName returns the name of a Linux errno ("ENOENT"), "" for 0, or "E<n>" when unknown.
func ErrnoName(errno int) string {
	if errno <= 0 {
		return ""
	}
	if errno < len(errnoNames) && errnoNames[errno] != "" {
		return errnoNames[errno]
	}
	return "E" + strconv.Itoa(errno)
}

// FDType is the type of the file behind an fd (fd.dup).
type FDType uint8

const (
	FDUnknown FDType = iota
	FDFile
	FDDir
	FDPipe
	FDSocket
	FDTTY
	FDCharDev
	FDBlockDev
	FDSymlink
	FDAnon // anon inode: eventfd, epoll, signalfd, timerfd, bpf objects, ...
)

var fdTypeNames = [...]string{"unknown", "file", "dir", "pipe", "socket", "tty", "chardev", "blockdev", "symlink", "anon"}

// String is the fd.type attribute value ("socket", "file", "pipe", "tty", ...).
func (t FDType) String() string {
	if int(t) < len(fdTypeNames) {
		return fdTypeNames[t]
	}
	return "unknown"
}

// FDTypeOf classifies an inode by i_mode and, for char devices, the rdev major (kernel
// encoding: major<<20 | minor). tty majors: 4 (ttyN/ttyS), 5 (tty, console, ptmx), 136-143
// (pts), 204 (low-density serial).
func FDTypeOf(mode, rdev uint32) FDType {
	if mode == 0xffffffff {
		return FDUnknown
	}
	switch mode & 0o170000 {
	case 0o100000:
		return FDFile
	case 0o040000:
		return FDDir
	case 0o010000:
		return FDPipe
	case 0o140000:
		return FDSocket
	case 0o120000:
		return FDSymlink
	case 0o060000:
		return FDBlockDev
	case 0o020000:
		major := rdev >> 20
		if major == 4 || major == 5 || (major >= 136 && major <= 143) || major == 204 {
			return FDTTY
		}
		return FDCharDev
	case 0:
		return FDAnon
	}
	return FDUnknown
}

// Flag is one named bit (or value under a mask) of a flags word.
type Flag struct {
	Bit  uint64
	Name string
}

// FlagNames calls fn with the name of every flag set in v, in table order, and returns the bits
// no table entry named (0 when all were named).
func FlagNames(v uint64, table []Flag, fn func(name string)) (rest uint64) {
	rest = v
	for _, f := range table {
		if f.Bit != 0 && v&f.Bit == f.Bit {
			fn(f.Name)
			rest &^= f.Bit
		}
	}
	return rest
}

// OpenAccMode names the O_ACCMODE part of open flags.
func OpenAccMode(flags uint64) string {
	switch flags & 3 {
	case 0:
		return "O_RDONLY"
	case 1:
		return "O_WRONLY"
	case 2:
		return "O_RDWR"
	}
	return "O_ACCMODE"
}

// OpenFlags names the open(2) flags other than the access mode (x86_64/arm64 generic values;
// O_TMPFILE includes O_DIRECTORY, so it is listed first).
var OpenFlags = []Flag{
	{0o20200000, "O_TMPFILE"},
	{0o100, "O_CREAT"}, {0o200, "O_EXCL"}, {0o400, "O_NOCTTY"}, {0o1000, "O_TRUNC"},
	{0o2000, "O_APPEND"}, {0o4000, "O_NONBLOCK"}, {0o10000, "O_DSYNC"}, {0o20000, "O_ASYNC"},
	{0o40000, "O_DIRECT"}, {0o100000, "O_LARGEFILE"}, {0o200000, "O_DIRECTORY"},
	{0o400000, "O_NOFOLLOW"}, {0o1000000, "O_NOATIME"}, {0o2000000, "O_CLOEXEC"},
	{0o4000000, "O_SYNC"}, {0o10000000, "O_PATH"},
}

// NamespaceFlags names the CLONE_NEW* bits (unshare, clone, setns nstype).
var NamespaceFlags = []Flag{
	{0x00000080, "CLONE_NEWTIME"}, {0x00020000, "CLONE_NEWNS"}, {0x02000000, "CLONE_NEWCGROUP"},
	{0x04000000, "CLONE_NEWUTS"}, {0x08000000, "CLONE_NEWIPC"}, {0x10000000, "CLONE_NEWUSER"},
	{0x20000000, "CLONE_NEWPID"}, {0x40000000, "CLONE_NEWNET"},
}

// CloneNewMask is the union of NamespaceFlags.
const CloneNewMask = 0x00000080 | 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000

// MountFlags names the MS_* flags of mount(2).
var MountFlags = []Flag{
	{1, "MS_RDONLY"}, {2, "MS_NOSUID"}, {4, "MS_NODEV"}, {8, "MS_NOEXEC"}, {16, "MS_SYNCHRONOUS"},
	{32, "MS_REMOUNT"}, {64, "MS_MANDLOCK"}, {128, "MS_DIRSYNC"}, {256, "MS_NOSYMFOLLOW"},
	{1024, "MS_NOATIME"}, {2048, "MS_NODIRATIME"}, {4096, "MS_BIND"}, {8192, "MS_MOVE"},
	{16384, "MS_REC"}, {32768, "MS_SILENT"}, {1 << 16, "MS_POSIXACL"}, {1 << 17, "MS_UNBINDABLE"},
	{1 << 18, "MS_PRIVATE"}, {1 << 19, "MS_SLAVE"}, {1 << 20, "MS_SHARED"}, {1 << 21, "MS_RELATIME"},
	{1 << 22, "MS_KERNMOUNT"}, {1 << 23, "MS_I_VERSION"}, {1 << 24, "MS_STRICTATIME"},
	{1 << 25, "MS_LAZYTIME"},
}

// UmountFlags names the umount2(2) flags.
var UmountFlags = []Flag{{1, "MNT_FORCE"}, {2, "MNT_DETACH"}, {4, "MNT_EXPIRE"}, {8, "UMOUNT_NOFOLLOW"}}

// MemfdFlags names memfd_create(2) flags.
var MemfdFlags = []Flag{
	{1, "MFD_CLOEXEC"}, {2, "MFD_ALLOW_SEALING"}, {4, "MFD_HUGETLB"}, {8, "MFD_NOEXEC_SEAL"}, {16, "MFD_EXEC"},
}

// RenameFlags names renameat2(2) flags.
var RenameFlags = []Flag{{1, "RENAME_NOREPLACE"}, {2, "RENAME_EXCHANGE"}, {4, "RENAME_WHITEOUT"}}

// AtFlags names the AT_* flags of the *at syscalls.
var AtFlags = []Flag{
	{0x100, "AT_SYMLINK_NOFOLLOW"}, {0x200, "AT_REMOVEDIR"}, {0x400, "AT_SYMLINK_FOLLOW"},
	{0x800, "AT_NO_AUTOMOUNT"}, {0x1000, "AT_EMPTY_PATH"},
}

func nameOr(table map[int64]string, v int64, prefix string) string {
	if n, ok := table[v]; ok {
		return n
	}
	return prefix + strconv.FormatInt(v, 10)
}

var ptraceRequests = map[int64]string{
	0: "PTRACE_TRACEME", 1: "PTRACE_PEEKTEXT", 2: "PTRACE_PEEKDATA", 3: "PTRACE_PEEKUSR",
	4: "PTRACE_POKETEXT", 5: "PTRACE_POKEDATA", 6: "PTRACE_POKEUSR", 7: "PTRACE_CONT",
	8: "PTRACE_KILL", 9: "PTRACE_SINGLESTEP", 12: "PTRACE_GETREGS", 13: "PTRACE_SETREGS",
	14: "PTRACE_GETFPREGS", 15: "PTRACE_SETFPREGS", 16: "PTRACE_ATTACH", 17: "PTRACE_DETACH",
	18: "PTRACE_GETFPXREGS", 19: "PTRACE_SETFPXREGS", 24: "PTRACE_SYSCALL",
	0x4200: "PTRACE_SETOPTIONS", 0x4201: "PTRACE_GETEVENTMSG", 0x4202: "PTRACE_GETSIGINFO",
	0x4203: "PTRACE_SETSIGINFO", 0x4204: "PTRACE_GETREGSET", 0x4205: "PTRACE_SETREGSET",
	0x4206: "PTRACE_SEIZE", 0x4207: "PTRACE_INTERRUPT", 0x4208: "PTRACE_LISTEN",
	0x4209: "PTRACE_PEEKSIGINFO", 0x420a: "PTRACE_GETSIGMASK", 0x420b: "PTRACE_SETSIGMASK",
	0x420c: "PTRACE_SECCOMP_GET_FILTER", 0x420d: "PTRACE_SECCOMP_GET_METADATA",
	0x420e: "PTRACE_GET_SYSCALL_INFO", 0x420f: "PTRACE_GET_RSEQ_CONFIGURATION",
}

// PtraceRequestName names a ptrace request ("PTRACE_ATTACH"); unknown: "PTRACE_<n>".
func PtraceRequestName(req int64) string { return nameOr(ptraceRequests, req, "PTRACE_") }

var bpfCmds = [...]string{
	"BPF_MAP_CREATE", "BPF_MAP_LOOKUP_ELEM", "BPF_MAP_UPDATE_ELEM", "BPF_MAP_DELETE_ELEM",
	"BPF_MAP_GET_NEXT_KEY", "BPF_PROG_LOAD", "BPF_OBJ_PIN", "BPF_OBJ_GET", "BPF_PROG_ATTACH",
	"BPF_PROG_DETACH", "BPF_PROG_TEST_RUN", "BPF_PROG_GET_NEXT_ID", "BPF_MAP_GET_NEXT_ID",
	"BPF_PROG_GET_FD_BY_ID", "BPF_MAP_GET_FD_BY_ID", "BPF_OBJ_GET_INFO_BY_FD", "BPF_PROG_QUERY",
	"BPF_RAW_TRACEPOINT_OPEN", "BPF_BTF_LOAD", "BPF_BTF_GET_FD_BY_ID", "BPF_TASK_FD_QUERY",
	"BPF_MAP_LOOKUP_AND_DELETE_ELEM", "BPF_MAP_FREEZE", "BPF_BTF_GET_NEXT_ID",
	"BPF_MAP_LOOKUP_BATCH", "BPF_MAP_LOOKUP_AND_DELETE_BATCH", "BPF_MAP_UPDATE_BATCH",
	"BPF_MAP_DELETE_BATCH", "BPF_LINK_CREATE", "BPF_LINK_UPDATE", "BPF_LINK_GET_FD_BY_ID",
	"BPF_LINK_GET_NEXT_ID", "BPF_ENABLE_STATS", "BPF_ITER_CREATE", "BPF_LINK_DETACH",
	"BPF_PROG_BIND_MAP", "BPF_TOKEN_CREATE",
}

// BPF command numbers the kernel program reports (it skips lookups and iteration).
const (
	BPFMapCreate = 0
	BPFProgLoad  = 5
)

// BPFCommandName names a bpf(2) command ("BPF_PROG_LOAD").
func BPFCommandName(cmd uint32) string {
	if int(cmd) < len(bpfCmds) {
		return bpfCmds[cmd]
	}
	return "BPF_CMD_" + strconv.FormatUint(uint64(cmd), 10)
}

var bpfProgTypes = [...]string{
	"BPF_PROG_TYPE_UNSPEC", "BPF_PROG_TYPE_SOCKET_FILTER", "BPF_PROG_TYPE_KPROBE",
	"BPF_PROG_TYPE_SCHED_CLS", "BPF_PROG_TYPE_SCHED_ACT", "BPF_PROG_TYPE_TRACEPOINT",
	"BPF_PROG_TYPE_XDP", "BPF_PROG_TYPE_PERF_EVENT", "BPF_PROG_TYPE_CGROUP_SKB",
	"BPF_PROG_TYPE_CGROUP_SOCK", "BPF_PROG_TYPE_LWT_IN", "BPF_PROG_TYPE_LWT_OUT",
	"BPF_PROG_TYPE_LWT_XMIT", "BPF_PROG_TYPE_SOCK_OPS", "BPF_PROG_TYPE_SK_SKB",
	"BPF_PROG_TYPE_CGROUP_DEVICE", "BPF_PROG_TYPE_SK_MSG", "BPF_PROG_TYPE_RAW_TRACEPOINT",
	"BPF_PROG_TYPE_CGROUP_SOCK_ADDR", "BPF_PROG_TYPE_LWT_SEG6LOCAL", "BPF_PROG_TYPE_LIRC_MODE2",
	"BPF_PROG_TYPE_SK_REUSEPORT", "BPF_PROG_TYPE_FLOW_DISSECTOR", "BPF_PROG_TYPE_CGROUP_SYSCTL",
	"BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE", "BPF_PROG_TYPE_CGROUP_SOCKOPT",
	"BPF_PROG_TYPE_TRACING", "BPF_PROG_TYPE_STRUCT_OPS", "BPF_PROG_TYPE_EXT", "BPF_PROG_TYPE_LSM",
	"BPF_PROG_TYPE_SK_LOOKUP", "BPF_PROG_TYPE_SYSCALL", "BPF_PROG_TYPE_NETFILTER",
}

// BPFProgTypeName names a program type ("BPF_PROG_TYPE_KPROBE").
func BPFProgTypeName(t uint32) string {
	if int(t) < len(bpfProgTypes) {
		return bpfProgTypes[t]
	}
	return "BPF_PROG_TYPE_" + strconv.FormatUint(uint64(t), 10)
}

var bpfMapTypes = [...]string{
	"BPF_MAP_TYPE_UNSPEC", "BPF_MAP_TYPE_HASH", "BPF_MAP_TYPE_ARRAY", "BPF_MAP_TYPE_PROG_ARRAY",
	"BPF_MAP_TYPE_PERF_EVENT_ARRAY", "BPF_MAP_TYPE_PERCPU_HASH", "BPF_MAP_TYPE_PERCPU_ARRAY",
	"BPF_MAP_TYPE_STACK_TRACE", "BPF_MAP_TYPE_CGROUP_ARRAY", "BPF_MAP_TYPE_LRU_HASH",
	"BPF_MAP_TYPE_LRU_PERCPU_HASH", "BPF_MAP_TYPE_LPM_TRIE", "BPF_MAP_TYPE_ARRAY_OF_MAPS",
	"BPF_MAP_TYPE_HASH_OF_MAPS", "BPF_MAP_TYPE_DEVMAP", "BPF_MAP_TYPE_SOCKMAP",
	"BPF_MAP_TYPE_CPUMAP", "BPF_MAP_TYPE_XSKMAP", "BPF_MAP_TYPE_SOCKHASH",
	"BPF_MAP_TYPE_CGROUP_STORAGE", "BPF_MAP_TYPE_REUSEPORT_SOCKARRAY",
	"BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE", "BPF_MAP_TYPE_QUEUE", "BPF_MAP_TYPE_STACK",
	"BPF_MAP_TYPE_SK_STORAGE", "BPF_MAP_TYPE_DEVMAP_HASH", "BPF_MAP_TYPE_STRUCT_OPS",
	"BPF_MAP_TYPE_RINGBUF", "BPF_MAP_TYPE_INODE_STORAGE", "BPF_MAP_TYPE_TASK_STORAGE",
	"BPF_MAP_TYPE_BLOOM_FILTER", "BPF_MAP_TYPE_USER_RINGBUF", "BPF_MAP_TYPE_CGRP_STORAGE",
	"BPF_MAP_TYPE_ARENA",
}

// BPFMapTypeName names a map type ("BPF_MAP_TYPE_HASH").
func BPFMapTypeName(t uint32) string {
	if int(t) < len(bpfMapTypes) {
		return bpfMapTypes[t]
	}
	return "BPF_MAP_TYPE_" + strconv.FormatUint(uint64(t), 10)
}

var families = map[int64]string{
	0: "AF_UNSPEC", 1: "AF_UNIX", 2: "AF_INET", 10: "AF_INET6", 16: "AF_NETLINK", 17: "AF_PACKET",
	38: "AF_ALG", 40: "AF_VSOCK", 44: "AF_XDP", 4: "AF_IPX", 5: "AF_APPLETALK", 9: "AF_X25",
	15: "AF_KEY", 29: "AF_CAN", 31: "AF_BLUETOOTH",
}

// FamilyName names an address family ("AF_INET").
func FamilyName(f uint16) string { return nameOr(families, int64(f), "AF_") }

// SockTypeName names a socket type without flags ("SOCK_STREAM").
func SockTypeName(t uint16) string {
	switch t {
	case 1:
		return "SOCK_STREAM"
	case 2:
		return "SOCK_DGRAM"
	case 3:
		return "SOCK_RAW"
	case 4:
		return "SOCK_RDM"
	case 5:
		return "SOCK_SEQPACKET"
	case 6:
		return "SOCK_DCCP"
	case 10:
		return "SOCK_PACKET"
	}
	return "SOCK_" + strconv.Itoa(int(t))
}

// Transport returns the network.transport value: "tcp", "udp", "unix", or "" when it is none of
// them (raw, netlink, ...). Inferred from the type when protocol is 0 (the default protocol).
func Transport(family, sockType, protocol uint16) string {
	switch family {
	case AFUnix:
		return "unix"
	case AFInet, AFInet6:
		switch {
		// 262 is IPPROTO_MPTCP (Go listeners use it by default): TCP on the wire.
		case protocol == 6 || protocol == 262 || (protocol == 0 && sockType == 1):
			return "tcp"
		case protocol == 17 || (protocol == 0 && sockType == 2):
			return "udp"
		}
	}
	return ""
}

// NetworkType returns the network.type value: "ipv4", "ipv6", or "".
func NetworkType(family uint16) string {
	switch family {
	case AFInet:
		return "ipv4"
	case AFInet6:
		return "ipv6"
	}
	return ""
}

// Mode formats permission bits as the file.mode attribute: octal with a leading zero ("0644",
// "04755").
func Mode(m uint32) string {
	s := strconv.FormatUint(uint64(m&0o7777), 8)
	for len(s) < 3 {
		s = "0" + s
	}
	return "0" + s
}
