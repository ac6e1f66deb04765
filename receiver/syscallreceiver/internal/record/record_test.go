package record

import (
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/procinfo"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/proctable"
)

func str(s string) kevent.Str { return kevent.Str{B: []byte(s)} }

func newBuilder(t *testing.T) (*Builder, *proctable.Table) {
	tb := proctable.New(proctable.Options{Capacity: 64, ProcRoot: t.TempDir(), ExitGraceNs: 10})
	// A shell in a container, started by sshd, started by init.
	tb.Exec(1, proctable.ExecInfo{ExePath: "/usr/lib/systemd/systemd", CmdLine: "/sbin/init"})
	tb.Exec(50, proctable.ExecInfo{PPID: 1, ExePath: "/usr/sbin/sshd", CmdLine: "sshd: /usr/sbin/sshd -D"})
	tb.Exec(100, proctable.ExecInfo{PPID: 50, ExePath: "/usr/bin/bash", CmdLine: "-bash", Cwd: "/home/alice", Interactive: true})
	users := procinfo.NewUsers("/etc/passwd", 1024, time.Second)
	return New(Options{Table: tb, Users: users}), tb
}

func build(b *Builder, ev *kevent.Event) plog.LogRecord {
	lr := plog.NewLogRecord()
	b.Build(ev, lr, pcommon.Timestamp(42))
	return lr
}

func attrStr(t *testing.T, m pcommon.Map, k string) string {
	t.Helper()
	v, ok := m.Get(k)
	require.True(t, ok, "attribute %s missing", k)
	require.Equal(t, pcommon.ValueTypeStr, v.Type(), k)
	return v.Str()
}

func attrInt(t *testing.T, m pcommon.Map, k string) int64 {
	t.Helper()
	v, ok := m.Get(k)
	require.True(t, ok, "attribute %s missing", k)
	require.Equal(t, pcommon.ValueTypeInt, v.Type(), k)
	return v.Int()
}

func attrStrs(t *testing.T, m pcommon.Map, k string) []string {
	t.Helper()
	v, ok := m.Get(k)
	require.True(t, ok, "attribute %s missing", k)
	require.Equal(t, pcommon.ValueTypeSlice, v.Type(), k)
	var out []string
	for i := 0; i < v.Slice().Len(); i++ {
		out = append(out, v.Slice().At(i).Str())
	}
	return out
}

func openat() *kevent.Event {
	return &kevent.Event{
		Kind: kevent.KindFileOpen, Syscall: 257, Ret: 3, BootNs: 1000, UnixNano: 1_700_000_000_000_000_000,
		PID: 100, TID: 101, PPID: 50, UID: 1000, EUID: 0, TTY: true,
		Path: str("hostname"), PathBase: str("/etc"), DirFD: 3, Flags: 0o1 | 0o100 | 0o1000 | 0o2000000, Mode: 0o640,
	}
}

func TestOpenRecord(t *testing.T) {
	b, _ := newBuilder(t)
	lr := build(b, openat())
	assert.Equal(t, schema.EventFileOpen, lr.EventName())
	assert.Equal(t, pcommon.Timestamp(1_700_000_000_000_000_000), lr.Timestamp())
	assert.Equal(t, pcommon.Timestamp(42), lr.ObservedTimestamp())
	assert.Equal(t, plog.SeverityNumberInfo, lr.SeverityNumber())
	a := lr.Attributes()
	assert.Equal(t, "openat", attrStr(t, a, schema.AttrSyscallName))
	assert.Equal(t, int64(3), attrInt(t, a, schema.AttrSyscallReturn))
	_, hasErr := a.Get(schema.AttrErrorType)
	assert.False(t, hasErr)
	assert.Equal(t, "/etc/hostname", attrStr(t, a, schema.AttrFilePath))
	assert.Equal(t, []string{"O_WRONLY", "O_CREAT", "O_TRUNC", "O_CLOEXEC"}, attrStrs(t, a, schema.AttrFileFlags))
	assert.Equal(t, "0640", attrStr(t, a, schema.AttrFileMode))

	assert.Equal(t, int64(100), attrInt(t, a, schema.AttrProcessPID))
	assert.Equal(t, int64(101), attrInt(t, a, schema.AttrThreadID))
	assert.Equal(t, int64(50), attrInt(t, a, schema.AttrProcessParentPID))
	assert.Equal(t, "/usr/bin/bash", attrStr(t, a, schema.AttrProcessExecutablePath))
	assert.Equal(t, "bash", attrStr(t, a, schema.AttrProcessExecutableName))
	assert.Equal(t, "-bash", attrStr(t, a, schema.AttrProcessCommandLine))
	assert.Equal(t, "/home/alice", attrStr(t, a, schema.AttrProcessWorkingDirectory))
	assert.Equal(t, int64(0), attrInt(t, a, schema.AttrProcessUserID))
	assert.Equal(t, int64(1000), attrInt(t, a, schema.AttrProcessRealUserID))
	assert.Equal(t, "root", attrStr(t, a, schema.AttrProcessUserName))
	v, _ := a.Get(schema.AttrProcessInteractive)
	assert.True(t, v.Bool())
	assert.Equal(t, "sshd", attrStr(t, a, schema.AttrProcessParentExecutableName))
	assert.Equal(t, "/usr/sbin/sshd", attrStr(t, a, schema.AttrProcessParentExecutablePath))
	assert.Equal(t, "sshd: /usr/sbin/sshd -D", attrStr(t, a, schema.AttrProcessParentCommandLine))
	assert.Equal(t, []string{"sshd", "systemd"}, attrStrs(t, a, schema.AttrProcessAncestorsExecName))
	_, hasCtr := a.Get(schema.AttrContainerID)
	assert.False(t, hasCtr)
	_, hasTrunc := a.Get(schema.AttrTruncated)
	assert.False(t, hasTrunc)
}

func TestPathNormalization(t *testing.T) {
	tests := []struct{ path, base, want string }{
		{"hostname", "/etc", "/etc/hostname"},
		{"../etc//hostname", "/tmp", "/etc/hostname"},
		{"./a/./b/../c", "/srv", "/srv/a/c"},
		{"/etc//passwd", "", "/etc/passwd"},
		{"/../../etc/shadow", "/ignored", "/etc/shadow"},
		{"../../../../x", "/a", "/x"},
		{"dir/", "/", "/dir"},
		{"b\xffad", "/tmp", "/tmp/b\uFFFDad"},
	}
	for _, tt := range tests {
		b, _ := newBuilder(t)
		ev := openat()
		ev.Path, ev.PathBase = str(tt.path), str(tt.base)
		lr := build(b, ev)
		assert.Equal(t, tt.want, attrStr(t, lr.Attributes(), schema.AttrFilePath), "%q in %q", tt.path, tt.base)
	}
}

func TestTruncatedAndInvalidUTF8(t *testing.T) {
	b, tb := newBuilder(t)
	tb.Exec(100, proctable.ExecInfo{PPID: 50, ExePath: "/usr/bin/bash", CmdLine: "bash -c aaaa", CmdLineTruncated: true})
	ev := openat()
	ev.Path = kevent.Str{B: []byte("/very/long/pa\xc3"), Truncated: true}
	lr := build(b, ev)
	a := lr.Attributes()
	assert.Equal(t, "/very/long/pa\uFFFD", attrStr(t, a, schema.AttrFilePath))
	assert.Equal(t, []string{schema.AttrProcessCommandLine, schema.AttrFilePath}, attrStrs(t, a, schema.AttrTruncated))

	// Symlink target and memfd name cut by the kernel.
	ev = &kevent.Event{Kind: kevent.KindFileSymlink, Syscall: 88, PID: 100, PPID: 50, Path: str("/tmp/l"),
		SymlinkTarget: kevent.Str{B: []byte("/etc/sh"), Truncated: true}}
	a = build(b, ev).Attributes()
	assert.Equal(t, "/etc/sh", attrStr(t, a, schema.AttrFileSymlinkTargetPath))
	assert.Contains(t, attrStrs(t, a, schema.AttrTruncated), schema.AttrFileSymlinkTargetPath)
}

func TestExecForkExit(t *testing.T) {
	b, tb := newBuilder(t)
	// bash (100) forks 200, which execs curl in a container.
	lr := build(b, &kevent.Event{Kind: kevent.KindProcessFork, Syscall: kevent.NoSyscall, PID: 100, TID: 100, PPID: 50, ChildPID: 200})
	assert.Equal(t, int64(200), attrInt(t, lr.Attributes(), schema.AttrProcessChildPID))
	assert.Equal(t, "bash", attrStr(t, lr.Attributes(), schema.AttrProcessExecutableName), "fork record describes the caller")
	_, hasName := lr.Attributes().Get(schema.AttrSyscallName)
	assert.False(t, hasName, "a hook that is not a syscall has no syscall.name")

	id := "3f2a9c0b7d1e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c"
	exec := &kevent.Event{Kind: kevent.KindProcessExec, Syscall: kevent.NoSyscall, PID: 200, TID: 200, PPID: 100, EUID: 1000, UID: 1000,
		Path: str("/usr/bin/curl"), Argv: str("curl\x00-s\x00http://example.com/\x00"), ArgCount: 3,
		Cwd: str("/home/alice/src"), Cgroup: str("system.slice/docker-" + id + ".scope"), TTY: true}
	a := build(b, exec).Attributes()
	assert.Equal(t, "/usr/bin/curl", attrStr(t, a, schema.AttrProcessExecutablePath))
	assert.Equal(t, "curl", attrStr(t, a, schema.AttrProcessExecutableName))
	assert.Equal(t, "curl -s http://example.com/", attrStr(t, a, schema.AttrProcessCommandLine))
	assert.Equal(t, []string{"curl", "-s", "http://example.com/"}, attrStrs(t, a, schema.AttrProcessCommandArgs))
	assert.Equal(t, int64(3), attrInt(t, a, schema.AttrProcessArgsCount))
	assert.Equal(t, "/home/alice/src", attrStr(t, a, schema.AttrProcessWorkingDirectory))
	assert.Equal(t, id, attrStr(t, a, schema.AttrContainerID))
	assert.Equal(t, "bash", attrStr(t, a, schema.AttrProcessParentExecutableName))
	assert.Equal(t, []string{"bash", "sshd", "systemd"}, attrStrs(t, a, schema.AttrProcessAncestorsExecName))
	_, hasTrunc := a.Get(schema.AttrTruncated)
	assert.False(t, hasTrunc)

	// A later event of 200 carries the new image.
	ev := openat()
	ev.PID, ev.TID, ev.PPID = 200, 201, 100
	a = build(b, ev).Attributes()
	assert.Equal(t, "curl", attrStr(t, a, schema.AttrProcessExecutableName))
	assert.Equal(t, id, attrStr(t, a, schema.AttrContainerID))

	// Exit: the record still resolves; the entry goes after the grace period.
	lr = build(b, &kevent.Event{Kind: kevent.KindProcessExit, Syscall: kevent.NoSyscall, PID: 200, TID: 200, PPID: 100, BootNs: 5000, ExitStatus: 7 << 8})
	assert.Equal(t, int64(7), attrInt(t, lr.Attributes(), schema.AttrProcessExitCode))
	assert.Equal(t, "curl", attrStr(t, lr.Attributes(), schema.AttrProcessExecutableName))
	require.NotNil(t, tb.Peek(200))
	tb.Sweep(tb.Now() + 100)
	assert.Nil(t, tb.Peek(200))

	// Killed by SIGKILL: 128+9.
	lr = build(b, &kevent.Event{Kind: kevent.KindProcessExit, Syscall: kevent.NoSyscall, PID: 100, PPID: 50, ExitStatus: 9})
	assert.Equal(t, int64(137), attrInt(t, lr.Attributes(), schema.AttrProcessExitCode))

	// Failed exec: error.type, the path tried, the image unchanged.
	lr = build(b, &kevent.Event{Kind: kevent.KindProcessExec, Syscall: 59, Ret: -2, PID: 50, PPID: 1,
		Path: str("./nope"), PathBase: str("/root"), Argv: str("./nope\x00"), ArgCount: 1})
	a = lr.Attributes()
	assert.Equal(t, "ENOENT", attrStr(t, a, schema.AttrErrorType))
	assert.Equal(t, "execve", attrStr(t, a, schema.AttrSyscallName))
	assert.Equal(t, "/root/nope", attrStr(t, a, schema.AttrFilePath))
	assert.Equal(t, "sshd", attrStr(t, a, schema.AttrProcessExecutableName))
}

func TestExecArgsTruncated(t *testing.T) {
	b, _ := newBuilder(t)
	ev := &kevent.Event{Kind: kevent.KindProcessExec, PID: 300, PPID: 100, Path: str("/bin/echo"),
		Argv: kevent.Str{B: []byte("echo\x00a\x00"), Truncated: true}, ArgCount: 5000}
	a := build(b, ev).Attributes()
	assert.Equal(t, []string{"echo", "a"}, attrStrs(t, a, schema.AttrProcessCommandArgs))
	assert.Equal(t, int64(5000), attrInt(t, a, schema.AttrProcessArgsCount))
	assert.ElementsMatch(t, []string{schema.AttrProcessCommandLine, schema.AttrProcessCommandArgs}, attrStrs(t, a, schema.AttrTruncated))
}

func TestNetworkRecords(t *testing.T) {
	b, _ := newBuilder(t)
	ev := &kevent.Event{Kind: kevent.KindNetworkConnect, Syscall: 42, PID: 100, PPID: 50, Family: kevent.AFInet, SockType: 1,
		Peer: kevent.Sockaddr{Family: kevent.AFInet, Port: 8080, IP: netip.MustParseAddr("127.0.0.1")}}
	a := build(b, ev).Attributes()
	assert.Equal(t, "127.0.0.1", attrStr(t, a, schema.AttrNetworkPeerAddress))
	assert.Equal(t, int64(8080), attrInt(t, a, schema.AttrNetworkPeerPort))
	assert.Equal(t, "tcp", attrStr(t, a, schema.AttrNetworkTransport))
	assert.Equal(t, "ipv4", attrStr(t, a, schema.AttrNetworkType))

	ev = &kevent.Event{Kind: kevent.KindNetworkAccept, Syscall: 43, Ret: 5, PID: 100, PPID: 50, Family: kevent.AFInet6, SockType: 1, Protocol: 6,
		Local: kevent.Sockaddr{Family: kevent.AFInet6, Port: 443, IP: netip.MustParseAddr("::1")},
		Peer:  kevent.Sockaddr{Family: kevent.AFInet6, Port: 51000, IP: netip.MustParseAddr("::1")}}
	a = build(b, ev).Attributes()
	assert.Equal(t, "::1", attrStr(t, a, schema.AttrNetworkLocalAddress))
	assert.Equal(t, int64(443), attrInt(t, a, schema.AttrNetworkLocalPort))
	assert.Equal(t, int64(51000), attrInt(t, a, schema.AttrNetworkPeerPort))
	assert.Equal(t, "ipv6", attrStr(t, a, schema.AttrNetworkType))

	ev = &kevent.Event{Kind: kevent.KindNetworkConnect, Syscall: 42, PID: 100, PPID: 50, Family: kevent.AFUnix, SockType: 1,
		Peer: kevent.Sockaddr{Family: kevent.AFUnix, Path: str("\x00abstract")}}
	a = build(b, ev).Attributes()
	assert.Equal(t, "@abstract", attrStr(t, a, schema.AttrNetworkPeerAddress))
	assert.Equal(t, "unix", attrStr(t, a, schema.AttrNetworkTransport))
}

func TestPrivilegeNamespaceKernel(t *testing.T) {
	b, _ := newBuilder(t)
	a := build(b, &kevent.Event{Kind: kevent.KindPrivilegeSetuid, Syscall: 105, PID: 100, PPID: 50, IDs: [3]uint32{65534}, NArgs: 1}).Attributes()
	assert.Equal(t, int64(65534), attrInt(t, a, schema.AttrPrivilegeTargetUserID))
	a = build(b, &kevent.Event{Kind: kevent.KindPrivilegeSetgid, Syscall: 119, PID: 100, PPID: 50, IDs: [3]uint32{0xffffffff, 0xffffffff, 0xffffffff}, NArgs: 3}).Attributes()
	assert.Equal(t, int64(-1), attrInt(t, a, schema.AttrPrivilegeTargetGroupID))
	a = build(b, &kevent.Event{Kind: kevent.KindNamespaceUnshare, Syscall: 272, PID: 100, PPID: 50, Flags: 0x10000000 | 0x00020000 | 0x200}).Attributes()
	assert.Equal(t, []string{"CLONE_NEWNS", "CLONE_NEWUSER"}, attrStrs(t, a, schema.AttrNamespaceFlags))
	a = build(b, &kevent.Event{Kind: kevent.KindPrivilegeCapset, Syscall: 126, PID: 100, PPID: 50, CapEffective: 1<<21 | 1, CapOldEffective: 1}).Attributes()
	assert.Equal(t, []string{"CAP_CHOWN", "CAP_SYS_ADMIN"}, attrStrs(t, a, schema.AttrCapabilitiesEffective))
	assert.Equal(t, []string{"CAP_SYS_ADMIN"}, attrStrs(t, a, schema.AttrCapabilitiesAdded))
	a = build(b, &kevent.Event{Kind: kevent.KindFileChmod, Syscall: 90, PID: 100, PPID: 50, Path: str("/tmp/x"), Mode: 0o4755}).Attributes()
	assert.Equal(t, "04755", attrStr(t, a, schema.AttrFileMode))
	a = build(b, &kevent.Event{Kind: kevent.KindFileChown, Syscall: 92, PID: 100, PPID: 50, Path: str("/tmp/x"), OwnerUID: 0, OwnerGID: 0xffffffff}).Attributes()
	assert.Equal(t, "0", attrStr(t, a, schema.AttrFileOwnerID))
	assert.Equal(t, "-1", attrStr(t, a, schema.AttrFileGroupID))
	a = build(b, &kevent.Event{Kind: kevent.KindKernelBPF, Syscall: 321, PID: 100, PPID: 50, BPFCmd: kevent.BPFProgLoad, BPFType: 2}).Attributes()
	assert.Equal(t, "BPF_PROG_LOAD", attrStr(t, a, schema.AttrBPFCommand))
	assert.Equal(t, "BPF_PROG_TYPE_KPROBE", attrStr(t, a, schema.AttrBPFProgramType))
	a = build(b, &kevent.Event{Kind: kevent.KindFileOpen, Syscall: 257, Ret: -13, PID: 100, PPID: 50, Path: str("/etc/shadow")}).Attributes()
	assert.Equal(t, "EACCES", attrStr(t, a, schema.AttrErrorType))
	assert.Equal(t, []string{"O_RDONLY"}, attrStrs(t, a, schema.AttrFileFlags))
	_, hasMode := a.Get(schema.AttrFileMode)
	assert.False(t, hasMode, "mode is meaningless without O_CREAT")
}

// The ids before the call are on the record when the kernel program knew them, and absent
// (not 0, which would read as root) when it did not.
func TestPrivilegePreviousIDs(t *testing.T) {
	b, _ := newBuilder(t)
	// A setuid-root program's setuid(0): real 1000 -> 0, effective 0 -> 0.
	a := build(b, &kevent.Event{Kind: kevent.KindPrivilegeSetuid, Syscall: 105, PID: 100, PPID: 50,
		IDs: [3]uint32{0}, NArgs: 1, OldID: 1000, OldEID: 0}).Attributes()
	assert.Equal(t, int64(0), attrInt(t, a, schema.AttrPrivilegeTargetUserID))
	assert.Equal(t, int64(1000), attrInt(t, a, schema.AttrPrivilegePreviousRealUserID))
	assert.Equal(t, int64(0), attrInt(t, a, schema.AttrPrivilegePreviousUserID))
	_, ok := a.Get(schema.AttrPrivilegePreviousGroupID)
	assert.False(t, ok, "a setuid record has no previous gid")

	a = build(b, &kevent.Event{Kind: kevent.KindPrivilegeSetgid, Syscall: 106, PID: 100, PPID: 50,
		IDs: [3]uint32{0}, NArgs: 1, OldID: 100, OldEID: 42}).Attributes()
	assert.Equal(t, int64(100), attrInt(t, a, schema.AttrPrivilegePreviousRealGroupID))
	assert.Equal(t, int64(42), attrInt(t, a, schema.AttrPrivilegePreviousGroupID))
	_, ok = a.Get(schema.AttrPrivilegePreviousRealUserID)
	assert.False(t, ok, "a setgid record has no previous uid")

	for _, k := range []kevent.Kind{kevent.KindPrivilegeSetuid, kevent.KindPrivilegeSetgid} {
		a = build(b, &kevent.Event{Kind: k, Syscall: 105, PID: 100, PPID: 50, IDs: [3]uint32{0}, NArgs: 1,
			OldID: 0xffffffff, OldEID: 0xffffffff, OldCredsUnknown: true}).Attributes()
		for _, attr := range []string{schema.AttrPrivilegePreviousUserID, schema.AttrPrivilegePreviousRealUserID,
			schema.AttrPrivilegePreviousGroupID, schema.AttrPrivilegePreviousRealGroupID} {
			_, ok := a.Get(attr)
			assert.False(t, ok, "%s: %s with the ids before unknown", k, attr)
		}
	}
}

func TestUnknownProcess(t *testing.T) {
	b, tb := newBuilder(t)
	// A pid neither the table nor procfs (an empty dir here) knows, with a known parent: a
	// fork we did not see, still running the parent's image.
	ev := openat()
	ev.PID, ev.PPID = 9999, 100
	a := build(b, ev).Attributes()
	assert.Equal(t, int64(9999), attrInt(t, a, schema.AttrProcessPID))
	assert.Equal(t, "/usr/bin/bash", attrStr(t, a, schema.AttrProcessExecutablePath))
	assert.Equal(t, "bash", attrStr(t, a, schema.AttrProcessParentExecutableName))
	require.NotNil(t, tb.Peek(9999))

	// Parent unknown too: the record still has the kernel's facts, and the placeholder spares
	// further procfs reads.
	ev.PID, ev.PPID = 9998, 9997
	a = build(b, ev).Attributes()
	assert.Equal(t, int64(9998), attrInt(t, a, schema.AttrProcessPID))
	_, hasExe := a.Get(schema.AttrProcessExecutablePath)
	assert.False(t, hasExe)
	_, hasParent := a.Get(schema.AttrProcessParentExecutableName)
	assert.False(t, hasParent)
}

func TestBatchAndResource(t *testing.T) {
	h := Host{Name: "h1", ID: "mid", ServiceName: "otelsec", ServiceVersion: "1.2.3"}
	bt := NewBatch(h, "scope", "v", 4)
	b, _ := newBuilder(t)
	for range 3 {
		b.Build(openat(), bt.Append(), 1)
	}
	logs := bt.Take()
	assert.Equal(t, 3, logs.LogRecordCount())
	assert.Equal(t, 0, bt.Take().LogRecordCount(), "Take empties the batch")
	res := logs.ResourceLogs().At(0).Resource().Attributes()
	assert.Equal(t, "h1", attrStr(t, res, schema.AttrHostName))
	assert.Equal(t, "mid", attrStr(t, res, schema.AttrHostID))
	assert.Equal(t, "linux", attrStr(t, res, schema.AttrOSType))
	assert.Equal(t, "otelsec", attrStr(t, res, schema.AttrServiceName))
	assert.Equal(t, "1.2.3", attrStr(t, res, schema.AttrServiceVersion))
	assert.Equal(t, "scope", logs.ResourceLogs().At(0).ScopeLogs().At(0).Scope().Name())

	local := LocalHost("otelsec", "")
	hn, _ := os.Hostname()
	assert.Equal(t, hn, local.Name)
	if mid, err := os.ReadFile("/etc/machine-id"); err == nil && len(mid) > 1 {
		assert.Equal(t, string(mid[:len(mid)-1]), local.ID)
	}

	lr := plog.NewLogRecord()
	Dropped(lr, "ring_buffer_full", 5, 12, time.Unix(1, 0))
	assert.Equal(t, schema.EventAgentEventsDropped, lr.EventName())
	assert.Equal(t, "ring_buffer_full", attrStr(t, lr.Attributes(), schema.AttrDroppedReason))
	assert.Equal(t, int64(5), attrInt(t, lr.Attributes(), schema.AttrDroppedCount))
	assert.Equal(t, int64(12), attrInt(t, lr.Attributes(), schema.AttrDroppedTotal))
}

func BenchmarkBuildOpen(b *testing.B) {
	tb := proctable.New(proctable.Options{Capacity: 64, ProcRoot: b.TempDir()})
	tb.Exec(1, proctable.ExecInfo{ExePath: "/usr/lib/systemd/systemd", CmdLine: "/sbin/init"})
	tb.Exec(50, proctable.ExecInfo{PPID: 1, ExePath: "/usr/sbin/sshd", CmdLine: "sshd: /usr/sbin/sshd -D"})
	tb.Exec(100, proctable.ExecInfo{PPID: 50, ExePath: "/usr/bin/bash", CmdLine: "-bash", Cwd: "/home/alice"})
	bl := New(Options{Table: tb, Users: procinfo.NewUsers("/etc/passwd", 1024, time.Second)})
	ev := openat()
	bt := NewBatch(Host{ServiceName: "otelsec"}, "s", "v", 1024)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if n++; n%1024 == 0 {
			bt.Take()
		}
		bl.Build(ev, bt.Append(), 1)
	}
}

// BenchmarkPrepareFill splits BuildOpen's cost: Prepare runs on the reader, Fill on the
// builders.
func BenchmarkPrepareFill(b *testing.B) {
	tb := proctable.New(proctable.Options{Capacity: 64, ProcRoot: b.TempDir()})
	tb.Exec(1, proctable.ExecInfo{ExePath: "/usr/lib/systemd/systemd", CmdLine: "/sbin/init"})
	tb.Exec(50, proctable.ExecInfo{PPID: 1, ExePath: "/usr/sbin/sshd", CmdLine: "sshd: /usr/sbin/sshd -D"})
	tb.Exec(100, proctable.ExecInfo{PPID: 50, ExePath: "/usr/bin/bash", CmdLine: "-bash", Cwd: "/home/alice"})
	bl := New(Options{Table: tb, Users: procinfo.NewUsers("/etc/passwd", 1024, time.Second)})
	ev := openat()
	var job Job
	b.Run("prepare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			bl.Prepare(ev, bl.table.Before(ev), &job, 1)
		}
	})
	b.Run("fill", func(b *testing.B) {
		var f Filler
		bt := NewBatch(Host{ServiceName: "otelsec"}, "s", "v", 1024)
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			if n++; n%1024 == 0 {
				bt.Take()
			}
			f.Fill(&job, bt.Append())
		}
	})
}

// The kernel's comm, login uid and capabilities of the caller, and the comms of its ancestors
// as the process table keeps them from their own records.
func TestThreadAttributes(t *testing.T) {
	b, tb := newBuilder(t)
	for pid, comm := range map[uint32]string{1: "systemd", 50: "sshd-session"} {
		tb.SetComm(tb.Get(pid), []byte(comm))
	}
	ev := openat()
	ev.TID = ev.PID // the main thread: its comm is the process's
	copy(ev.Comm[:], "backup.sh")
	ev.LoginUID, ev.ThreadCapEffective, ev.ThreadCapPermitted = 0, 1<<21, 1<<21|1<<16
	a := build(b, ev).Attributes()
	assert.Equal(t, "backup.sh", attrStr(t, a, schema.AttrProcessLinuxComm))
	assert.Equal(t, "sshd-session", attrStr(t, a, schema.AttrProcessParentLinuxComm))
	assert.Equal(t, []string{"sshd-session", "systemd"}, attrStrs(t, a, schema.AttrProcessAncestorsLinuxComm))
	login, _ := a.Get(schema.AttrProcessLoginUserID)
	assert.Equal(t, int64(0), login.Int())
	assert.Equal(t, "root", attrStr(t, a, schema.AttrProcessLoginUserName))
	eff, _ := a.Get(schema.AttrThreadCapabilitiesEffective)
	prm, _ := a.Get(schema.AttrThreadCapabilitiesPermitted)
	assert.Equal(t, []int64{1 << 21, 1<<21 | 1<<16}, []int64{eff.Int(), prm.Int()})
	assert.Equal(t, "backup.sh", tb.Get(100).Comm, "the main thread's record renamed the process in the table")

	// Another thread's name is its own, not the process's; outside a session no login user.
	ev = openat()
	ev.TID = ev.PID + 1
	copy(ev.Comm[:], "worker-1")
	ev.LoginUID = kevent.LoginUIDUnset
	a = build(b, ev).Attributes()
	assert.Equal(t, "worker-1", attrStr(t, a, schema.AttrProcessLinuxComm))
	assert.Equal(t, "backup.sh", tb.Get(100).Comm)
	for _, k := range []string{schema.AttrProcessLoginUserID, schema.AttrProcessLoginUserName} {
		_, ok := a.Get(k)
		assert.False(t, ok, k)
	}

	// A comm that is only the executable's name cut to 15 bytes is left out: the records say
	// it already (rules read process.executable.name).
	tb.SetComm(tb.Get(50), []byte("sshd"))
	ev = openat()
	ev.TID = ev.PID
	copy(ev.Comm[:], "bash")
	a = build(b, ev).Attributes()
	for _, k := range []string{schema.AttrProcessLinuxComm, schema.AttrProcessParentLinuxComm, schema.AttrProcessAncestorsLinuxComm} {
		_, ok := a.Get(k)
		assert.False(t, ok, k)
	}

	// A fork's child starts with the comm of the thread that forked it.
	ev = &kevent.Event{Kind: kevent.KindProcessFork, PID: 100, TID: 100, PPID: 50, ChildPID: 300, VPID: 100}
	copy(ev.Comm[:], "backup.sh")
	build(b, ev)
	assert.Equal(t, "backup.sh", tb.Get(300).Comm)
}
