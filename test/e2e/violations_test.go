//go:build linux

package e2e

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"golang.org/x/sys/unix"

	"github.com/otelsec/otelsec/internal/schema"
)

// A violation is a real attack behaviour performed by one child process of the test, so the
// alert it raises can be told apart from whatever else the machine does by process.pid.
type violation struct {
	rule     string
	severity string
	// run starts the behaviour and returns the pid whose syscall breaks the rule once it ends.
	run func(t testing.TB, dir string) int
}

// runCmd runs a command to completion and returns its pid (exec keeps the pid).
func runCmd(t testing.TB, name string, args ...string) int {
	t.Helper()
	cmd := exec.Command(name, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	return cmd.Process.Pid
}

// runHelper re-executes the test binary in one of the helper modes of TestMain.
func runHelper(t testing.TB, mode string, args ...string) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("helper %s: %v\n%s", mode, err, out)
	}
	return cmd.Process.Pid
}

var seq int

func uniq(prefix string) string {
	seq++
	return fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), seq)
}

// violations cover more than ten default rules across tactics.
var violations = []violation{
	{"Sensitive file read by an untrusted program", "Warning", func(t testing.TB, _ string) int {
		return runCmd(t, "cat", "/etc/shadow")
	}},
	{"Program executed from shared memory", "Warning", func(t testing.TB, _ string) int {
		// /dev/shm, not /tmp: developers run what they build from /tmp, so that is only a Notice.
		exe := filepath.Join("/dev/shm", uniq("dropper"))
		t.Cleanup(func() { os.Remove(exe) })
		copyFile(t, "/bin/true", exe, 0o755)
		return runCmd(t, exe)
	}},
	{"Setuid or setgid bit set", "Warning", func(t testing.TB, dir string) int {
		f := filepath.Join(dir, uniq("suid"))
		copyFile(t, "/bin/true", f, 0o755)
		return runCmd(t, "chmod", "4755", f)
	}},
	{"Symlink to or over a sensitive file", "Warning", func(t testing.TB, dir string) int {
		return runCmd(t, "ln", "-s", "/etc/shadow", filepath.Join(dir, uniq("shadow-link")))
	}},
	{"Namespace created outside a container runtime", "Warning", func(t testing.TB, _ string) int {
		return runCmd(t, "unshare", "--net", "true")
	}},
	{"Search for private keys", "Warning", func(t testing.TB, dir string) int {
		return runCmd(t, "grep", "-r", "BEGIN RSA PRIVATE KEY", dir)
	}},
	{"Data destruction tool run", "Warning", func(t testing.TB, dir string) int {
		f := filepath.Join(dir, uniq("secret"))
		if err := os.WriteFile(f, []byte("data"), 0o600); err != nil {
			t.Fatal(err)
		}
		return runCmd(t, "shred", "-u", f)
	}},
	{"Write below /etc", "Error", func(t testing.TB, _ string) int {
		f := "/etc/" + uniq("otelsec-e2e") + ".conf"
		t.Cleanup(func() { os.Remove(f) })
		return runCmd(t, "sh", "-c", "echo x > "+f)
	}},
	{"Cron job created or modified", "Warning", func(t testing.TB, _ string) int {
		if err := os.MkdirAll("/etc/cron.d", 0o755); err != nil {
			t.Fatal(err)
		}
		f := "/etc/cron.d/" + uniq("otelsec-e2e")
		t.Cleanup(func() { os.Remove(f) })
		return runCmd(t, "sh", "-c", "echo '# otelsec e2e' > "+f)
	}},
	{"System logs cleared", "Warning", func(t testing.TB, _ string) int {
		f := "/var/log/" + uniq("otelsec-e2e") + ".log"
		if err := os.WriteFile(f, []byte("evidence\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(f) })
		return runCmd(t, "sh", "-c", ": > "+f)
	}},
	{"Reverse shell redirects standard streams to a socket", "Critical", func(t testing.TB, _ string) int {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			if c, err := l.Accept(); err == nil {
				io.Copy(io.Discard, c)
				c.Close()
			}
		}()
		port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
		return runCmd(t, "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/"+port+"; exec 0<&3; exit 0")
	}},
	{"Fileless execution from memory", "Critical", func(t testing.TB, _ string) int {
		return runHelper(t, "memfd-exec")
	}},
	{"Ptrace attach to another process", "Warning", func(t testing.TB, _ string) int {
		return runHelper(t, "ptrace-attach")
	}},
}

func copyFile(t testing.TB, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}

// --- helper modes: behaviours that need a process of our own making ---

const helperEnv = "OTELSEC_E2E_HELPER"

func init() {
	switch os.Getenv(helperEnv) {
	case "":
		return
	case "memfd-exec":
		os.Exit(memfdExec())
	case "ptrace-attach":
		os.Exit(ptraceAttach())
	case "bpf-burst":
		os.Exit(bpfBurst())
	default:
		fmt.Fprintln(os.Stderr, "unknown helper mode")
		os.Exit(2)
	}
}

// memfdExec copies /bin/true into an anonymous memory file and executes it from there.
func memfdExec() int {
	fd, err := unix.MemfdCreate("otelsec-e2e", 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	b, err := os.ReadFile("/bin/true")
	if err == nil {
		_, err = unix.Write(fd, b)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	err = unix.Exec(fmt.Sprintf("/proc/self/fd/%d", fd), []string{"true"}, os.Environ())
	fmt.Fprintln(os.Stderr, err)
	return 1
}

// ptraceAttach attaches to a sleeping child, as an injector would, then lets it go.
func ptraceAttach() int {
	runtime.LockOSThread()
	child := exec.Command("sleep", "30")
	if err := child.Start(); err != nil {
		return 1
	}
	defer child.Process.Kill()
	pid := child.Process.Pid
	if err := syscall.PtraceAttach(pid); err != nil {
		fmt.Fprintln(os.Stderr, "attach:", err)
		return 1
	}
	var ws syscall.WaitStatus
	syscall.Wait4(pid, &ws, 0, nil)
	syscall.PtraceDetach(pid)
	time.Sleep(10 * time.Millisecond)
	return 0
}

// burstSize is how many BPF programs bpfBurst loads: one violation of the same rule each.
const burstSize = 60

// bpfBurst loads many trivial socket filters in a row, as a tool that installs its programs does.
func bpfBurst() int {
	for i := 0; i < burstSize; i++ {
		p, err := ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.SocketFilter, License: "GPL",
			Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()}})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		p.Close()
	}
	return 0
}

// --- matching what the backend received ---

// alertsFor returns the received violations of rule raised by pid.
func alertsFor(recs []received, rule string, pid int) []received {
	var out []received
	for _, r := range recs {
		if r.str(schema.AttrSecurityRuleName) != rule {
			continue
		}
		if p, ok := r.Attrs[schema.AttrProcessPID].(int64); ok && int(p) == pid {
			out = append(out, r)
		}
	}
	return out
}
