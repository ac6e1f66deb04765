//go:build linux

package syscallreceiver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"golang.org/x/sys/unix"

	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/metadata"
)

// runChild performs the syscalls of one scenario. arg is a scratch directory or a port.
func runChild(action, arg string) error {
	switch action {
	case "files":
		return childFiles(arg)
	case "network":
		return childNetwork()
	case "ptrace":
		return childPtrace()
	case "setuid":
		runtime.LockOSThread()
		// The raw syscall changes only this thread: one event, with this thread's id.
		if _, _, e := unix.RawSyscall(unix.SYS_SETUID, 65534, 0, 0); e != 0 {
			return e
		}
		return nil
	case "setuid-regain":
		// What a setuid-root program run by uid 1000 is (real 1000, effective 0), then its
		// full setuid(0)/setgid(0): after the call every id is 0, only the ids before show
		// that the real user was not root. Raw syscalls on one thread, as above.
		runtime.LockOSThread()
		for _, c := range [][4]uintptr{
			{unix.SYS_SETRESGID, 1000, 0, 0}, {unix.SYS_SETGID, 0},
			{unix.SYS_SETRESUID, 1000, 0, 0}, {unix.SYS_SETUID, 0},
		} {
			if _, _, e := unix.RawSyscall(c[0], c[1], c[2], c[3]); e != 0 {
				return fmt.Errorf("syscall %d: %w", c[0], e)
			}
		}
		return nil
	case "load":
		return childLoad(arg)
	case "failopens":
		// Failed opens: of a missing file (ENOENT), then of a path through a regular file
		// (ENOTDIR).
		for range reopens {
			if _, err := os.Open(filepath.Join(arg, "missing")); !errors.Is(err, unix.ENOENT) {
				return fmt.Errorf("open of a missing file: %v", err)
			}
		}
		if _, err := os.Open(filepath.Join(arg, "file", "x")); !errors.Is(err, unix.ENOTDIR) {
			return fmt.Errorf("open through a regular file: %v", err)
		}
		return nil
	case "reopen":
		// The same harmless file read again and again, then the one a rule matches.
		for range reopens {
			f, err := os.Open(filepath.Join(arg, "harmless"))
			if err != nil {
				return err
			}
			f.Close()
		}
		f, err := os.Open(filepath.Join(arg, "secret"))
		if err != nil {
			return err
		}
		return f.Close()
	case "reopen-exec":
		// The harmless file read for a second, paced as a server reads its files, then
		// the same read by another program in the same process: cat, after an exec.
		harmless := filepath.Join(arg, "harmless")
		for start := time.Now(); time.Since(start) < time.Second; {
			f, err := os.Open(harmless)
			if err != nil {
				return err
			}
			f.Close()
			time.Sleep(200 * time.Microsecond)
		}
		return unix.Exec("/bin/cat", []string{"cat", harmless}, os.Environ())
	case "reopen-long":
		// The harmless file read for 2.5 s, paced.
		harmless := filepath.Join(arg, "harmless")
		for start := time.Now(); time.Since(start) < 2500*time.Millisecond; {
			f, err := os.Open(harmless)
			if err != nil {
				return err
			}
			f.Close()
			time.Sleep(200 * time.Microsecond)
		}
		return nil
	case "parent-exec":
		// A child that reads the harmless file for 2.5 s; 1.5 s in, this process, its
		// parent, execs sleep: the child's parent is another program from then on.
		c := child("reopen-long", arg)
		if err := c.Start(); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(arg, "child.pid"), []byte(strconv.Itoa(c.Process.Pid)), 0o600); err != nil {
			return err
		}
		time.Sleep(1500 * time.Millisecond)
		return unix.Exec("/bin/sleep", []string{"sleep", "1.5"}, os.Environ())
	case "self":
		f, err := os.Open(arg)
		if err != nil {
			return err
		}
		return f.Close()
	}
	return fmt.Errorf("unknown action %q", action)
}

func childFiles(dir string) error {
	etc, err := unix.Open("/etc", unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	fd, err := unix.Openat(etc, "hostname", unix.O_RDONLY, 0)
	if err != nil {
		return err
	}
	unix.Close(fd)
	if err := unix.Chdir(dir); err != nil {
		return err
	}
	// Relative to the cwd, with ".." and "//".
	fd, err = unix.Openat(unix.AT_FDCWD, "../"+filepath.Base(dir)+"//sub/../created", unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	unix.Close(fd)
	if err := unix.Chmod("created", 0o600); err != nil {
		return err
	}
	d, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	if err := unix.Symlinkat("/etc/passwd", d, "link"); err != nil {
		return err
	}
	if err := unix.Unshare(unix.CLONE_NEWUTS); err != nil {
		return err
	}
	return nil
}

func childNetwork() error {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	accepted := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Close()
		}
		accepted <- err
	}()
	c, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		return err
	}
	// The test learns both ends from stdout.
	fmt.Printf("%s %s\n", c.LocalAddr(), ln.Addr())
	defer c.Close()
	return <-accepted
}

func childPtrace() error {
	target := exec.Command("/bin/sleep", "30")
	if err := target.Start(); err != nil {
		return err
	}
	defer func() { _ = target.Process.Kill(); _ = target.Wait() }()
	runtime.LockOSThread()
	if err := unix.PtraceAttach(target.Process.Pid); err != nil {
		return err
	}
	fmt.Println(target.Process.Pid)
	var ws unix.WaitStatus
	_, _ = unix.Wait4(target.Process.Pid, &ws, 0, nil)
	return unix.PtraceDetach(target.Process.Pid)
}

// recorder keeps the records of this test's process tree, so the machine's other activity
// does not fill the test's memory.
type recorder struct {
	mu      sync.Mutex
	records []plog.LogRecord
	events  uint64 // every event record accepted, this test's or not (drop reports aside)
	self    string
	fail    func(plog.Logs) error
	rcv     receiver.Logs // for the drop count when a record is missing
}

func (r *recorder) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	if r.fail != nil {
		if err := r.fail(ld); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			recs := sls.At(j).LogRecords()
			for k := 0; k < recs.Len(); k++ {
				lr := recs.At(k)
				if lr.EventName() != schema.EventAgentEventsDropped {
					r.events++
				}
				if r.mine(lr) {
					c := plog.NewLogRecord()
					lr.CopyTo(c)
					r.records = append(r.records, c)
				}
			}
		}
	}
	return nil
}

func (r *recorder) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (r *recorder) mine(lr plog.LogRecord) bool {
	if lr.EventName() == schema.EventAgentEventsDropped {
		return true
	}
	a := lr.Attributes()
	if v, ok := a.Get(schema.AttrProcessPID); ok && v.Int() == int64(os.Getpid()) {
		return true
	}
	if v, ok := a.Get(schema.AttrProcessExecutableName); ok && v.Str() == r.self {
		return true
	}
	if v, ok := a.Get(schema.AttrProcessAncestorsExecName); ok {
		for i := 0; i < v.Slice().Len(); i++ {
			if v.Slice().At(i).Str() == r.self {
				return true
			}
		}
	}
	return false
}

// find waits until a record satisfying match arrives.
func (r *recorder) find(t *testing.T, what string, match func(plog.LogRecord) bool) plog.LogRecord {
	t.Helper()
	var found plog.LogRecord
	ok := assert.Eventually(t, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, lr := range r.records {
			if match(lr) {
				found = lr
				return true
			}
		}
		return false
	}, 10*time.Second, 10*time.Millisecond, "no record: %s", what)
	if !ok {
		r.dump(t)
		t.FailNow()
	}
	return found
}

// drain returns once the sink holds the record of every event the kernel wrote before the
// call (the receiver must trace network.listen). A later record arriving proves nothing: an
// earlier event may still be in the ring, or in a batch that a builder beside the other has
// not handed on. So drain makes one more event, a child's listen, and waits for it: one
// reader takes the ring in order, so every event before it has been read then; and then
// until nothing is in flight. The mark is made once nothing is in flight, when the ring has
// room; one the kernel may have dropped nevertheless is made again.
func (r *recorder) drain(t *testing.T, lr *logsReceiver) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for marked := false; !marked; {
		r.caughtUp(t, lr)
		drops, err := lr.tracer.Drops()
		require.NoError(t, err)
		mark := child("load", "0,1")
		mark.Stdout = nil
		require.NoError(t, mark.Run())
		for !marked {
			require.True(t, time.Now().Before(deadline), "the mark's listen never arrived")
			time.Sleep(10 * time.Millisecond)
			marked = len(r.all(is(schema.EventNetworkListen, mark.Process.Pid))) > 0
			if d, _ := lr.tracer.Drops(); !marked && d > drops {
				break
			}
		}
	}
	r.caughtUp(t, lr)
}

// caughtUp waits until the sink holds as many records as the receiver read. The receiver
// counts an event before it batches it: equal counts, with no event read in between, leave
// nothing in flight.
func (r *recorder) caughtUp(t *testing.T, lr *logsReceiver) {
	t.Helper()
	require.Eventually(t, func() bool {
		read := lr.received.Load()
		r.mu.Lock()
		accepted := r.events
		r.mu.Unlock()
		return accepted == read && lr.received.Load() == read
	}, 10*time.Second, 10*time.Millisecond, "records the receiver read never reached the sink")
}

// dump logs what was recorded, to see why a record was not there.
func (r *recorder) dump(t *testing.T) {
	t.Helper()
	if lr, ok := r.rcv.(*logsReceiver); ok && lr.tracer != nil {
		d, _ := lr.tracer.Drops()
		t.Logf("the kernel dropped %d events so far (a busy machine outpacing the receiver)", d)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, lr := range r.records {
		t.Logf("%s pid=%d exe=%s ret=%d path=%s", lr.EventName(), num(lr, schema.AttrProcessPID),
			str(lr, schema.AttrProcessExecutableName), num(lr, schema.AttrSyscallReturn), str(lr, schema.AttrFilePath))
	}
}

func (r *recorder) all(match func(plog.LogRecord) bool) []plog.LogRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []plog.LogRecord
	for _, lr := range r.records {
		if match(lr) {
			out = append(out, lr)
		}
	}
	return out
}

func str(lr plog.LogRecord, k string) string {
	v, ok := lr.Attributes().Get(k)
	if !ok {
		return "<absent>"
	}
	return v.AsString()
}

func num(lr plog.LogRecord, k string) int64 {
	v, ok := lr.Attributes().Get(k)
	if !ok || v.Type() != pcommon.ValueTypeInt {
		return -999999
	}
	return v.Int()
}

func strs(lr plog.LogRecord, k string) []string {
	v, ok := lr.Attributes().Get(k)
	if !ok || v.Type() != pcommon.ValueTypeSlice {
		return nil
	}
	out := make([]string, 0, v.Slice().Len())
	for i := 0; i < v.Slice().Len(); i++ {
		out = append(out, v.Slice().At(i).Str())
	}
	return out
}

func is(name string, pid int) func(plog.LogRecord) bool {
	return func(lr plog.LogRecord) bool {
		return lr.EventName() == name && num(lr, schema.AttrProcessPID) == int64(pid)
	}
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the syscall receiver needs root (CAP_BPF, CAP_PERFMON) to load its eBPF programs; run the tests as root")
	}
}

func startReceiver(t *testing.T, cfg *Config, next consumer.Logs, set receiver.Settings) receiver.Logs {
	t.Helper()
	rcv, err := NewFactory().CreateLogs(context.Background(), set, cfg, next)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { stop(t, rcv) })
	return rcv
}

// stop shuts rcv down (again: a no-op). Once it returns, every event the receiver read has
// reached the pipeline, also those of a batch still behind the last record that arrived.
func stop(t *testing.T, rcv receiver.Logs) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, rcv.Shutdown(ctx))
}

func testConfig() *Config {
	cfg := createDefaultConfig()
	cfg.FlushInterval = 10 * time.Millisecond
	cfg.RingBufferSize = 16 << 20
	return cfg
}

func selfName(t *testing.T) (string, string) {
	exe, err := os.Executable()
	require.NoError(t, err)
	exe, err = filepath.EvalSymlinks(exe)
	require.NoError(t, err)
	return exe, filepath.Base(exe)
}

func child(action, arg string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$", arg)
	cmd.Env = append(os.Environ(), childEnv+"="+action)
	cmd.Stderr = os.Stderr
	return cmd
}

func TestKernelEvents(t *testing.T) {
	requireRoot(t)
	selfPath, self := selfName(t)
	rec := &recorder{self: self}
	cfg := testConfig()
	cfg.RingBufferSize = 128 << 20 // room for a busy machine's events while the test runs
	rec.rcv = startReceiver(t, cfg, rec, receivertest.NewNopSettings(metadata.Type))

	t.Run("exec fork exit", func(t *testing.T) {
		script := "/bin/echo one two; exit 3"
		cmd := exec.Command("/bin/sh", "-c", script)
		cmd.Dir = "/usr"
		require.NoError(t, cmd.Start())
		sh := cmd.Process.Pid
		err := cmd.Wait()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee)
		require.Equal(t, 3, ee.ExitCode())

		shPath, _ := filepath.EvalSymlinks("/bin/sh")
		echoPath, _ := filepath.EvalSymlinks("/bin/echo")

		e := rec.find(t, "exec of /bin/sh", is(schema.EventProcessExec, sh))
		assert.Equal(t, shPath, str(e, schema.AttrProcessExecutablePath))
		assert.Equal(t, filepath.Base(shPath), str(e, schema.AttrProcessExecutableName))
		assert.Equal(t, []string{"/bin/sh", "-c", script}, strs(e, schema.AttrProcessCommandArgs))
		assert.Equal(t, int64(3), num(e, schema.AttrProcessArgsCount))
		assert.Equal(t, "/bin/sh -c "+script, str(e, schema.AttrProcessCommandLine))
		assert.Equal(t, "/usr", str(e, schema.AttrProcessWorkingDirectory))
		assert.Equal(t, int64(os.Getpid()), num(e, schema.AttrProcessParentPID))
		assert.Equal(t, selfPath, str(e, schema.AttrProcessParentExecutablePath))
		assert.Equal(t, self, str(e, schema.AttrProcessParentExecutableName))
		assert.Equal(t, strings.Join(os.Args, " "), str(e, schema.AttrProcessParentCommandLine))
		anc := strs(e, schema.AttrProcessAncestorsExecName)
		require.NotEmpty(t, anc)
		assert.Equal(t, self, anc[0])
		assert.Equal(t, int64(0), num(e, schema.AttrProcessUserID))
		assert.Equal(t, "root", str(e, schema.AttrProcessUserName))
		assert.Equal(t, "<absent>", str(e, schema.AttrErrorType))
		assert.Equal(t, plog.SeverityNumberInfo, e.SeverityNumber())
		assert.InDelta(t, time.Now().UnixNano(), e.Timestamp().AsTime().UnixNano(), float64(time.Minute))

		f := rec.find(t, "fork by sh", is(schema.EventProcessFork, sh))
		echo := int(num(f, schema.AttrProcessChildPID))
		require.Positive(t, echo)
		e = rec.find(t, "exec of /bin/echo", is(schema.EventProcessExec, echo))
		assert.Equal(t, echoPath, str(e, schema.AttrProcessExecutablePath))
		assert.Equal(t, []string{"/bin/echo", "one", "two"}, strs(e, schema.AttrProcessCommandArgs))
		assert.Equal(t, "/bin/echo one two", str(e, schema.AttrProcessCommandLine))
		assert.Equal(t, int64(sh), num(e, schema.AttrProcessParentPID))
		assert.Equal(t, shPath, str(e, schema.AttrProcessParentExecutablePath))
		assert.Equal(t, "/bin/sh -c "+script, str(e, schema.AttrProcessParentCommandLine))
		anc = strs(e, schema.AttrProcessAncestorsExecName)
		require.GreaterOrEqual(t, len(anc), 2)
		assert.Equal(t, []string{filepath.Base(shPath), self}, anc[:2])
		assert.Equal(t, "/usr", str(e, schema.AttrProcessWorkingDirectory))

		x := rec.find(t, "exit of echo", is(schema.EventProcessExit, echo))
		assert.Equal(t, int64(0), num(x, schema.AttrProcessExitCode))
		assert.Equal(t, "echo", str(x, schema.AttrProcessExecutableName))
		x = rec.find(t, "exit of sh", is(schema.EventProcessExit, sh))
		assert.Equal(t, int64(3), num(x, schema.AttrProcessExitCode))
	})

	t.Run("failed exec", func(t *testing.T) {
		cmd := exec.Command("/bin/sh", "-c", "exec ./no-such-binary")
		cmd.Dir = "/tmp"
		require.NoError(t, cmd.Start())
		_ = cmd.Wait()
		e := rec.find(t, "failed exec", func(lr plog.LogRecord) bool {
			return is(schema.EventProcessExec, cmd.Process.Pid)(lr) && str(lr, schema.AttrErrorType) != "<absent>"
		})
		assert.Equal(t, "ENOENT", str(e, schema.AttrErrorType))
		assert.Equal(t, "execve", str(e, schema.AttrSyscallName))
		assert.Equal(t, int64(-2), num(e, schema.AttrSyscallReturn))
		assert.Equal(t, "/tmp/no-such-binary", str(e, schema.AttrFilePath))
	})

	t.Run("files", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
		cmd := child("files", dir)
		require.NoError(t, cmd.Run())
		pid := cmd.Process.Pid

		o := rec.find(t, "openat(dirfd=/etc, hostname)", func(lr plog.LogRecord) bool {
			return is(schema.EventFileOpen, pid)(lr) && str(lr, schema.AttrFilePath) == "/etc/hostname"
		})
		assert.Equal(t, "openat", str(o, schema.AttrSyscallName))
		assert.Equal(t, []string{"O_RDONLY"}, strs(o, schema.AttrFileFlags))
		assert.Equal(t, selfPath, str(o, schema.AttrProcessExecutablePath))
		assert.Equal(t, self, str(o, schema.AttrProcessParentExecutableName))
		assert.Equal(t, self, strs(o, schema.AttrProcessAncestorsExecName)[0])
		assert.Positive(t, num(o, schema.AttrSyscallReturn))

		created := filepath.Join(dir, "created")
		o = rec.find(t, "openat with .. and //", func(lr plog.LogRecord) bool {
			return is(schema.EventFileOpen, pid)(lr) && str(lr, schema.AttrFilePath) == created
		})
		assert.Equal(t, []string{"O_WRONLY", "O_CREAT", "O_TRUNC"}, strs(o, schema.AttrFileFlags))
		assert.Equal(t, "0640", str(o, schema.AttrFileMode))

		c := rec.find(t, "chmod", is(schema.EventFileChmod, pid))
		assert.Equal(t, created, str(c, schema.AttrFilePath))
		assert.Equal(t, "0600", str(c, schema.AttrFileMode))

		s := rec.find(t, "symlink", is(schema.EventFileSymlink, pid))
		assert.Equal(t, filepath.Join(dir, "link"), str(s, schema.AttrFilePath))
		assert.Equal(t, "/etc/passwd", str(s, schema.AttrFileSymlinkTargetPath))
		assert.Equal(t, "symlinkat", str(s, schema.AttrSyscallName))
		assert.Equal(t, int64(0), num(s, schema.AttrSyscallReturn))

		u := rec.find(t, "unshare", is(schema.EventNamespaceUnshare, pid))
		assert.Equal(t, []string{"CLONE_NEWUTS"}, strs(u, schema.AttrNamespaceFlags))
		assert.Equal(t, "unshare", str(u, schema.AttrSyscallName))
	})

	t.Run("network", func(t *testing.T) {
		cmd := child("network", "")
		out, err := cmd.Output()
		require.NoError(t, err)
		pid := cmd.Process.Pid
		f := strings.Fields(string(out))
		require.Len(t, f, 2)
		_, clientPort, _ := net.SplitHostPort(f[0])
		_, serverPort, _ := net.SplitHostPort(f[1])
		cp, _ := strconv.Atoi(clientPort)
		sp, _ := strconv.Atoi(serverPort)

		// Go's net package first probes IPv6 with binds to [::1] and [::ffff:127.0.0.1]; the
		// listener's bind is the one on its port (the kernel's bound address).
		b := rec.find(t, "bind", func(lr plog.LogRecord) bool {
			return is(schema.EventNetworkBind, pid)(lr) && num(lr, schema.AttrNetworkLocalPort) == int64(sp)
		})
		assert.Equal(t, "127.0.0.1", str(b, schema.AttrNetworkLocalAddress))
		assert.Equal(t, "tcp", str(b, schema.AttrNetworkTransport))
		assert.Equal(t, "ipv4", str(b, schema.AttrNetworkType))
		l := rec.find(t, "listen", is(schema.EventNetworkListen, pid))
		assert.Equal(t, "127.0.0.1", str(l, schema.AttrNetworkLocalAddress))
		assert.Equal(t, int64(sp), num(l, schema.AttrNetworkLocalPort))

		c := rec.find(t, "connect", is(schema.EventNetworkConnect, pid))
		assert.Equal(t, "127.0.0.1", str(c, schema.AttrNetworkPeerAddress))
		assert.Equal(t, int64(sp), num(c, schema.AttrNetworkPeerPort))
		assert.Equal(t, "tcp", str(c, schema.AttrNetworkTransport))

		a := rec.find(t, "accept", func(lr plog.LogRecord) bool {
			return is(schema.EventNetworkAccept, pid)(lr) && num(lr, schema.AttrSyscallReturn) >= 0
		})
		assert.Equal(t, "127.0.0.1", str(a, schema.AttrNetworkLocalAddress))
		assert.Equal(t, int64(sp), num(a, schema.AttrNetworkLocalPort))
		assert.Equal(t, "127.0.0.1", str(a, schema.AttrNetworkPeerAddress))
		assert.Equal(t, int64(cp), num(a, schema.AttrNetworkPeerPort))
		assert.Equal(t, "accept4", str(a, schema.AttrSyscallName))
	})

	t.Run("setuid", func(t *testing.T) {
		cmd := child("setuid", "")
		require.NoError(t, cmd.Run())
		s := rec.find(t, "setuid", is(schema.EventPrivilegeSetuid, cmd.Process.Pid))
		assert.Equal(t, int64(65534), num(s, schema.AttrPrivilegeTargetUserID))
		assert.Equal(t, "setuid", str(s, schema.AttrSyscallName))
		assert.Equal(t, int64(0), num(s, schema.AttrSyscallReturn))
		// Credentials after the call, and before it (the child inherited root's).
		assert.Equal(t, int64(65534), num(s, schema.AttrProcessUserID))
		assert.Equal(t, int64(65534), num(s, schema.AttrProcessRealUserID))
		assert.Equal(t, int64(0), num(s, schema.AttrPrivilegePreviousUserID))
		assert.Equal(t, int64(0), num(s, schema.AttrPrivilegePreviousRealUserID))
	})

	t.Run("setuid-root program becomes fully root", func(t *testing.T) {
		cmd := child("setuid-regain", "")
		require.NoError(t, cmd.Run())
		pid := cmd.Process.Pid
		bySyscall := func(name string) func(plog.LogRecord) bool {
			return func(lr plog.LogRecord) bool {
				return (is(schema.EventPrivilegeSetuid, pid)(lr) || is(schema.EventPrivilegeSetgid, pid)(lr)) &&
					str(lr, schema.AttrSyscallName) == name
			}
		}
		u := rec.find(t, "setuid(0)", bySyscall("setuid"))
		assert.Equal(t, int64(0), num(u, schema.AttrSyscallReturn))
		assert.Equal(t, int64(0), num(u, schema.AttrPrivilegeTargetUserID))
		assert.Equal(t, int64(0), num(u, schema.AttrProcessUserID))
		assert.Equal(t, int64(0), num(u, schema.AttrProcessRealUserID))
		assert.Equal(t, int64(0), num(u, schema.AttrPrivilegePreviousUserID))
		assert.Equal(t, int64(1000), num(u, schema.AttrPrivilegePreviousRealUserID))
		assert.Equal(t, "<absent>", str(u, schema.AttrPrivilegePreviousRealGroupID))

		r := rec.find(t, "setresuid(1000, 0, 0)", bySyscall("setresuid"))
		assert.Equal(t, int64(1000), num(r, schema.AttrProcessRealUserID))
		assert.Equal(t, int64(0), num(r, schema.AttrPrivilegePreviousRealUserID))

		g := rec.find(t, "setgid(0)", bySyscall("setgid"))
		assert.Equal(t, schema.EventPrivilegeSetgid, g.EventName())
		assert.Equal(t, int64(0), num(g, schema.AttrPrivilegeTargetGroupID))
		assert.Equal(t, int64(0), num(g, schema.AttrPrivilegePreviousGroupID))
		assert.Equal(t, int64(1000), num(g, schema.AttrPrivilegePreviousRealGroupID))
		assert.Equal(t, "<absent>", str(g, schema.AttrPrivilegePreviousRealUserID))
	})

	t.Run("ptrace", func(t *testing.T) {
		cmd := child("ptrace", "")
		out, err := cmd.Output()
		require.NoError(t, err)
		target, err := strconv.Atoi(strings.TrimSpace(string(out)))
		require.NoError(t, err)
		p := rec.find(t, "ptrace attach", func(lr plog.LogRecord) bool {
			return is(schema.EventProcessPtrace, cmd.Process.Pid)(lr) && str(lr, schema.AttrPtraceRequest) == "PTRACE_ATTACH"
		})
		assert.Equal(t, int64(target), num(p, schema.AttrPtraceTargetPID))
		assert.Equal(t, int64(0), num(p, schema.AttrSyscallReturn))
	})

	t.Run("own process invisible", func(t *testing.T) {
		marker := filepath.Join(t.TempDir(), "marker")
		require.NoError(t, os.WriteFile(marker, nil, 0o600))
		// The test process (the collector here) opens it, then a child does.
		for range 3 {
			f, err := os.Open(marker)
			require.NoError(t, err)
			f.Close()
		}
		cmd := child("self", marker)
		require.NoError(t, cmd.Run())
		rec.find(t, "child's open of the marker", func(lr plog.LogRecord) bool {
			return is(schema.EventFileOpen, cmd.Process.Pid)(lr) && str(lr, schema.AttrFilePath) == marker
		})
		// The test's own opens came before the child's and were read before it; stopping the
		// receiver delivers them if they were not filtered. (The last subtests need no new
		// events.)
		stop(t, rec.rcv)
		// (agent.events_dropped records, the receiver's own, carry its pid.)
		own := rec.all(func(lr plog.LogRecord) bool {
			return num(lr, schema.AttrProcessPID) == int64(os.Getpid()) && lr.EventName() != schema.EventAgentEventsDropped
		})
		if !assert.Empty(t, own, "the collector's own syscalls must not be reported") {
			for _, lr := range own {
				t.Logf("%s %v", lr.EventName(), lr.Attributes().AsRaw())
			}
		}
	})

	t.Run("every record has the process context", func(t *testing.T) {
		for _, lr := range rec.all(func(lr plog.LogRecord) bool { return lr.EventName() != schema.EventAgentEventsDropped }) {
			for _, k := range []string{schema.AttrProcessPID, schema.AttrThreadID, schema.AttrProcessParentPID,
				schema.AttrProcessUserID, schema.AttrProcessRealUserID, schema.AttrProcessInteractive, schema.AttrSyscallReturn} {
				_, ok := lr.Attributes().Get(k)
				assert.True(t, ok, "%s lacks %s", lr.EventName(), k)
			}
			assert.NotEqual(t, "<absent>", str(lr, schema.AttrProcessExecutablePath), "%s of pid %d", lr.EventName(), num(lr, schema.AttrProcessPID))
		}
	})
}

func TestPipelineRefusals(t *testing.T) {
	requireRoot(t)
	_, self := selfName(t)

	// Refused for now: retried until accepted, nothing lost.
	var mu sync.Mutex
	transient := 3
	rec := &recorder{self: self, fail: func(plog.Logs) error {
		mu.Lock()
		defer mu.Unlock()
		if transient > 0 {
			transient--
			return errors.New("memory limiter: data refused")
		}
		return nil
	}}
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tt.Shutdown(context.Background()) })
	set := receivertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tt.NewTelemetrySettings()
	cfg := testConfig()
	cfg.Events = []string{schema.EventProcessExec}
	rcv := startReceiver(t, cfg, rec, set)
	cmd := exec.Command("/bin/true", "transient-refusal")
	require.NoError(t, cmd.Run())
	rec.find(t, "exec after refusals", is(schema.EventProcessExec, cmd.Process.Pid))
	mu.Lock()
	assert.Equal(t, 0, transient)
	mu.Unlock()

	m, err := tt.GetMetric("otelcol_receiver_syscall_events_received")
	require.NoError(t, err)
	require.NotNil(t, m.Data)
	m, err = tt.GetMetric("otelcol_receiver_syscall_process_table_size")
	require.NoError(t, err)
	require.NotNil(t, m.Data)
	// The standard receiver metrics count the batches the pipeline accepted after retries, once
	// the pipeline has returned: stopping the receiver waits for that.
	stop(t, rcv)
	m, err = tt.GetMetric("otelcol_receiver_accepted_log_records")
	require.NoError(t, err)
	acc, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok)
	require.NotEmpty(t, acc.DataPoints)
	assert.Positive(t, acc.DataPoints[0].Value)
}

func TestPermanentRefusalIsReported(t *testing.T) {
	requireRoot(t)
	_, self := selfName(t)
	var mu sync.Mutex
	refusedRecords := 0
	rec := &recorder{self: self}
	rec.fail = func(ld plog.Logs) error {
		mu.Lock()
		defer mu.Unlock()
		// Refuse the first batches of kernel events permanently; accept drop reports.
		if refusedRecords < 1 && ld.LogRecordCount() > 0 &&
			ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).EventName() != schema.EventAgentEventsDropped {
			refusedRecords += ld.LogRecordCount()
			return consumererror.NewPermanent(errors.New("bad data"))
		}
		return nil
	}
	cfg := testConfig()
	cfg.Events = []string{schema.EventProcessExec}
	cfg.DropReportInterval = time.Second
	startReceiver(t, cfg, rec, receivertest.NewNopSettings(metadata.Type))
	require.NoError(t, exec.Command("/bin/true").Run())
	d := rec.find(t, "agent.events_dropped for pipeline_refused", func(lr plog.LogRecord) bool {
		return lr.EventName() == schema.EventAgentEventsDropped && str(lr, schema.AttrDroppedReason) == reasonPipelineRefused
	})
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, int64(refusedRecords), num(d, schema.AttrDroppedCount))
	assert.Equal(t, int64(refusedRecords), num(d, schema.AttrDroppedTotal))
	assert.Equal(t, plog.SeverityNumberWarn, d.SeverityNumber())
	// Reported once: a second report only when the count grows again.
	time.Sleep(1500 * time.Millisecond)
	n := len(rec.all(func(lr plog.LogRecord) bool {
		return lr.EventName() == schema.EventAgentEventsDropped && str(lr, schema.AttrDroppedReason) == reasonPipelineRefused
	}))
	assert.Equal(t, 1, n)
}

func TestShutdownWithoutStart(t *testing.T) {
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), createDefaultConfig(), consumerNop{})
	require.NoError(t, err)
	require.NoError(t, rcv.Shutdown(context.Background()))
	require.NoError(t, rcv.Shutdown(context.Background()))
}

func TestStartWithoutPrivileges(t *testing.T) {
	requireRoot(t)
	// Run a child without root (uid 65534) that starts the receiver: one clear error. The test
	// binary sits in a directory only root may enter; copy it out for the child.
	dir, err := os.MkdirTemp("", "otelsec-unpriv")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	bin, err := os.ReadFile(os.Args[0])
	require.NoError(t, err)
	exe := filepath.Join(dir, "syscallreceiver.test")
	require.NoError(t, os.WriteFile(exe, bin, 0o755))
	cmd := exec.Command(exe, "-test.run=^TestStartUnprivilegedChild$", "-test.v")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "OTELSEC_UNPRIV=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "--- PASS: TestStartUnprivilegedChild")
	t.Logf("%s", out)
}

func TestStartUnprivilegedChild(t *testing.T) {
	if os.Getenv("OTELSEC_UNPRIV") == "" {
		t.Skip("run by TestStartWithoutPrivileges")
	}
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), createDefaultConfig(), consumerNop{})
	require.NoError(t, err)
	err = rcv.Start(context.Background(), componenttest.NewNopHost())
	require.Error(t, err)
	t.Log(err)
	// One sentence that names the component and what is missing.
	assert.Contains(t, err.Error(), "syscall receiver")
	assert.Contains(t, err.Error(), "root")
	assert.Equal(t, 1, strings.Count(err.Error(), "syscall receiver"), err.Error())
	require.NoError(t, rcv.Shutdown(context.Background()))
}

type consumerNop struct{}

func (consumerNop) ConsumeLogs(context.Context, plog.Logs) error { return nil }
func (consumerNop) Capabilities() consumer.Capabilities          { return consumer.Capabilities{} }

func TestRingBufferDropsReported(t *testing.T) {
	requireRoot(t)
	_, self := selfName(t)
	// A pipeline that stalls for a while on its first batch, a small ring and a burst: the
	// kernel must drop, and the drops must come back as records with the kernel's exact count.
	var once sync.Once
	rec := &recorder{self: self, fail: func(plog.Logs) error {
		once.Do(func() { time.Sleep(time.Second) })
		return nil
	}}
	cfg := testConfig()
	cfg.Events = []string{schema.EventNetworkListen}
	cfg.RingBufferSize = 64 << 10
	cfg.DropReportInterval = time.Second
	cfg.MaxBatchSize = 64
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tt.Shutdown(context.Background()) })
	set := receivertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tt.NewTelemetrySettings()
	rcv := startReceiver(t, cfg, rec, set)
	cmd := child("load", "0,200000")
	cmd.Stdout = nil
	require.NoError(t, cmd.Run())

	lr := rcv.(*logsReceiver)
	// The drop report can overtake the last batches: wait for them, not for the report.
	rec.drain(t, lr)
	var kernelDrops uint64
	require.Eventually(t, func() bool {
		kernelDrops, _ = lr.tracer.Drops()
		reports := rec.all(func(lr plog.LogRecord) bool {
			return lr.EventName() == schema.EventAgentEventsDropped && str(lr, schema.AttrDroppedReason) == reasonRingBufferFull
		})
		if len(reports) == 0 {
			return false
		}
		var sum int64
		for _, r := range reports {
			sum += num(r, schema.AttrDroppedCount)
		}
		last := reports[len(reports)-1]
		return kernelDrops > 0 && sum == num(last, schema.AttrDroppedTotal) && uint64(sum) == kernelDrops
	}, 15*time.Second, 100*time.Millisecond, "drop reports must add up to the kernel's count")
	t.Logf("kernel dropped %d of 200000", kernelDrops)

	// The same count is a metric, by reason.
	m, err := tt.GetMetric("otelcol_receiver_syscall_events_dropped")
	require.NoError(t, err)
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok)
	byReason := map[string]int64{}
	for _, dp := range sum.DataPoints {
		r, _ := dp.Attributes.Value("reason")
		byReason[r.AsString()] += dp.Value // ring_buffer_full: one point per ring
	}
	assert.GreaterOrEqual(t, byReason[reasonRingBufferFull], int64(kernelDrops))
	assert.Equal(t, int64(0), byReason[reasonDecodeError])
	assert.Equal(t, int64(0), byReason[reasonPipelineRefused])
	received := len(rec.all(is(schema.EventNetworkListen, cmd.Process.Pid)))
	assert.Positive(t, received)
	// Every event is either delivered or counted; the kernel's count also holds the few listen
	// calls of other processes on the machine lost while the ring was full.
	assert.GreaterOrEqual(t, uint64(received)+kernelDrops, uint64(200000), "every event is either delivered or counted")
	assert.LessOrEqual(t, uint64(received)+kernelDrops, uint64(200000+1000))
}

// A shutdown right after a burst, with the rings still full: every event is delivered or
// counted, none is left unread in the kernel.
func TestShutdownDrainsTheRings(t *testing.T) {
	requireRoot(t)
	_, self := selfName(t)
	// The first batch stalls the pipeline, so the reader waits and the rings are full of
	// unread records when the burst ends and Shutdown begins.
	var once sync.Once
	rec := &recorder{self: self, fail: func(plog.Logs) error {
		once.Do(func() { time.Sleep(500 * time.Millisecond) })
		return nil
	}}
	cfg := testConfig()
	cfg.Events = []string{schema.EventNetworkListen}
	cfg.RingBufferSize = 256 << 10
	cfg.DropReportInterval = time.Hour // only the report at shutdown
	cfg.MaxBatchSize = 64
	rcv := startReceiver(t, cfg, rec, receivertest.NewNopSettings(metadata.Type))
	const burst = 100000
	cmd := child("load", fmt.Sprintf("0,%d", burst))
	cmd.Stdout = nil
	require.NoError(t, cmd.Run())
	stop(t, rcv)

	lost := map[string]int64{}
	for _, r := range rec.all(func(lr plog.LogRecord) bool { return lr.EventName() == schema.EventAgentEventsDropped }) {
		lost[str(r, schema.AttrDroppedReason)] += num(r, schema.AttrDroppedCount)
	}
	delivered := int64(len(rec.all(is(schema.EventNetworkListen, cmd.Process.Pid))))
	t.Logf("delivered %d, lost %v", delivered, lost)
	// The kernel's count also holds the few listen calls of other processes lost meanwhile.
	accounted := delivered + lost[reasonRingBufferFull] + lost[reasonPipelineRefused]
	assert.GreaterOrEqual(t, accounted, int64(burst), "an event was neither delivered nor counted")
	assert.LessOrEqual(t, accounted, int64(burst+1000))
}

func TestExcludedExecutables(t *testing.T) {
	requireRoot(t)
	_, self := selfName(t)
	rec := &recorder{self: self}
	cfg := testConfig()
	cfg.Events = []string{"process"}
	echo, _ := filepath.EvalSymlinks("/bin/echo")
	cfg.Exclude.ExecutablePathPrefixes = []string{echo}
	rcv := startReceiver(t, cfg, rec, receivertest.NewNopSettings(metadata.Type))
	excluded := exec.Command("/bin/echo", "excluded")
	require.NoError(t, excluded.Run())
	kept := exec.Command("/bin/true", "kept")
	require.NoError(t, kept.Run())
	rec.find(t, "exit of true", is(schema.EventProcessExit, kept.Process.Pid))
	// echo's events were read before true's exit; stopping delivers them, were they not dropped.
	stop(t, rcv)
	assert.Empty(t, rec.all(func(lr plog.LogRecord) bool {
		return num(lr, schema.AttrProcessPID) == int64(excluded.Process.Pid) && lr.EventName() == schema.EventProcessExit
	}), "an excluded executable produces no events")
	// Only the selected events are reported.
	assert.Empty(t, rec.all(func(lr plog.LogRecord) bool {
		return !strings.HasPrefix(lr.EventName(), "process.") && lr.EventName() != schema.EventAgentEventsDropped
	}))
}

func TestShutdownHonoursContextWhilePipelineRefuses(t *testing.T) {
	requireRoot(t)
	_, self := selfName(t)
	rec := &recorder{self: self, fail: func(plog.Logs) error { return errors.New("refused, try later") }}
	cfg := testConfig()
	cfg.Events = []string{schema.EventProcessExec}
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, rec)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, exec.Command("/bin/true").Run())
	lr := rcv.(*logsReceiver)
	require.Eventually(t, func() bool { return lr.received.Load() > 0 }, 5*time.Second, 10*time.Millisecond)
	time.Sleep(50 * time.Millisecond) // let the batch reach the retrying sender

	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = rcv.Shutdown(ctx)
	assert.Less(t, time.Since(start), 3*time.Second)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Positive(t, lr.refused.Load(), "what could not be delivered is counted")
}

// slowCounter is a pipeline slower than the kernel: the ring never runs dry.
type slowCounter struct{ counter }

func (c *slowCounter) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	time.Sleep(2 * time.Millisecond)
	return c.counter.ConsumeLogs(ctx, ld)
}

func TestShutdownUnderLoad(t *testing.T) {
	requireRoot(t)
	cnt := &slowCounter{}
	cfg := testConfig()
	cfg.Events = []string{schema.EventNetworkListen}
	cfg.MaxBatchSize = 64
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, cnt)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	load := child("load", "0,100000000")
	require.NoError(t, load.Start())
	t.Cleanup(func() { _ = load.Process.Kill(); _ = load.Wait() })
	require.Eventually(t, func() bool { return cnt.n.Load() > 10000 }, 10*time.Second, 10*time.Millisecond)

	time.Sleep(500 * time.Millisecond)
	// The ring never runs dry: Shutdown must still stop the reader promptly.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	require.NoError(t, rcv.Shutdown(ctx), "finished before its deadline")
	// Without the fix it never returns; the bound leaves room for detaching ~60 programs on a
	// busy machine (and the race detector).
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestTruncatedArguments(t *testing.T) {
	requireRoot(t)
	_, self := selfName(t)
	rec := &recorder{self: self}
	cfg := testConfig()
	cfg.Events = []string{schema.EventProcessExec}
	cfg.MaxArgBytes = 64
	cfg.MaxArgs = 5
	rec.rcv = startReceiver(t, cfg, rec, receivertest.NewNopSettings(metadata.Type))

	args := []string{}
	for i := range 20 {
		args = append(args, fmt.Sprintf("argument-%02d", i))
	}
	cmd := exec.Command("/bin/echo", args...)
	cmd.Stdout = nil
	cmd.Env = []string{"PATH=/usr/bin:/bin"} // within max_env_bytes: not cut
	require.NoError(t, cmd.Run())
	e := rec.find(t, "exec of echo", is(schema.EventProcessExec, cmd.Process.Pid))
	assert.Equal(t, []string{"PATH=/usr/bin:/bin"}, strs(e, schema.AttrProcessEnvironment))
	got := strs(e, schema.AttrProcessCommandArgs)
	assert.LessOrEqual(t, len(got), 5)
	assert.Equal(t, "/bin/echo", got[0])
	assert.Equal(t, int64(21), num(e, schema.AttrProcessArgsCount), "the real argc")
	assert.LessOrEqual(t, len(str(e, schema.AttrProcessCommandLine)), 64)
	assert.True(t, strings.HasPrefix(str(e, schema.AttrProcessCommandLine), "/bin/echo argument-00 "))
	// The parent (this test binary, read from /proc at start with the same bound) has a longer
	// command line too.
	assert.ElementsMatch(t, []string{schema.AttrProcessCommandLine, schema.AttrProcessCommandArgs,
		schema.AttrProcessParentCommandLine}, strs(e, schema.AttrTruncated))
	assert.LessOrEqual(t, len(str(e, schema.AttrProcessParentCommandLine)), 64)
}

// The environment is cut at max_env_bytes and said to be; at 0 the records have none.
func TestEnvironmentBound(t *testing.T) {
	requireRoot(t)
	_, self := selfName(t)
	for _, max := range []int{24, 0} {
		rec := &recorder{self: self}
		cfg := testConfig()
		cfg.Events = []string{schema.EventProcessExec}
		cfg.MaxEnvBytes = max
		rec.rcv = startReceiver(t, cfg, rec, receivertest.NewNopSettings(metadata.Type))
		cmd := exec.Command("/bin/true")
		cmd.Env = []string{"A=1", "SECRET_TOKEN=" + strings.Repeat("s", 40)}
		require.NoError(t, cmd.Run())
		e := rec.find(t, "exec of true", is(schema.EventProcessExec, cmd.Process.Pid))
		if max == 0 {
			_, ok := e.Attributes().Get(schema.AttrProcessEnvironment)
			assert.False(t, ok, "max_env_bytes 0: no environment")
			assert.NotContains(t, strs(e, schema.AttrTruncated), schema.AttrProcessEnvironment)
			continue
		}
		assert.Equal(t, []string{"A=1", "SECRET_TOKEN=" + strings.Repeat("s", 24-4-13)}, strs(e, schema.AttrProcessEnvironment))
		assert.Contains(t, strs(e, schema.AttrTruncated), schema.AttrProcessEnvironment)
	}
}

func TestContainerID(t *testing.T) {
	requireRoot(t)
	const unified = "/sys/fs/cgroup/unified"
	root := unified
	if _, err := os.Stat(filepath.Join(unified, "cgroup.procs")); err != nil {
		root = "/sys/fs/cgroup" // a pure cgroup v2 host
		if _, err := os.Stat(filepath.Join(root, "cgroup.controllers")); err != nil {
			t.Skip("no cgroup v2 hierarchy to place a process in")
		}
	}
	id := "5b1f0c7e9d2a4b6c8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2d"
	dir := filepath.Join(root, "otelsec-test", "system.slice", "docker-"+id+".scope")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	t.Cleanup(func() {
		_ = os.Remove(dir)
		_ = os.Remove(filepath.Dir(dir))
		_ = os.Remove(filepath.Join(root, "otelsec-test"))
	})

	_, self := selfName(t)
	rec := &recorder{self: self}
	cfg := testConfig()
	cfg.Events = []string{"process", schema.EventFileOpen}
	rec.rcv = startReceiver(t, cfg, rec, receivertest.NewNopSettings(metadata.Type))

	// The shell moves itself into the "container" cgroup, then runs cat there.
	cmd := exec.Command("/bin/sh", "-c", "echo $$ > "+filepath.Join(dir, "cgroup.procs")+" && /bin/cat /etc/hostname; true")
	cmd.Stdout = nil
	require.NoError(t, cmd.Run())
	f := rec.find(t, "fork by sh", is(schema.EventProcessFork, cmd.Process.Pid))
	cat := int(num(f, schema.AttrProcessChildPID))
	e := rec.find(t, "exec of cat in the container", is(schema.EventProcessExec, cat))
	assert.Equal(t, id, str(e, schema.AttrContainerID))
	o := rec.find(t, "cat opens /etc/hostname", func(lr plog.LogRecord) bool {
		return is(schema.EventFileOpen, cat)(lr) && str(lr, schema.AttrFilePath) == "/etc/hostname"
	})
	assert.Equal(t, id, str(o, schema.AttrContainerID))
	// The shell's exec happened before it moved: no container.
	s := rec.find(t, "exec of sh", is(schema.EventProcessExec, cmd.Process.Pid))
	assert.Equal(t, "<absent>", str(s, schema.AttrContainerID))
}

func TestInteractive(t *testing.T) {
	requireRoot(t)
	// A pseudo-terminal as the child's controlling terminal.
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	require.NoError(t, err)
	defer ptmx.Close()
	require.NoError(t, unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0))
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	require.NoError(t, err)
	pts, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	require.NoError(t, err)
	defer pts.Close()

	_, self := selfName(t)
	rec := &recorder{self: self}
	cfg := testConfig()
	cfg.Events = []string{schema.EventProcessExec}
	rec.rcv = startReceiver(t, cfg, rec, receivertest.NewNopSettings(metadata.Type))

	tty := exec.Command("/bin/true", "on-a-tty")
	tty.Stdin, tty.Stdout, tty.Stderr = pts, pts, pts
	tty.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	require.NoError(t, tty.Run())
	daemon := exec.Command("/bin/true", "no-tty")
	daemon.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	require.NoError(t, daemon.Run())

	e := rec.find(t, "exec on a tty", is(schema.EventProcessExec, tty.Process.Pid))
	assert.Equal(t, "true", str(e, schema.AttrProcessInteractive))
	e = rec.find(t, "exec without a tty", is(schema.EventProcessExec, daemon.Process.Pid))
	assert.Equal(t, "false", str(e, schema.AttrProcessInteractive))
}
