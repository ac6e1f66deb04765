//go:build linux

package kernel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/procinfo"
)

var self = os.Getpid()

func TestProbe(t *testing.T) {
	f, err := Probe()
	if err != nil {
		t.Fatal(err)
	}
	if !f.Privileged || !f.BTF || !f.RingBuf || f.Tracefs == "" {
		t.Fatalf("features as root on a BTF kernel: %+v", f)
	}
}

func TestOpenatRelativeToDirfd(t *testing.T) {
	c := shared(t)
	dir := t.TempDir()
	dfd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(dfd)
	name := fmt.Sprintf("otelsec-rel-%d.txt", time.Now().UnixNano())
	fd, err := unix.Openat(dfd, name, unix.O_CREAT|unix.O_WRONLY|unix.O_TRUNC, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)

	ev := c.wait(t, "openat via dirfd", and(pidIs(self), kindIs(kevent.KindFileOpen), pathIs(name)))
	if ev.SyscallName() != "openat" || ev.Ret != int64(fd) || ev.DirFD != int32(dfd) {
		t.Errorf("syscall %q ret %d dirfd %d, want openat %d %d", ev.SyscallName(), ev.Ret, ev.DirFD, fd, dfd)
	}
	if str(ev.PathBase) != dir {
		t.Errorf("base %q, want the dirfd's path %q", ev.PathBase.B, dir)
	}
	if str(ev.Path) != name {
		t.Errorf("path %q, want the relative name %q as given", ev.Path.B, name)
	}
	if ev.Flags&unix.O_CREAT == 0 || ev.Flags&unix.O_TRUNC == 0 || ev.Flags&3 != unix.O_WRONLY || ev.Mode != 0o640 {
		t.Errorf("flags %#o mode %#o", ev.Flags, ev.Mode)
	}
	if d := time.Since(time.Unix(0, ev.UnixNano)); d < 0 || d > 30*time.Second {
		t.Errorf("timestamp %v is %v away from now", time.Unix(0, ev.UnixNano), d)
	}
	if ev.TID == 0 || ev.PPID != uint32(os.Getppid()) || ev.UID != 0 || ev.EUID != 0 || ev.Path.Truncated || ev.PathBase.Truncated {
		t.Errorf("header: %+v", ev)
	}

	// A failed open: the errno, and an absolute path carries no base.
	missing := filepath.Join(dir, "missing", "x")
	if _, err := os.Open(missing); err == nil {
		t.Fatal("opened a missing file")
	}
	ev = c.wait(t, "failed open", and(pidIs(self), kindIs(kevent.KindFileOpen), pathIs(missing)))
	if ev.ErrorName() != "ENOENT" || !ev.PathBase.Empty() {
		t.Errorf("error %q base %q", ev.ErrorName(), ev.PathBase.B)
	}
}

// creat(2) is a file.open with the flags it implies (Falco's rules match creat as an open).
func TestCreat(t *testing.T) {
	c := shared(t)
	name := filepath.Join(t.TempDir(), fmt.Sprintf("otelsec-creat-%d", time.Now().UnixNano()))
	p, err := unix.BytePtrFromString(name)
	if err != nil {
		t.Fatal(err)
	}
	// The raw syscall: x/sys's Creat is an openat.
	r, _, errno := unix.Syscall(unix.SYS_CREAT, uintptr(unsafe.Pointer(p)), 0o600, 0)
	if errno != 0 {
		t.Fatal(errno)
	}
	fd := int(r)
	unix.Close(fd)
	ev := c.wait(t, "creat", and(pidIs(self), kindIs(kevent.KindFileOpen), pathIs(name)))
	if ev.SyscallName() != "creat" || ev.Ret != int64(fd) || ev.DirFD != unix.AT_FDCWD {
		t.Errorf("syscall %q ret %d dirfd %d, want creat %d AT_FDCWD", ev.SyscallName(), ev.Ret, ev.DirFD, fd)
	}
	if ev.Flags != unix.O_CREAT|unix.O_WRONLY|unix.O_TRUNC || ev.Mode != 0o600 {
		t.Errorf("flags %#o mode %#o, want O_CREAT|O_WRONLY|O_TRUNC 0600", ev.Flags, ev.Mode)
	}
}

func TestExecForkExit(t *testing.T) {
	c := shared(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "rel.txt"), []byte("x"), 0o644)
	cmd := exec.Command("/bin/sh", "-c", "cd "+dir+" && /bin/cat rel.txt >/dev/null && exit 3")
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("sh: %v", err)
	}
	shPID := cmd.Process.Pid

	fork := c.wait(t, "fork", and(pidIs(self), kindIs(kevent.KindProcessFork), func(ev *kevent.Event) bool { return ev.ChildPID == uint32(shPID) }))
	if fork.Ret != int64(shPID) {
		t.Errorf("fork ret %d", fork.Ret)
	}
	ex := c.wait(t, "exec of sh", and(pidIs(shPID), kindIs(kevent.KindProcessExec)))
	if str(ex.Path) != "/usr/bin/dash" || str(ex.Path2) != "/bin/sh" {
		t.Errorf("exe %q (want the kernel's resolution /usr/bin/dash), filename %q", ex.Path.B, ex.Path2.B)
	}
	var args []string
	kevent.Args(ex.Argv.B, 0, func(a []byte) { args = append(args, string(a)) })
	if len(args) != 3 || args[0] != "/bin/sh" || args[1] != "-c" || !strings.HasPrefix(args[2], "cd ") || ex.ArgCount != 3 || ex.Argv.Truncated {
		t.Errorf("argv %q argc %d", args, ex.ArgCount)
	}
	wd, _ := os.Getwd()
	if str(ex.Cwd) != wd || ex.PPID != uint32(self) || ex.Ret != 0 || ex.SyscallName() != "execve" {
		t.Errorf("cwd %q ppid %d ret %d syscall %q", ex.Cwd.B, ex.PPID, ex.Ret, ex.SyscallName())
	}
	if cg, _ := os.ReadFile("/proc/self/cgroup"); !bytes.Contains(cg, []byte("0::/\n")) && ex.Cgroup.Empty() {
		t.Errorf("no cgroup, /proc/self/cgroup: %s", cg)
	}

	// cat (a grandchild) opens rel.txt relative to the cwd sh changed to.
	open := c.wait(t, "relative open", and(kindIs(kevent.KindFileOpen), pathIs("rel.txt"), func(ev *kevent.Event) bool { return ev.PPID == uint32(shPID) }))
	if str(open.PathBase) != dir || open.DirFD != unix.AT_FDCWD || open.PPID != uint32(shPID) {
		t.Errorf("base %q dirfd %d ppid %d", open.PathBase.B, open.DirFD, open.PPID)
	}
	exit := c.wait(t, "exit", and(pidIs(shPID), kindIs(kevent.KindProcessExit)))
	if code, sig := exit.ExitCode(); code != 3 || sig != 0 || exit.Syscall != kevent.NoSyscall {
		t.Errorf("exit code %d signal %d status %#x", code, sig, exit.ExitStatus)
	}
}

func TestExecFailed(t *testing.T) {
	c := shared(t)
	cmd := exec.Command("/nonexistent-otelsec/prog", "arg1")
	if err := cmd.Run(); err == nil {
		t.Fatal("ran a missing program")
	}
	ev := c.wait(t, "failed exec", and(kindIs(kevent.KindProcessExec), pathIs("/nonexistent-otelsec/prog")))
	if ev.ErrorName() != "ENOENT" || ev.SyscallName() != "execve" {
		t.Errorf("ret %d syscall %q", ev.Ret, ev.SyscallName())
	}
	var args []string
	kevent.Args(ev.Argv.B, 0, func(a []byte) { args = append(args, string(a)) })
	if strings.Join(args, " ") != "/nonexistent-otelsec/prog arg1" || ev.ArgCount != 2 {
		t.Errorf("argv %q argc %d", args, ev.ArgCount)
	}
}

func TestFileOperations(t *testing.T) {
	c := shared(t)
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	os.WriteFile(p("a"), nil, 0o600)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Rename(p("a"), p("b")))
	must(os.Link(p("b"), p("c")))
	must(os.Symlink("b-target", p("s")))
	must(unix.Chmod(p("b"), 0o4755))
	must(os.Chown(p("b"), 12, 34))
	must(os.Mkdir(p("d"), 0o700))
	must(os.Remove(p("d")))
	must(os.Remove(p("c")))
	fd, err := unix.MemfdCreate("otelsec-memfd", unix.MFD_CLOEXEC)
	must(err)
	unix.Close(fd)

	own := pidIs(self)
	ev := c.wait(t, "rename", and(own, kindIs(kevent.KindFileRename), pathIs(p("b"))))
	if str(ev.Path2) != p("a") {
		t.Errorf("rename old %q", ev.Path2.B)
	}
	ev = c.wait(t, "link", and(own, kindIs(kevent.KindFileLink), pathIs(p("c"))))
	if str(ev.Path2) != p("b") {
		t.Errorf("link existing %q", ev.Path2.B)
	}
	ev = c.wait(t, "symlink", and(own, kindIs(kevent.KindFileSymlink), pathIs(p("s"))))
	if str(ev.SymlinkTarget) != "b-target" {
		t.Errorf("symlink target %q", ev.SymlinkTarget.B)
	}
	ev = c.wait(t, "chmod", and(own, kindIs(kevent.KindFileChmod), pathIs(p("b"))))
	if kevent.Mode(ev.Mode) != "04755" {
		t.Errorf("mode %s", kevent.Mode(ev.Mode))
	}
	ev = c.wait(t, "chown", and(own, kindIs(kevent.KindFileChown), pathIs(p("b"))))
	if ev.OwnerUID != 12 || ev.OwnerGID != 34 {
		t.Errorf("chown %d:%d", ev.OwnerUID, ev.OwnerGID)
	}
	ev = c.wait(t, "mkdir", and(own, kindIs(kevent.KindFileMkdir), pathIs(p("d"))))
	if ev.Mode != 0o700 || ev.Ret != 0 {
		t.Errorf("mkdir mode %o ret %d", ev.Mode, ev.Ret)
	}
	ev = c.wait(t, "rmdir", and(own, kindIs(kevent.KindFileUnlink), pathIs(p("d")), func(ev *kevent.Event) bool { return ev.Ret == 0 }))
	if ev.Flags&unix.AT_REMOVEDIR == 0 {
		t.Errorf("rmdir flags %#x", ev.Flags)
	}
	c.wait(t, "unlink", and(own, kindIs(kevent.KindFileUnlink), pathIs(p("c"))))
	ev = c.wait(t, "memfd", and(own, kindIs(kevent.KindFileMemfdCreate)))
	if str(ev.Name) != "otelsec-memfd" || ev.Flags != unix.MFD_CLOEXEC || ev.Ret != int64(fd) {
		t.Errorf("memfd %q flags %d ret %d", ev.Name.B, ev.Flags, ev.Ret)
	}

	// fchmod resolves the fd's path in the kernel.
	f, err := os.Open(p("b"))
	must(err)
	must(f.Chmod(0o640))
	f.Close()
	ev = c.wait(t, "fchmod", and(own, kindIs(kevent.KindFileChmod), func(ev *kevent.Event) bool { return ev.FD >= 0 && str(ev.Path) == p("b") }))
	if str(ev.Path) != p("b") || ev.Mode != 0o640 || ev.SyscallName() != "fchmod" {
		t.Errorf("fchmod path %q mode %o", ev.Path.B, ev.Mode)
	}
}

func TestMount(t *testing.T) {
	c := shared(t)
	dir := t.TempDir()
	if err := unix.Mount("otelsec-src", dir, "tmpfs", unix.MS_NOSUID, "size=1m"); err != nil {
		t.Skipf("mount: %v", err)
	}
	if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
		t.Fatal(err)
	}
	ev := c.wait(t, "mount", and(pidIs(self), kindIs(kevent.KindFileMount), pathIs(dir), func(ev *kevent.Event) bool { return ev.SyscallName() == "mount" }))
	if str(ev.MountSource) != "otelsec-src" || str(ev.MountFSType) != "tmpfs" || ev.Flags&unix.MS_NOSUID == 0 {
		t.Errorf("mount %q %q %#x", ev.MountSource.B, ev.MountFSType.B, ev.Flags)
	}
	ev = c.wait(t, "umount2", and(pidIs(self), kindIs(kevent.KindFileMount), pathIs(dir), func(ev *kevent.Event) bool { return ev.SyscallName() == "umount2" }))
	if ev.Flags != unix.MNT_DETACH {
		t.Errorf("umount flags %#x", ev.Flags)
	}
}

func TestNetwork(t *testing.T) {
	c := shared(t)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	accepted := make(chan net.Conn, 1)
	go func() {
		conn, err := ln.Accept()
		if err == nil {
			accepted <- conn
		}
		close(accepted)
	}()
	conn, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	srv := <-accepted
	if srv == nil {
		t.Fatal("accept failed")
	}
	defer srv.Close()
	clientPort := uint16(conn.LocalAddr().(*net.TCPAddr).Port)
	own := pidIs(self)

	ev := c.wait(t, "bind", and(own, kindIs(kevent.KindNetworkBind), func(ev *kevent.Event) bool { return ev.Local.Port == port }))
	if ev.Local.IP.String() != "127.0.0.1" || kevent.Transport(ev.Family, ev.SockType, ev.Protocol) != "tcp" {
		t.Errorf("bind %+v fam %d type %d proto %d", ev.Local, ev.Family, ev.SockType, ev.Protocol)
	}
	ev = c.wait(t, "listen", and(own, kindIs(kevent.KindNetworkListen), func(ev *kevent.Event) bool { return ev.Local.Port == port }))
	if ev.Local.IP.String() != "127.0.0.1" || ev.Backlog <= 0 {
		t.Errorf("listen %+v backlog %d", ev.Local, ev.Backlog)
	}
	ev = c.wait(t, "connect", and(own, kindIs(kevent.KindNetworkConnect), func(ev *kevent.Event) bool { return ev.Peer.Port == port }))
	if ev.Peer.IP.String() != "127.0.0.1" || kevent.NetworkType(ev.Family) != "ipv4" || ev.SockType != unix.SOCK_STREAM {
		t.Errorf("connect %+v family %d type %d", ev.Peer, ev.Family, ev.SockType)
	}
	if e := ev.ErrorName(); e != "" && e != "EINPROGRESS" {
		t.Errorf("connect error %s", e)
	}
	ev = c.wait(t, "accept", and(own, kindIs(kevent.KindNetworkAccept), func(ev *kevent.Event) bool { return ev.Ret >= 0 && ev.Local.Port == port }))
	if ev.Local.Port != port || ev.Peer.Port != clientPort || ev.Peer.IP.String() != "127.0.0.1" {
		t.Errorf("accept local %+v peer %+v, want :%d and :%d", ev.Local, ev.Peer, port, clientPort)
	}
	ev = c.wait(t, "socket", and(own, kindIs(kevent.KindNetworkSocket), func(ev *kevent.Event) bool { return ev.Family == unix.AF_INET }))
	if ev.SockType != unix.SOCK_STREAM || ev.Flags&unix.SOCK_CLOEXEC == 0 {
		t.Errorf("socket type %d flags %#x", ev.SockType, ev.Flags)
	}

	// dup of a connected socket: the fd type and its peer (the reverse-shell pattern).
	cf, _ := conn.(*net.TCPConn).File()
	nfd, err := unix.Dup(int(cf.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(nfd)
	cf.Close()
	ev = c.wait(t, "dup", and(own, kindIs(kevent.KindFdDup), func(ev *kevent.Event) bool { return ev.NewFD == int32(nfd) && ev.Peer.Port == port }))
	if ev.FDType != kevent.FDSocket || ev.Peer.IP.String() != "127.0.0.1" {
		t.Errorf("dup type %s peer %+v", ev.FDType, ev.Peer)
	}

	// sendto with a destination.
	u, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	us, _ := net.ListenPacket("udp4", "127.0.0.1:0")
	defer us.Close()
	if _, err := us.WriteTo([]byte("x"), u.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	uport := uint16(u.LocalAddr().(*net.UDPAddr).Port)
	ev = c.wait(t, "send", and(own, kindIs(kevent.KindNetworkSend), func(ev *kevent.Event) bool { return ev.Peer.Port == uport }))
	if kevent.Transport(ev.Family, ev.SockType, ev.Protocol) != "udp" || ev.Ret != 1 {
		t.Errorf("send transport %q ret %d", kevent.Transport(ev.Family, ev.SockType, ev.Protocol), ev.Ret)
	}
}

func TestUnixSocket(t *testing.T) {
	c := shared(t)
	path := filepath.Join(t.TempDir(), "otelsec.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ev := c.wait(t, "unix listen", and(pidIs(self), kindIs(kevent.KindNetworkListen), func(ev *kevent.Event) bool { return str(ev.Local.Path) == path }))
	if ev.Family != unix.AF_UNIX || kevent.Transport(ev.Family, ev.SockType, ev.Protocol) != "unix" {
		t.Errorf("unix listen %q", ev.Local.Path.B)
	}
}

func TestNamespaces(t *testing.T) {
	c := shared(t)
	// clone with CLONE_NEW* flags, then unshare(2) in the child.
	cmd := exec.Command("/bin/true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWUTS, Unshareflags: unix.CLONE_NEWNS}
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	child := uint32(cmd.Process.Pid)
	ev := c.wait(t, "clone with CLONE_NEWUTS", and(pidIs(self), kindIs(kevent.KindNamespaceUnshare), func(ev *kevent.Event) bool { return ev.Ret == int64(child) }))
	if ev.Flags&unix.CLONE_NEWUTS == 0 || !strings.HasPrefix(ev.SyscallName(), "clone") {
		t.Errorf("clone flags %#x syscall %q", ev.Flags, ev.SyscallName())
	}
	ev = c.wait(t, "unshare", and(pidIs(int(child)), kindIs(kevent.KindNamespaceUnshare)))
	if ev.Flags != unix.CLONE_NEWNS || ev.SyscallName() != "unshare" || ev.Ret != 0 {
		t.Errorf("unshare flags %#x syscall %q ret %d", ev.Flags, ev.SyscallName(), ev.Ret)
	}

	// setns with a bad fd fails, but is recorded with its arguments.
	unix.Setns(-1, unix.CLONE_NEWNET)
	ev = c.wait(t, "setns", and(pidIs(self), kindIs(kevent.KindNamespaceSetns)))
	if ev.FD != -1 || ev.Flags != unix.CLONE_NEWNET || ev.ErrorName() != "EBADF" {
		t.Errorf("setns fd %d flags %#x err %s", ev.FD, ev.Flags, ev.ErrorName())
	}
}

func TestPrivilegeAndPtrace(t *testing.T) {
	c := shared(t)
	// Root to root: no change, but recorded (Go applies setuid to every thread).
	if err := syscall.Setresuid(-1, 0, -1); err != nil {
		t.Fatal(err)
	}
	ev := c.wait(t, "setresuid", and(pidIs(self), kindIs(kevent.KindPrivilegeSetuid)))
	if id, ok := ev.TargetID(); !ok || id != 0 || ev.NArgs != 3 || ev.IDs[0] != 0xffffffff || ev.OldEID != 0 {
		t.Errorf("setresuid ids %v nargs %d old %d/%d", ev.IDs, ev.NArgs, ev.OldID, ev.OldEID)
	}
	if ev.OldCredsUnknown {
		t.Error("the test process's creds were not seeded from /proc")
	}
	// A child exec'd under the tracer drops to nobody: the record has root as "before".
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), helperEnv+"=setuid")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("setuid helper: %v %s", err, out)
	}
	ev = c.wait(t, "setresuid to nobody", and(pidIs(cmd.Process.Pid), kindIs(kevent.KindPrivilegeSetuid), func(ev *kevent.Event) bool {
		return ev.OldEID == 0
	}))
	if ev.OldCredsUnknown || ev.OldID != 0 || ev.EUID != 65534 || ev.UID != 65534 || ev.IDs != [3]uint32{65534, 65534, 65534} {
		t.Errorf("setresuid: unknown %v old %d/%d now %d/%d ids %v", ev.OldCredsUnknown, ev.OldID, ev.OldEID, ev.UID, ev.EUID, ev.IDs)
	}

	if err := syscall.Setgid(0); err != nil {
		t.Fatal(err)
	}
	c.wait(t, "setgid", and(pidIs(self), kindIs(kevent.KindPrivilegeSetgid)))

	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		t.Fatal(err)
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		t.Fatal(err)
	}
	want := uint64(data[0].Effective) | uint64(data[1].Effective)<<32
	ev = c.wait(t, "capset", and(pidIs(self), kindIs(kevent.KindPrivilegeCapset)))
	if ev.CapEffective != want || ev.CapOldEffective != want || ev.CapAdded() != 0 || ev.OldCredsUnknown {
		t.Errorf("capset eff %#x old %#x want %#x", ev.CapEffective, ev.CapOldEffective, want)
	}

	// PTRACE_CONT on a process we do not trace fails with ESRCH.
	unix.PtraceCont(1, 0)
	ev = c.wait(t, "ptrace", and(pidIs(self), kindIs(kevent.KindProcessPtrace)))
	if kevent.PtraceRequestName(ev.PtraceRequest) != "PTRACE_CONT" || ev.TargetPID != 1 || ev.ErrorName() != "ESRCH" {
		t.Errorf("ptrace req %d pid %d err %s", ev.PtraceRequest, ev.TargetPID, ev.ErrorName())
	}
}

func TestBPFLoad(t *testing.T) {
	c := shared(t)
	m, err := ebpf.NewMap(&ebpf.MapSpec{Name: "otelsec_t", Type: ebpf.Hash, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	ev := c.wait(t, "bpf map create", and(pidIs(self), kindIs(kevent.KindKernelBPF), func(ev *kevent.Event) bool { return string(ev.Name.B) == "otelsec_t" }))
	if kevent.BPFCommandName(ev.BPFCmd) != "BPF_MAP_CREATE" || kevent.BPFMapTypeName(ev.BPFType) != "BPF_MAP_TYPE_HASH" || ev.Ret < 0 {
		t.Errorf("bpf cmd %d type %d ret %d", ev.BPFCmd, ev.BPFType, ev.Ret)
	}
}

// The collector's own thread group produces nothing; its children do.
func TestSelfFilter(t *testing.T) {
	_, c := start(t, Options{Events: []string{"file.open", "process.exec"}, SelfPID: self})
	marker := filepath.Join(t.TempDir(), "self-marker")
	os.WriteFile(marker, nil, 0o600)
	f, err := os.Open(marker)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := exec.Command("/bin/cat", marker).Run(); err != nil {
		t.Fatal(err)
	}
	ev := c.wait(t, "child's open", and(kindIs(kevent.KindFileOpen), pathIs(marker)))
	if ev.PID == uint32(self) {
		t.Fatal("the self pid's open was recorded")
	}
	c.none(t, "self", pidIs(self))
}

// Excluded executables (and their forked children) produce nothing; an exec re-decides.
func TestExcludePrefix(t *testing.T) {
	_, c := start(t, Options{Events: []string{"file.open", "process.exec"}, ExcludeExecutablePrefixes: []string{"/usr/bin/dash"}})
	dir := t.TempDir()
	inSh, inSub, inHead := filepath.Join(dir, "by-sh"), filepath.Join(dir, "by-subshell"), filepath.Join(dir, "by-head")
	for _, p := range []string{inHead} {
		os.WriteFile(p, []byte("x\n"), 0o600)
	}
	script := "echo x > " + inSh + "; (echo y > " + inSub + "); /usr/bin/head -c1 " + inHead + " >/dev/null"
	if out, err := exec.Command("/bin/sh", "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	ev := c.wait(t, "head's open", and(kindIs(kevent.KindFileOpen), pathIs(inHead), func(ev *kevent.Event) bool { return ev.PID != uint32(self) }))
	c.wait(t, "head's exec", and(kindIs(kevent.KindProcessExec), pidIs(int(ev.PID))))
	c.none(t, "excluded sh open", pathIs(inSh))
	c.none(t, "excluded subshell open", pathIs(inSub))
	c.none(t, "excluded sh exec", func(ev *kevent.Event) bool {
		return ev.Kind == kevent.KindProcessExec && str(ev.Path) == "/usr/bin/dash"
	})
}

// With a tiny ring and a stalled reader, lost records are counted exactly.
func TestDropsCounted(t *testing.T) {
	tr, err := New(Options{Events: []string{"file.open"}, RingBufferSize: 4096, SelfPID: 0})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Start(); err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	marker := filepath.Join(t.TempDir(), "drop-marker")
	os.WriteFile(marker, nil, 0o600)
	const n = 500
	for range n {
		f, err := os.Open(marker)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	drops, err := tr.Drops()
	if err != nil {
		t.Fatal(err)
	}
	// A 4 KiB ring holds a few dozen records; every further one is a counted drop.
	got := 0
	ctx, cancel := contextWithTimeout(200)
	defer cancel()
	tr.Read(ctx, func(ev *kevent.Event) {
		if ev.PID == uint32(self) && bytes.Equal(ev.Path.B, []byte(marker)) {
			got++
		}
	})
	if drops == 0 || got == 0 || uint64(got)+drops < n {
		t.Fatalf("read %d + dropped %d, want >= %d with drops > 0", got, drops, n)
	}
	t.Logf("read %d, dropped %d", got, drops)
}

// After Detach, a Read whose ctx is done drains the rings and returns: it delivers until
// Detach's deadline and counts what it consumes after it.
func TestDetachDrains(t *testing.T) {
	for _, tc := range []struct {
		name    string
		deliver bool
	}{{"delivered", true}, {"counted past the deadline", false}} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := New(Options{Events: []string{"file.open"}, RingBufferSize: 64 << 10})
			if err != nil {
				t.Fatal(err)
			}
			if err := tr.Start(); err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			marker := filepath.Join(t.TempDir(), "drain-marker")
			os.WriteFile(marker, nil, 0o600)
			const n = 100
			for range n {
				f, err := os.Open(marker)
				if err != nil {
					t.Fatal(err)
				}
				f.Close()
			}
			until := time.Now().Add(time.Hour)
			if !tc.deliver {
				until = time.Now().Add(-time.Second)
			}
			if err := tr.Detach(until); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // done before Read starts: only the drain is left
			got := 0
			if err := tr.Read(ctx, func(ev *kevent.Event) {
				// The reads, not WriteFile's create.
				if ev.PID == uint32(self) && bytes.Equal(ev.Path.B, []byte(marker)) && ev.Flags&unix.O_ACCMODE == unix.O_RDONLY {
					got++
				}
			}); err != nil {
				t.Fatal(err)
			}
			drops, _ := tr.Drops()
			if drops != 0 {
				t.Fatalf("the ring dropped %d: too small for the test", drops)
			}
			if tc.deliver && got != n {
				t.Errorf("delivered %d of %d", got, n)
			}
			if !tc.deliver && (got != 0 || tr.Unread() < n) {
				t.Errorf("delivered %d, counted %d unread, want 0 and >= %d", got, tr.Unread(), n)
			}
		})
	}
}

func TestCloseIdempotent(t *testing.T) {
	tr, err := New(Options{Events: []string{"file.open"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	tr, _ = New(Options{Events: []string{"network.listen"}})
	if err := tr.Start(); err != nil {
		t.Fatal(err)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Drops(); err == nil {
		t.Fatal("Drops after Close")
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{
		{Events: []string{"file.nope"}},
		{ExcludeExecutablePrefixes: []string{"relative/x"}},
		{RingBufferSize: -1},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
	tr, err := New(Options{RingBufferSize: 5000, MaxPathBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if tr.opts.RingBufferSize != 8192 || tr.opts.MaxPathBytes != MaxPathBytesLimit {
		t.Errorf("defaults: %+v", tr.opts)
	}
}

// Strings cut at a bound are flagged, never passed off as whole.
func TestBounds(t *testing.T) {
	_, c := start(t, Options{Events: []string{"file.open", "process.exec"}, MaxPathBytes: 16, MaxArgBytes: 12, MaxArgs: 2})
	long := filepath.Join(t.TempDir(), "a-rather-long-file-name")
	os.WriteFile(long, nil, 0o600)
	if err := exec.Command("/bin/cat", long).Run(); err != nil {
		t.Fatal(err)
	}
	ev := c.wait(t, "cut open", and(kindIs(kevent.KindFileOpen), func(ev *kevent.Event) bool {
		return strings.HasPrefix(long, str(ev.Path)) && ev.PID != uint32(self) && len(ev.Path.B) > 0
	}))
	if len(ev.Path.B) != 16 || !ev.Path.Truncated {
		t.Errorf("path %q truncated=%v, want 16 bytes flagged", ev.Path.B, ev.Path.Truncated)
	}
	ex := c.wait(t, "cut exec", and(kindIs(kevent.KindProcessExec), func(ev *kevent.Event) bool { return ev.Ret == 0 && ev.ArgCount == 2 }))
	if !ex.Argv.Truncated || len(ex.Argv.B) != 12 || str(ex.Path) != "/usr/bin/cat" || ex.Path.Truncated {
		t.Errorf("argv %q (truncated %v), exe %q (truncated %v)", ex.Argv.B, ex.Argv.Truncated, ex.Path.B, ex.Path.Truncated)
	}
}

// The exec record names the task's cgroup v2 leaf and parent; userspace derives the container.
func TestExecCgroup(t *testing.T) {
	const unified = "/sys/fs/cgroup/unified"
	root := unified
	if _, err := os.Stat(filepath.Join(root, "cgroup.procs")); err != nil {
		root = "/sys/fs/cgroup"
	}
	c := shared(t)
	id := strings.Repeat("0123456789abcdef", 4)
	for _, layout := range []struct{ parent, leaf string }{
		{"otelsec-test.slice", "docker-" + id + ".scope"},
		{"otelsec-test-docker", id},
	} {
		dir := filepath.Join(root, layout.parent, layout.leaf)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Skipf("cannot create a cgroup v2 group: %v", err)
		}
		cmd := exec.Command("/bin/sh", "-c", "echo $$ > "+filepath.Join(dir, "cgroup.procs")+" && exec /bin/true otelsec-cgroup")
		err := cmd.Run()
		os.Remove(dir)
		os.Remove(filepath.Join(root, layout.parent))
		if err != nil {
			t.Skipf("cannot move a process into %s: %v", dir, err)
		}
		ev := c.wait(t, "exec in a cgroup", and(pidIs(cmd.Process.Pid), kindIs(kevent.KindProcessExec), pathIs("/usr/bin/true")))
		if str(ev.Cgroup) != layout.parent+"/"+layout.leaf || procinfo.ContainerIDFromCgroupPath(string(ev.Cgroup.B)) != id {
			t.Errorf("cgroup %q -> container %q", ev.Cgroup.B, procinfo.ContainerIDFromCgroupPath(string(ev.Cgroup.B)))
		}
	}
}

// Close ends a running Read (without its context being cancelled).
func TestCloseEndsRead(t *testing.T) {
	tr, err := New(Options{Events: []string{"network.listen"}, PollInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- tr.Read(context.Background(), func(*kevent.Event) {}) }()
	time.Sleep(50 * time.Millisecond)
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Read after Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read still running 5 s after Close")
	}
	if err := tr.Read(context.Background(), func(*kevent.Event) {}); err == nil {
		t.Fatal("Read on a closed tracer succeeded")
	}
}

// Events whose hooks do not exist on this kernel are reported, not fatal.
func TestUnavailable(t *testing.T) {
	f, err := Probe()
	if err != nil {
		t.Fatal(err)
	}
	_, statErr := os.Stat(filepath.Join(f.Tracefs, "events/syscalls/sys_exit_delete_module"))
	tr, _ := start(t, Options{Events: []string{"kernel.module_unload", "file.open"}})
	un := tr.Unavailable()
	if statErr != nil {
		if len(un) != 1 || un[0] != "kernel.module_unload" {
			t.Errorf("unavailable %v, want [kernel.module_unload]", un)
		}
	} else if len(un) != 0 {
		t.Errorf("unavailable %v although the tracepoint exists", un)
	}
}

// Cancelling ctx ends Read promptly even while records keep coming.
func TestCancelUnderLoad(t *testing.T) {
	tr, err := New(Options{Events: []string{"file.open"}, RingBufferSize: 1 << 16})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Start(); err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	stop := make(chan struct{})
	defer close(stop)
	for range 2 {
		go func() {
			for {
				select {
				case <-stop:
					return
				default:
					unix.Close(must1(unix.Open("/etc/hostname", unix.O_RDONLY, 0)))
				}
			}
		}()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var got atomicCount
	// A consumer slower than the producers: the ring never runs dry.
	slow := func(*kevent.Event) {
		got.add()
		for t0 := time.Now(); time.Since(t0) < 100*time.Microsecond; {
		}
	}
	go func() { done <- tr.Read(ctx, slow) }()
	for got.load() < 500 {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read ignored the cancelled context under load")
	}
}

func must1(fd int, err error) int {
	if err != nil {
		return -1
	}
	return fd
}

type atomicCount struct{ n atomic.Int64 }

func (c *atomicCount) add()        { c.n.Add(1) }
func (c *atomicCount) load() int64 { return c.n.Load() }

// file.open takes a fast path for short absolute paths; longer ones must come out whole too.
func TestOpenLongAbsolutePath(t *testing.T) {
	c := shared(t)
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 200))
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	long := filepath.Join(dir, strings.Repeat("f", 100))
	if len(long) <= 256 {
		t.Fatalf("path of %d bytes is not long", len(long))
	}
	os.Open(long)
	ev := c.wait(t, "long open", and(pidIs(self), kindIs(kevent.KindFileOpen), pathIs(long)))
	if ev.Path.Truncated || !ev.PathBase.Empty() || ev.ErrorName() != "ENOENT" {
		t.Errorf("truncated %v base %q err %s", ev.Path.Truncated, ev.PathBase.B, ev.ErrorName())
	}
}

// Without privileges, Probe and Start fail with one sentence naming what is missing.
func TestUnprivileged(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "otelsec-unpriv")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "kernel.test")
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), helperEnv+"=probe")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for _, line := range lines {
		if !strings.HasSuffix(line, "cannot trace this kernel: missing root or CAP_BPF+CAP_PERFMON") {
			t.Errorf("unprivileged: %q", line)
		}
	}
	if len(lines) != 2 {
		t.Errorf("helper output: %q", out)
	}
}

// QuietOpens takes errnos 1 to MaxQuietErrno; anything else is an error naming it, before
// the kernel is asked anything.
func TestQuietOpensBadErrno(t *testing.T) {
	var tr Tracer
	for _, e := range []int{0, -2, MaxQuietErrno + 1} {
		err := tr.QuietOpens([]int{2, e})
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("errno %d", e)) {
			t.Errorf("errno %d: %v", e, err)
		}
	}
	if err := tr.QuietOpens([]int{2}); err == nil || !strings.Contains(err.Error(), "not started") {
		t.Errorf("a tracer not started: %v", err)
	}
}
