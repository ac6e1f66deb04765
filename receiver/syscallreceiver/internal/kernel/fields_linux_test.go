//go:build linux

package kernel

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/plog"
	"golang.org/x/sys/unix"

	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/proctable"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/record"
)

// What every record's header says of the calling thread (comm, login uid, capabilities) and
// what an exec says of its image (vpid, overlay upper layer, memfd), from real processes.

const (
	fieldsComm     = "otelsec-renamed"
	fieldsLoginUID = 4242
	capDacOverride = 1
	capNetRaw      = 13
	capSysAdmin    = 21
)

// fieldsHelper runs the helper actions of these tests in a re-exec'd child.
func fieldsHelper(action string) int {
	switch {
	case strings.HasPrefix(action, "thread:"):
		// On one thread: rename it, join login session 4242, keep only a few capabilities,
		// then open the marker, whose record must show all three.
		runtime.LockOSThread()
		if err := unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(unsafe.StringData(fieldsComm+"\x00"))), 0, 0, 0); err != nil {
			fmt.Fprintln(os.Stderr, "prctl:", err)
			return 1
		}
		if err := os.WriteFile("/proc/self/loginuid", []byte(fmt.Sprint(fieldsLoginUID)), 0); err != nil {
			fmt.Fprintln(os.Stderr, "loginuid:", err)
			return 3
		}
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		data := [2]unix.CapUserData{{
			Effective: 1<<capDacOverride | 1<<capNetRaw,
			Permitted: 1<<capDacOverride | 1<<capNetRaw | 1<<capSysAdmin,
		}}
		if err := unix.Capset(&hdr, &data[0]); err != nil {
			fmt.Fprintln(os.Stderr, "capset:", err)
			return 1
		}
		if fd, err := unix.Open(strings.TrimPrefix(action, "thread:"), unix.O_RDONLY, 0); err == nil {
			unix.Close(fd)
		}
		return 0
	case strings.HasPrefix(action, "comms:"):
		// On one thread (a goroutine's, most likely not the main thread): for each of
		// commLens, rename it to 15 bytes, then to that many, then open
		// <dir>/comm-<len>-<tid>.
		code := make(chan int)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread ends with its renamed comm
			tid := unix.Gettid()
			for _, n := range commLens {
				for _, name := range []string{commName(15), commName(n)} {
					if err := unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(unsafe.StringData(name+"\x00"))), 0, 0, 0); err != nil {
						fmt.Fprintln(os.Stderr, "prctl:", err)
						code <- 1
						return
					}
				}
				if fd, err := unix.Open(filepath.Join(strings.TrimPrefix(action, "comms:"), fmt.Sprintf("comm-%d-%d", n, tid)), unix.O_RDONLY|unix.O_CREAT, 0o600); err == nil {
					unix.Close(fd)
				}
			}
			code <- 0
		}()
		return <-code
	case strings.HasPrefix(action, "memfd-exec:"):
		// Copies a program into a memfd and runs it from there.
		prog, err := os.ReadFile(strings.TrimPrefix(action, "memfd-exec:"))
		if err != nil {
			return 1
		}
		fd, err := unix.MemfdCreate("otelsec-mfd", 0)
		if err != nil {
			fmt.Fprintln(os.Stderr, "memfd_create:", err)
			return 1
		}
		if _, err := unix.Write(fd, prog); err != nil {
			return 1
		}
		empty, _ := unix.BytePtrFromString("")
		arg0, _ := unix.BytePtrFromString("otelsec-mfd")
		argv := []*byte{arg0, nil}
		envv := []*byte{nil}
		_, _, errno := unix.Syscall6(unix.SYS_EXECVEAT, uintptr(fd), uintptr(unsafe.Pointer(empty)),
			uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])), unix.AT_EMPTY_PATH, 0)
		fmt.Fprintln(os.Stderr, "execveat:", errno)
		return 1
	}
	return 2
}

func helperCmd(t *testing.T, action string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), helperEnv+"="+action)
	cmd.Stderr = os.Stderr
	return cmd
}

func TestThreadComm(t *testing.T) {
	c := shared(t)
	dir := t.TempDir()
	// A program run through a symlink: comm is the link's name, the executable the target.
	link := filepath.Join(dir, "otelsec-symlinked-true")
	if err := os.Symlink("/usr/bin/true", link); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(link)
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	ex := c.wait(t, "exec through a symlink", and(pidIs(cmd.Process.Pid), kindIs(kevent.KindProcessExec)))
	// TASK_COMM_LEN: 15 bytes and the NUL, the kernel cuts the rest.
	if got := string(ex.CommBytes()); got != "otelsec-symlink" || str(ex.Path) != "/usr/bin/true" {
		t.Errorf("comm %q exe %q, want otelsec-symlink (the link's name cut to 15 bytes) and /usr/bin/true", got, ex.Path.B)
	}
	// The forking process's record carries its own comm (the test binary's).
	fork := c.wait(t, "fork", and(pidIs(self), kindIs(kevent.KindProcessFork), func(ev *kevent.Event) bool { return ev.ChildPID == uint32(cmd.Process.Pid) }))
	own, _ := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/comm", fork.TID))
	if want := strings.TrimSpace(string(own)); len(own) > 0 && string(fork.CommBytes()) != want {
		t.Errorf("fork record comm %q, want %q", fork.CommBytes(), want)
	}
}

// commLens: comm lengths around the two 8-byte words the programs load it as, and the bound.
var commLens = []int{0, 1, 7, 8, 9, 14, 15}

// commName is n bytes of a name, none of them NUL.
func commName(n int) string { return "otelsec-comm-xyz"[:n] }

// TestCommPaddedPidTid: the header's comm is the whole TASK_COMM_LEN array, the name and then
// NULs only (as bpf_get_current_comm writes it), whatever its length and the longer name
// before it; pid and tid are the thread group's and the thread's.
func TestCommPaddedPidTid(t *testing.T) {
	c := shared(t)
	dir := t.TempDir()
	cmd := helperCmd(t, "comms:"+dir)
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	for _, n := range commLens {
		var tid int
		ev := c.wait(t, fmt.Sprintf("open with a %d-byte comm", n), and(pidIs(cmd.Process.Pid), kindIs(kevent.KindFileOpen), func(ev *kevent.Event) bool {
			_, err := fmt.Sscanf(filepath.Base(str(ev.Path)), fmt.Sprintf("comm-%d-%%d", n), &tid)
			return err == nil && filepath.Dir(str(ev.Path)) == dir
		}))
		var want [kevent.CommLen]byte
		copy(want[:], commName(n))
		if ev.Comm != want {
			t.Errorf("comm %q, want %q", ev.Comm[:], want[:])
		}
		if ev.PID != uint32(cmd.Process.Pid) || ev.TID != uint32(tid) {
			t.Errorf("pid %d tid %d, want %d %d", ev.PID, ev.TID, cmd.Process.Pid, tid)
		}
	}
}

func TestThreadCommLoginUIDCaps(t *testing.T) {
	c := shared(t)
	marker := filepath.Join(t.TempDir(), "otelsec-thread-marker")
	os.WriteFile(marker, nil, 0o600)
	cmd := helperCmd(t, "thread:"+marker)
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 3 {
		t.Skip("this kernel does not let root set its login uid (audit loginuid immutable)")
	}
	if err != nil {
		t.Fatal(err)
	}
	ev := c.wait(t, "marker open", and(pidIs(cmd.Process.Pid), kindIs(kevent.KindFileOpen), pathIs(marker)))
	if got := string(ev.CommBytes()); got != fieldsComm {
		t.Errorf("comm %q, want %q (set by prctl)", got, fieldsComm)
	}
	if ev.LoginUID != fieldsLoginUID {
		t.Errorf("loginuid %d, want %d", ev.LoginUID, fieldsLoginUID)
	}
	if want := uint64(1<<capDacOverride | 1<<capNetRaw); ev.ThreadCapEffective != want {
		t.Errorf("effective caps %#x, want %#x", ev.ThreadCapEffective, want)
	}
	if want := uint64(1<<capDacOverride | 1<<capNetRaw | 1<<capSysAdmin); ev.ThreadCapPermitted != want {
		t.Errorf("permitted caps %#x, want %#x", ev.ThreadCapPermitted, want)
	}
	// The record the receiver makes of it carries them as the contract names them.
	tb := proctable.New(proctable.Options{Capacity: 16, ProcRoot: "/proc"})
	lr := plog.NewLogRecord()
	record.New(record.Options{Table: tb}).Build(&ev, lr, 0)
	want := map[string]any{schema.AttrProcessLinuxComm: fieldsComm, schema.AttrProcessLoginUserID: int64(fieldsLoginUID),
		schema.AttrThreadCapabilitiesEffective: int64(1<<capDacOverride | 1<<capNetRaw),
		schema.AttrThreadCapabilitiesPermitted: int64(1<<capDacOverride | 1<<capNetRaw | 1<<capSysAdmin)}
	for k, v := range want {
		got, ok := lr.Attributes().Get(k)
		if !ok || got.AsRaw() != v {
			t.Errorf("%s = %v (present %v), want %v", k, got.AsRaw(), ok, v)
		}
	}
	// Near miss: the test process itself has no login session here, or another one.
	own := c.wait(t, "exec of the helper", and(pidIs(cmd.Process.Pid), kindIs(kevent.KindProcessExec)))
	if own.LoginUID == fieldsLoginUID {
		t.Errorf("the helper's exec, before it set its login uid, already shows %d", own.LoginUID)
	}
	if own.ThreadCapEffective == ev.ThreadCapEffective {
		t.Errorf("the helper's exec, before capset, already shows caps %#x", own.ThreadCapEffective)
	}
}

func TestExecFromMemfd(t *testing.T) {
	c := shared(t)
	cmd := helperCmd(t, "memfd-exec:/usr/bin/true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	ex := c.wait(t, "exec from memfd", and(pidIs(cmd.Process.Pid), kindIs(kevent.KindProcessExec), func(ev *kevent.Event) bool { return ev.Ret == 0 && strings.HasPrefix(str(ev.Path), "/memfd:") }))
	if !ex.ExeFromMemfd || ex.ExeUpperLayer {
		t.Errorf("exe %q: from memfd %v upper layer %v, want true false", ex.Path.B, ex.ExeFromMemfd, ex.ExeUpperLayer)
	}
	// Near miss: the helper's own exec, from a file.
	first := c.wait(t, "exec of the helper", and(pidIs(cmd.Process.Pid), kindIs(kevent.KindProcessExec)))
	if first.ExeFromMemfd {
		t.Errorf("exec of %q counted as from a memfd", first.Path.B)
	}
}

// copyFile copies an executable.
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestExecOverlayUpperLayer(t *testing.T) {
	c := shared(t)
	dir := t.TempDir()
	lower, upper, work, merged := filepath.Join(dir, "lower"), filepath.Join(dir, "upper"), filepath.Join(dir, "work"), filepath.Join(dir, "merged")
	// tmpfs below: the overlay's layers must be on a filesystem overlay accepts.
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, ""); err != nil {
		t.Fatalf("mount tmpfs: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	for _, d := range []string{lower, upper, work, merged} {
		os.Mkdir(d, 0o755)
	}
	copyFile(t, "/usr/bin/true", filepath.Join(lower, "from-image"))
	if err := unix.Mount("overlay", merged, "overlay", 0, "lowerdir="+lower+",upperdir="+upper+",workdir="+work); err != nil {
		t.Fatalf("mount overlay: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(merged, unix.MNT_DETACH) })
	// Written through the overlay: lands on the upper layer, as a binary dropped in a container.
	copyFile(t, "/usr/bin/true", filepath.Join(merged, "dropped"))

	run := func(name string) kevent.Event {
		cmd := exec.Command(filepath.Join(merged, name))
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		return c.wait(t, "exec of "+name, and(pidIs(cmd.Process.Pid), kindIs(kevent.KindProcessExec)))
	}
	if ev := run("dropped"); !ev.ExeUpperLayer || ev.ExeFromMemfd {
		t.Errorf("%q: upper layer %v memfd %v, want true false", ev.Path.B, ev.ExeUpperLayer, ev.ExeFromMemfd)
	}
	if ev := run("from-image"); ev.ExeUpperLayer {
		t.Errorf("%q, from the lower layer, counted as upper", ev.Path.B)
	}
}

func TestExecVPID(t *testing.T) {
	c := shared(t)
	cmd := exec.Command("/usr/bin/true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	ex := c.wait(t, "exec in a new pid namespace", and(pidIs(cmd.Process.Pid), kindIs(kevent.KindProcessExec)))
	if ex.VPID != 1 {
		t.Errorf("vpid %d, want 1 (the namespace's first process; pid %d on the host)", ex.VPID, ex.PID)
	}
	// Near miss: on the host's namespace, the vpid is the pid.
	host := exec.Command("/usr/bin/true")
	if err := host.Run(); err != nil {
		t.Fatal(err)
	}
	if ex := c.wait(t, "exec", and(pidIs(host.Process.Pid), kindIs(kevent.KindProcessExec))); ex.VPID != ex.PID {
		t.Errorf("vpid %d, want the pid %d", ex.VPID, ex.PID)
	}
	fork := c.wait(t, "fork", and(pidIs(self), kindIs(kevent.KindProcessFork), func(ev *kevent.Event) bool { return ev.ChildPID == uint32(host.Process.Pid) }))
	if fork.VPID != uint32(self) {
		t.Errorf("fork vpid %d, want the caller's pid %d", fork.VPID, self)
	}
}

func TestPacketSocketFamily(t *testing.T) {
	c := shared(t)
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
	ev := c.wait(t, "packet socket", and(pidIs(self), kindIs(kevent.KindNetworkSocket), func(ev *kevent.Event) bool { return ev.Family == unix.AF_PACKET }))
	if kevent.FamilyName(ev.Family) != "AF_PACKET" || ev.Ret != int64(fd) {
		t.Errorf("family %d ret %d", ev.Family, ev.Ret)
	}
}
