//go:build linux

package kernel

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

// deepDir makes a directory below root whose path is longer than bytes, one component at a
// time through directory fds (a path that long cannot be passed to the kernel whole), and
// returns an fd of it and its path.
func deepDir(t *testing.T, root string, bytes int) (int, string) {
	t.Helper()
	fd, err := unix.Open(root, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	path := root
	for i := 0; len(path) <= bytes; i++ {
		name := fmt.Sprintf("L%02d%s", i, strings.Repeat("x", 200))
		if err := unix.Mkdirat(fd, name, 0o700); err != nil {
			t.Fatal(err)
		}
		next, err := unix.Openat(fd, name, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
		unix.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
		fd, path = next, path+"/"+name
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd, path
}

// A path longer than the kernel's bound keeps its head, where the rules look (a write below
// /root must not pass for one below "/L10xxx"), and says it was cut.
func TestLongPathKeepsHead(t *testing.T) {
	c := shared(t)
	root := t.TempDir()
	dfd, deep := deepDir(t, root, 4454)
	fd, err := unix.Openat(dfd, "otelsec-long", unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
	ev := c.wait(t, "open below a long path", and(pidIs(self), kindIs(kevent.KindFileOpen), pathIs("otelsec-long")))
	base := str(ev.PathBase)
	if !strings.HasPrefix(base, root+"/L00") || !strings.HasPrefix(deep, base) || !ev.PathBase.Truncated {
		t.Errorf("base %.60q... (%d bytes, truncated=%v), want the head of %.60q... flagged", base, len(base), ev.PathBase.Truncated, deep)
	}
	if len(base) > MaxPathBytesLimit {
		t.Errorf("base of %d bytes", len(base))
	}

	// The walk's depth: a path of many short components comes out whole.
	dir := t.TempDir()
	for range 100 {
		dir = filepath.Join(dir, "d")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	sub, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(sub)
	unix.Openat(sub, "otelsec-deep", unix.O_RDONLY, 0)
	ev = c.wait(t, "deep open", and(pidIs(self), kindIs(kevent.KindFileOpen), pathIs("otelsec-deep")))
	if str(ev.PathBase) != dir || ev.PathBase.Truncated || ev.ErrorName() != "ENOENT" {
		t.Errorf("base %q truncated=%v err %s, want %q whole", ev.PathBase.B, ev.PathBase.Truncated, ev.ErrorName(), dir)
	}
}

// A program run from a detached mount (open_tree(OPEN_TREE_CLONE), then execveat of the fd:
// nothing names it below the root) is reported by its device and its path within that
// filesystem, never as "/".
func TestExecFromDetachedMount(t *testing.T) {
	c := shared(t)
	dir := t.TempDir()
	bin, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	prog := filepath.Join(dir, "otelsec-detached-true")
	if err := os.WriteFile(prog, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Stat(prog, &st); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), helperEnv+"=exec-detached:"+dir+":"+filepath.Base(prog))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("helper: %v: %s", err, out)
	}
	ev := c.wait(t, "exec from a detached mount", and(pidIs(cmd.Process.Pid), kindIs(kevent.KindProcessExec), func(ev *kevent.Event) bool {
		return ev.Ret == 0 && bytes.Contains(ev.Argv.B, []byte("otelsec-detached"))
	}))
	want := fmt.Sprintf("(unreachable %d:%d)/", unix.Major(st.Dev), unix.Minor(st.Dev))
	got := str(ev.Path)
	if !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "/"+filepath.Base(dir)+"/"+filepath.Base(prog)) || ev.Path.Truncated {
		t.Errorf("executable %q, want %q and its path within the filesystem, ending in %s", got, want, filepath.Base(prog))
	}

	// The same program by its path is an ordinary absolute path.
	if err := exec.Command(prog).Run(); err != nil {
		t.Fatal(err)
	}
	c.wait(t, "exec by path", and(kindIs(kevent.KindProcessExec), pathIs(prog)))
}

// chdir and fchdir report the directory moved to, so the working directory the receiver
// keeps for a process follows it.
func TestChdir(t *testing.T) {
	c := shared(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", "-c", "cd "+dir+" && : < f; cd /nonexistent-otelsec 2>/dev/null; true")
	cmd.Dir = "/usr"
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	sh := cmd.Process.Pid
	// (the first chdir of that pid is the one to /usr, before the exec of sh)
	ev := c.wait(t, "chdir", and(pidIs(sh), kindIs(kevent.KindProcessChdir), pathIs(dir)))
	if ev.Ret != 0 || !ev.PathBase.Empty() || ev.SyscallName() != "chdir" || ev.FD != unix.AT_FDCWD {
		t.Errorf("chdir path %q base %q syscall %s fd %d, want %q", ev.Path.B, ev.PathBase.B, ev.SyscallName(), ev.FD, dir)
	}
	open := c.wait(t, "open after chdir", and(pidIs(sh), kindIs(kevent.KindFileOpen), pathIs("f")))
	if str(open.PathBase) != dir {
		t.Errorf("open base %q, want %q", open.PathBase.B, dir)
	}
	ev = c.wait(t, "failed chdir", and(pidIs(sh), kindIs(kevent.KindProcessChdir), pathIs("/nonexistent-otelsec")))
	if ev.ErrorName() != "ENOENT" {
		t.Errorf("failed chdir: %s", ev.ErrorName())
	}

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	fc := exec.Command(exe)
	fc.Env = append(os.Environ(), helperEnv+"=fchdir:"+dir)
	if err := fc.Run(); err != nil {
		t.Fatal(err)
	}
	ev = c.wait(t, "fchdir", and(pidIs(fc.Process.Pid), kindIs(kevent.KindProcessChdir)))
	if str(ev.Path) != dir || ev.Ret != 0 || ev.SyscallName() != "fchdir" || ev.FD < 0 {
		t.Errorf("fchdir path %q ret %d syscall %s fd %d, want %q", ev.Path.B, ev.Ret, ev.SyscallName(), ev.FD, dir)
	}
}
