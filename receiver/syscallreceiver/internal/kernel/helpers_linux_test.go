//go:build linux

package kernel

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

// These tests load the real programs and cause real syscalls: they need root.
func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(runHelper(os.Getenv(helperEnv)))
	}
	if os.Geteuid() != 0 {
		fmt.Println("skipping internal/kernel tests: they load eBPF programs and need root")
		os.Exit(0)
	}
	code := m.Run()
	if sharedTracer != nil {
		sharedCancel()
		sharedTracer.Close()
	}
	os.Exit(code)
}

// helperEnv makes the test binary run a helper action instead of the tests (re-exec'd child).
const helperEnv = "OTELSEC_KERNEL_TEST_HELPER"

func runHelper(action string) int {
	switch {
	case action == "probe":
		_, err := Probe()
		tr, _ := New(Options{})
		startErr := tr.Start()
		fmt.Printf("probe: %v\nstart: %v\n", err, startErr)
		return 0
	case action == "setuid":
		if err := syscall.Setresuid(65534, 65534, 65534); err != nil {
			return 1
		}
		return 0
	case strings.HasPrefix(action, "flood-paced:"):
		// Opens one file count times, at most floodPacedRate a second, then waits to be killed:
		// a flood of bounded volume (TestFloodKeepsOrder).
		count, name, _ := strings.Cut(strings.TrimPrefix(action, "flood-paced:"), ":")
		n, _ := strconv.Atoi(count)
		for i := 0; i < n; i++ {
			if fd, err := syscall.Open(name, syscall.O_RDONLY|syscall.O_CLOEXEC, 0); err == nil {
				syscall.Close(fd)
			}
			if i%100 == 99 {
				time.Sleep(100 * time.Second / floodPacedRate)
			}
		}
		select {}
	case strings.HasPrefix(action, "flood:"):
		// Opens one file as fast as it can until killed: the flood of floodHighValue.
		name := strings.TrimPrefix(action, "flood:")
		for {
			if fd, err := syscall.Open(name, syscall.O_RDONLY|syscall.O_CLOEXEC, 0); err == nil {
				syscall.Close(fd)
			}
		}
	case strings.HasPrefix(action, "fchdir:"):
		// Moves to a directory by its fd, then opens a name relative to it.
		fd, err := unix.Open(strings.TrimPrefix(action, "fchdir:"), unix.O_DIRECTORY|unix.O_RDONLY, 0)
		if err != nil || unix.Fchdir(fd) != nil {
			return 1
		}
		if f, err := unix.Open("otelsec-after-fchdir", unix.O_RDONLY, 0); err == nil {
			unix.Close(f)
		}
		return 0
	case strings.HasPrefix(action, "exec-detached:"):
		// Runs dir/name from a detached clone of dir (open_tree), through the fd alone.
		dir, name, _ := strings.Cut(strings.TrimPrefix(action, "exec-detached:"), ":")
		tree, err := unix.OpenTree(unix.AT_FDCWD, dir, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
		if err != nil {
			fmt.Fprintln(os.Stderr, "open_tree:", err)
			return 1
		}
		fd, err := unix.Openat(tree, name, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			fmt.Fprintln(os.Stderr, "openat:", err)
			return 1
		}
		empty, _ := unix.BytePtrFromString("")
		arg0, _ := unix.BytePtrFromString(name)
		arg1, _ := unix.BytePtrFromString("otelsec-detached")
		argv := []*byte{arg0, arg1, nil}
		envv := []*byte{nil}
		_, _, errno := unix.Syscall6(unix.SYS_EXECVEAT, uintptr(fd), uintptr(unsafe.Pointer(empty)),
			uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])), unix.AT_EMPTY_PATH, 0)
		fmt.Fprintln(os.Stderr, "execveat:", errno)
		return 1
	case strings.HasPrefix(action, "open:"):
		f, err := os.Open(strings.TrimPrefix(action, "open:"))
		if err == nil {
			f.Close()
		}
		return 0
	}
	return fieldsHelper(action)
}

// collector keeps copies of the events of the processes it tracks: the test process and,
// transitively, the children it forks.
type collector struct {
	all     bool // keep every process's events (dedicated tracers with few events)
	mu      sync.Mutex
	tracked map[uint32]bool
	events  []kevent.Event
}

func newCollector() *collector {
	return &collector{tracked: map[uint32]bool{uint32(os.Getpid()): true}}
}

func (c *collector) add(ev *kevent.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.all && !c.tracked[ev.PID] && !c.tracked[ev.PPID] {
		return
	}
	c.tracked[ev.PID] = true
	if ev.Kind == kevent.KindProcessFork {
		c.tracked[ev.ChildPID] = true
	}
	// Bounded, keeping the newest: a test waits for what it causes from now on, and an earlier
	// test's flood (its helpers are children of this process, so tracked) must not fill the
	// buffer and hide the events of every test after it.
	if len(c.events) >= maxCollected {
		n := copy(c.events, c.events[len(c.events)-maxCollected/2:])
		clear(c.events[n:])
		c.events = c.events[:n]
	}
	c.events = append(c.events, cloneEvent(ev))
}

const maxCollected = 200000

// wait returns the first event matching pred, waiting up to 10 s for it.
func (c *collector) wait(t *testing.T, what string, pred func(*kevent.Event) bool) kevent.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		for i := range c.events {
			if pred(&c.events[i]) {
				ev := c.events[i]
				c.mu.Unlock()
				return ev
			}
		}
		n := len(c.events)
		c.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no %s event within 10 s (%d events collected)", what, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// none asserts that no collected event matches pred.
func (c *collector) none(t *testing.T, what string, pred func(*kevent.Event) bool) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.events {
		if pred(&c.events[i]) {
			t.Fatalf("unexpected %s event: %+v", what, c.events[i])
		}
	}
}

func cloneStr(s *kevent.Str) { s.B = bytes.Clone(s.B) }

func cloneEvent(ev *kevent.Event) kevent.Event {
	c := *ev
	for _, s := range []*kevent.Str{&c.Path, &c.PathBase, &c.Path2, &c.Path2Base, &c.Argv, &c.Env, &c.Cwd, &c.Cgroup,
		&c.SymlinkTarget, &c.Name, &c.MountSource, &c.MountFSType, &c.ModuleArgs, &c.Peer.Path, &c.Local.Path} {
		cloneStr(s)
	}
	return c
}

var (
	sharedOnce   sync.Once
	sharedTracer *Tracer
	sharedColl   *collector
	sharedCancel context.CancelFunc
	sharedErr    error
)

// shared returns a tracer of every event (started once for the package) and its collector.
func shared(t *testing.T) *collector {
	t.Helper()
	sharedOnce.Do(func() {
		var tr *Tracer
		tr, sharedErr = New(Options{})
		if sharedErr != nil {
			return
		}
		if sharedErr = tr.Start(); sharedErr != nil {
			return
		}
		sharedTracer = tr
		sharedColl = newCollector()
		var ctx context.Context
		ctx, sharedCancel = context.WithCancel(context.Background())
		go tr.Read(ctx, sharedColl.add)
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedColl
}

// start runs a dedicated tracer for the test.
func start(t *testing.T, opts Options) (*Tracer, *collector) {
	t.Helper()
	tr, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Start(); err != nil {
		t.Fatal(err)
	}
	c := newCollector()
	c.all = true
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tr.Read(ctx, c.add) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Read: %v", err)
		}
		if err := tr.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return tr, c
}

func str(s kevent.Str) string { return string(s.B) }

func pidIs(pid int) func(*kevent.Event) bool {
	return func(ev *kevent.Event) bool { return ev.PID == uint32(pid) }
}

func and(ps ...func(*kevent.Event) bool) func(*kevent.Event) bool {
	return func(ev *kevent.Event) bool {
		return !slices.ContainsFunc(ps, func(p func(*kevent.Event) bool) bool { return !p(ev) })
	}
}

func kindIs(k kevent.Kind) func(*kevent.Event) bool {
	return func(ev *kevent.Event) bool { return ev.Kind == k }
}

func pathIs(p string) func(*kevent.Event) bool {
	return func(ev *kevent.Event) bool { return string(ev.Path.B) == p }
}

func contextWithTimeout(ms int) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), time.Duration(ms)*time.Millisecond)
}
