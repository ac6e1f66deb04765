//go:build linux

package rulese2e

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// helperEnv names the behaviour a copy of this test binary performs instead of running tests.
// Behaviours that need a syscall no standard tool makes on its own (a refused setuid(0), a
// ptrace attach, a BPF load, a memfd exec...) run in such a helper, so the violation carries a
// process of its own.
const helperEnv = "OTELSEC_E2E_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		if err := runHelper(mode, os.Args[1:]); err != nil {
			fmt.Fprintf(os.Stderr, "helper %s: %v\n", mode, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runHelper(mode string, args []string) error {
	switch mode {
	case "setuid0":
		// One raw setuid(0) on this thread: syscall.Setuid would repeat it on every thread.
		_, _, errno := syscall.RawSyscall(syscall.SYS_SETUID, 0, 0, 0)
		if errno != syscall.EPERM {
			return fmt.Errorf("setuid(0) as uid %d: %v, want EPERM", os.Getuid(), errno)
		}
		return nil

	case "seteuid0":
		// Run setuid-root by an unprivileged user: drop the effective uid to the real one,
		// then take root back (the saved uid is 0). Raw calls act on this thread only.
		ruid := uintptr(os.Getuid())
		const keep = ^uintptr(0) // -1: unchanged
		if _, _, errno := syscall.RawSyscall(syscall.SYS_SETRESUID, keep, ruid, keep); errno != 0 {
			return fmt.Errorf("setresuid(-1, %d, -1): %v", ruid, errno)
		}
		if _, _, errno := syscall.RawSyscall(syscall.SYS_SETRESUID, keep, 0, keep); errno != 0 {
			return fmt.Errorf("setresuid(-1, 0, -1): %v", errno)
		}
		return nil

	case "setuid0-full":
		// Run setuid-root by an unprivileged user (real uid not root, effective 0): setuid(0)
		// makes every id 0, so after the call only the ids before show the real user was not
		// root. One raw call on this thread, as above.
		if _, _, errno := syscall.RawSyscall(syscall.SYS_SETUID, 0, 0, 0); errno != 0 {
			return fmt.Errorf("setuid(0) as uid %d euid %d: %v", os.Getuid(), os.Geteuid(), errno)
		}
		return nil

	case "ptrace-attach":
		target := exec.Command("sleep", "30")
		if err := target.Start(); err != nil {
			return err
		}
		defer func() { _ = target.Process.Kill(); _ = target.Wait() }()
		runtime.LockOSThread() // ptrace requests must come from the attaching thread
		defer runtime.UnlockOSThread()
		if err := unix.PtraceAttach(target.Process.Pid); err != nil {
			return fmt.Errorf("PTRACE_ATTACH: %w", err)
		}
		var ws unix.WaitStatus
		if _, err := unix.Wait4(target.Process.Pid, &ws, 0, nil); err != nil {
			return err
		}
		if err := unix.PtraceDetach(target.Process.Pid); err != nil {
			return err
		}
		fmt.Println(target.Process.Pid)
		return nil

	case "proc-mem-write":
		target := exec.Command("sleep", "30")
		if err := target.Start(); err != nil {
			return err
		}
		defer func() { _ = target.Process.Kill(); _ = target.Wait() }()
		f, err := os.OpenFile(fmt.Sprintf("/proc/%d/mem", target.Process.Pid), os.O_RDWR, 0)
		if err != nil {
			return err
		}
		return f.Close()

	case "traceme":
		// After PTRACE_TRACEME any signal would stop this process for a tracer that never
		// looks: leave at once.
		_, _, errno := syscall.RawSyscall(syscall.SYS_PTRACE, unix.PTRACE_TRACEME, 0, 0)
		if errno != 0 {
			return fmt.Errorf("PTRACE_TRACEME: %v", errno)
		}
		unix.Exit(0)

	case "memfd-exec":
		fd, err := unix.MemfdCreate("otelsec-e2e", 0)
		if err != nil {
			return err
		}
		src, err := os.Open("/usr/bin/true")
		if err != nil {
			return err
		}
		if _, err := io.Copy(os.NewFile(uintptr(fd), "memfd"), src); err != nil {
			return err
		}
		return unix.Exec(fmt.Sprintf("/proc/self/fd/%d", fd), []string{"otelsec-e2e-memfd"}, os.Environ())

	case "exec-detached":
		// Runs args[0] (a directory's file) through an fd of a detached clone of the directory
		// (open_tree): no path reaches the image.
		dir, name := filepath.Split(args[0])
		tree, err := unix.OpenTree(unix.AT_FDCWD, dir, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
		if err != nil {
			return fmt.Errorf("open_tree: %w", err)
		}
		fd, err := unix.Openat(tree, name, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("openat: %w", err)
		}
		empty, _ := unix.BytePtrFromString("")
		arg0, _ := unix.BytePtrFromString("otelsec-e2e-detached")
		argv := []*byte{arg0, nil}
		envv := []*byte{nil}
		_, _, errno := unix.Syscall6(unix.SYS_EXECVEAT, uintptr(fd), uintptr(unsafe.Pointer(empty)),
			uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])), unix.AT_EMPTY_PATH, 0)
		return fmt.Errorf("execveat: %v", errno)

	case "module-load":
		// Not a module: the kernel refuses it, and the attempt is what the rule reports.
		f, err := os.Open(args[0])
		if err != nil {
			return err
		}
		defer f.Close()
		err = unix.FinitModule(int(f.Fd()), "", 0)
		if err == nil {
			return fmt.Errorf("finit_module of a non-module succeeded")
		}
		return nil

	case "bpf-load":
		return loadSocketFilter()

	case "capset":
		return dropAndRaiseSysAdmin()

	case "exec-shell", "exec":
		// Named like a server by the test: what it starts is the detection.
		if mode == "exec-shell" {
			args = []string{"/bin/sh", "-c", "exit 0"}
		}
		cmd := exec.Command(args[0], args[1:]...)
		if err := cmd.Run(); err != nil {
			return err
		}
		fmt.Println(cmd.Process.Pid)
		return nil

	case "exec-script":
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, helperEnv+"=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		return cmd.Run()

	case "append":
		// Appends a line to args[0], as any program writing a file would.
		f, err := os.OpenFile(args[0], os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		if _, err := f.WriteString("true # otelsec-e2e\n"); err != nil {
			f.Close()
			return err
		}
		return f.Close()

	case "read-when-told":
		// Opens args[0] for reading once told (a line on stdin): a server long past its
		// startup reading a file.
		if _, err := fmt.Fscanln(os.Stdin); err != nil {
			return fmt.Errorf("waiting to be told: %w", err)
		}
		f, err := os.Open(args[0])
		if err != nil {
			return err
		}
		return f.Close()

	case "read":
		// Opens args[0] for reading, as a program loading a library does.
		f, err := os.Open(args[0])
		if err != nil {
			return err
		}
		return f.Close()

	case "connect":
		// One non-blocking TCP connect to args[0] (ip:port), a UDP one when args[1] is "udp":
		// the attempt is the behaviour.
		addr, err := net.ResolveTCPAddr("tcp4", args[0])
		if err != nil {
			return err
		}
		typ := unix.SOCK_STREAM
		if len(args) > 1 && args[1] == "udp" {
			typ = unix.SOCK_DGRAM
		}
		fd, err := unix.Socket(unix.AF_INET, typ|unix.SOCK_NONBLOCK, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		sa := &unix.SockaddrInet4{Port: addr.Port}
		copy(sa.Addr[:], addr.IP.To4())
		if err := unix.Connect(fd, sa); err != nil && err != unix.EINPROGRESS {
			return fmt.Errorf("connect %s: %w", args[0], err)
		}
		return nil

	case "exec-argc0":
		// execve with an empty argv, as the pkexec exploit (CVE-2021-4034) does.
		path, _ := unix.BytePtrFromString(args[0])
		argv := []*byte{nil}
		envv := []*byte{nil}
		_, _, errno := unix.Syscall(unix.SYS_EXECVE, uintptr(unsafe.Pointer(path)),
			uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])))
		return fmt.Errorf("execve: %v", errno)

	case "packet-socket":
		// A raw packet socket, as a sniffer or an ARP spoofer opens: the call is the behaviour.
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
		if err != nil {
			return fmt.Errorf("socket(AF_PACKET): %w", err)
		}
		return unix.Close(fd)

	case "listen":
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		return l.Close()

	case "idle":
		return nil
	}
	return fmt.Errorf("unknown helper mode %q", mode)
}

// loadSocketFilter loads "r0 = 0; exit" as a socket filter with one bpf(BPF_PROG_LOAD): a
// library would probe kernel features with further loads first.
func loadSocketFilter() error {
	insns := [2]uint64{
		0x00000000000000b7, // BPF_ALU64|BPF_MOV|BPF_K r0 = 0
		0x0000000000000095, // BPF_JMP|BPF_EXIT
	}
	license := []byte("GPL\x00")
	attr := struct {
		progType    uint32
		insnCnt     uint32
		insns       uint64
		license     uint64
		logLevel    uint32
		logSize     uint32
		logBuf      uint64
		kernVersion uint32
		progFlags   uint32
	}{
		progType: unix.BPF_PROG_TYPE_SOCKET_FILTER,
		insnCnt:  uint32(len(insns)),
		insns:    uint64(uintptr(unsafe.Pointer(&insns[0]))),
		license:  uint64(uintptr(unsafe.Pointer(&license[0]))),
	}
	// The verifier gives up with EAGAIN when a signal interrupts it (the Go runtime's
	// preemption signals do, on a busy machine): load again, as every BPF loader does.
	var (
		fd    uintptr
		errno syscall.Errno
	)
	for range 100 {
		fd, _, errno = unix.Syscall(unix.SYS_BPF, unix.BPF_PROG_LOAD, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
		if errno != unix.EAGAIN {
			break
		}
	}
	runtime.KeepAlive(&insns)
	runtime.KeepAlive(license)
	if errno != 0 {
		return fmt.Errorf("BPF_PROG_LOAD: %v", errno)
	}
	return unix.Close(int(fd))
}

// dropAndRaiseSysAdmin clears CAP_SYS_ADMIN from this thread's effective set and raises it
// again: the second capset adds a capability the first removed.
func dropAndRaiseSysAdmin() error {
	runtime.LockOSThread() // capabilities are per thread
	defer runtime.UnlockOSThread()
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return err
	}
	const bit = uint32(1) << unix.CAP_SYS_ADMIN // CAP_SYS_ADMIN (21) is in the first word
	if data[0].Permitted&bit == 0 {
		return fmt.Errorf("CAP_SYS_ADMIN not permitted")
	}
	data[0].Effective &^= bit
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset (drop): %w", err)
	}
	data[0].Effective |= bit
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset (raise): %w", err)
	}
	return nil
}
