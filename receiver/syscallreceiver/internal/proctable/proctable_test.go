package proctable

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/procinfo"
)

func newTable(capacity int) *Table {
	return New(Options{Capacity: capacity, Limits: procinfo.Limits{MaxArgs: 16, MaxArgBytes: 128}, ExitGraceNs: 1000})
}

func TestLRUBoundAndEvictions(t *testing.T) {
	tb := newTable(3)
	for pid := uint32(10); pid < 13; pid++ {
		tb.Exec(pid, ExecInfo{PPID: 1, ExePath: "/bin/p"})
	}
	assert.Equal(t, 3, tb.Len())
	assert.Equal(t, uint64(0), tb.Evictions())

	require.NotNil(t, tb.Get(10)) // 10 is now the most recently used; 11 the least
	tb.Exec(13, ExecInfo{PPID: 1, ExePath: "/bin/q"})
	assert.Equal(t, 3, tb.Len())
	assert.Equal(t, uint64(1), tb.Evictions())
	assert.Nil(t, tb.Get(11), "least recently used is evicted")
	assert.NotNil(t, tb.Get(10))
	assert.NotNil(t, tb.Get(12))
	assert.NotNil(t, tb.Get(13))

	// Exited processes pushed out are not counted as evictions of live ones.
	tb.Exit(10, 5)
	tb.Get(12)
	tb.Get(13)
	tb.Exec(14, ExecInfo{PPID: 1, ExePath: "/bin/r"})
	assert.Nil(t, tb.Get(10))
	assert.Equal(t, uint64(1), tb.Evictions())

	// Many inserts keep the bound.
	for pid := uint32(100); pid < 1100; pid++ {
		tb.Fork(13, pid)
	}
	assert.Equal(t, 3, tb.Len())
	assert.Equal(t, uint64(1+1000), tb.Evictions())
	assert.Len(t, tb.idx, 3)
}

func TestForkExecExit(t *testing.T) {
	tb := newTable(16)
	tb.Exec(100, ExecInfo{PPID: 1, ExePath: "/usr/bin/bash", CmdLine: "bash -i", Cwd: "/root", Interactive: true, ContainerID: "abc"})
	c := tb.Fork(100, 101)
	assert.Equal(t, uint32(101), c.PID)
	assert.Equal(t, uint32(100), c.PPID)
	assert.Equal(t, "/usr/bin/bash", c.ExePath)
	assert.Equal(t, "bash", c.ExeName)
	assert.Equal(t, "bash -i", c.CmdLine)
	assert.Equal(t, "/root", c.Cwd)
	assert.Equal(t, "abc", c.ContainerID)
	assert.True(t, c.Interactive)
	assert.True(t, c.Known)

	tb.Exec(101, ExecInfo{PPID: 100, ExePath: "/usr/bin/curl", CmdLine: "curl http://x", Interactive: true})
	c = tb.Get(101)
	assert.Equal(t, "curl", c.ExeName)
	assert.Equal(t, "curl http://x", c.CmdLine)
	assert.Equal(t, "/root", c.Cwd, "exec without a cwd keeps the known one")
	assert.Equal(t, "abc", c.ContainerID)

	var names []string
	tb.Ancestors(101, 8, func(p *Process) { names = append(names, p.ExeName) })
	assert.Equal(t, []string{"curl", "bash"}, names)

	// The parent exits: still resolvable within the grace period, gone after.
	tb.Exit(100, 1_000_000)
	assert.NotNil(t, tb.Get(100))
	tb.Sweep(1_000_500)
	assert.NotNil(t, tb.Get(100))
	tb.Sweep(1_001_000)
	assert.Nil(t, tb.Get(100))
	assert.Equal(t, 1, tb.Len())
	assert.Empty(t, tb.dead)

	// A pid re-used before the sweep is not removed by it.
	tb.Exit(101, 2_000_000)
	tb.Fork(1, 101)
	tb.Sweep(9_000_000)
	assert.NotNil(t, tb.Get(101))
	assert.Equal(t, uint64(0), tb.Evictions())
}

func TestAncestorsBounded(t *testing.T) {
	tb := newTable(64)
	// A cycle (impossible in the kernel, possible with stale entries) stays bounded.
	tb.Exec(2, ExecInfo{PPID: 3, ExePath: "/a"})
	tb.Exec(3, ExecInfo{PPID: 2, ExePath: "/b"})
	n := 0
	tb.Ancestors(2, 8, func(*Process) { n++ })
	assert.Equal(t, 8, n)
	// Chain of 20: depth 8.
	for pid := uint32(10); pid < 30; pid++ {
		tb.Exec(pid, ExecInfo{PPID: pid - 1, ExePath: "/x"})
	}
	n = 0
	tb.Ancestors(29, 8, func(*Process) { n++ })
	assert.Equal(t, 8, n)
	// Missing link stops.
	n = 0
	tb.Ancestors(10, 8, func(*Process) { n++ })
	assert.Equal(t, 1, n)
}

func TestGetDoesNotAllocate(t *testing.T) {
	tb := newTable(1024)
	for pid := uint32(1); pid < 1000; pid++ {
		tb.Exec(pid, ExecInfo{PPID: pid - 1, ExePath: "/bin/x"})
	}
	pid := uint32(1)
	allocs := testing.AllocsPerRun(1000, func() {
		_ = tb.Get(pid%999 + 1)
		pid += 7
		tb.Ancestors(500, 8, func(p *Process) { _ = p.ExeName })
	})
	assert.Equal(t, 0.0, allocs)
}

func TestSeedFromProc(t *testing.T) {
	cmd := exec.Command("/bin/sleep", "30", "1")
	cmd.Dir = "/tmp"
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	// Wait until the child runs sleep (not yet the forked test binary).
	sleepPath, _ := filepath.EvalSymlinks("/bin/sleep")
	require.Eventually(t, func() bool {
		exe, err := os.Readlink("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/exe")
		return err == nil && exe == sleepPath
	}, 5*time.Second, 10*time.Millisecond)

	tb := New(Options{Capacity: 1 << 16, Limits: procinfo.Limits{MaxArgs: 16, MaxArgBytes: 128}})
	n, err := tb.Seed()
	require.NoError(t, err)
	assert.Greater(t, n, 1)
	assert.Equal(t, n, tb.Len())

	p := tb.Get(uint32(cmd.Process.Pid))
	require.NotNil(t, p)
	assert.Equal(t, sleepPath, p.ExePath)
	assert.Equal(t, filepath.Base(sleepPath), p.ExeName)
	assert.Equal(t, "/bin/sleep 30 1", p.CmdLine)
	assert.Equal(t, "/tmp", p.Cwd)
	assert.Equal(t, uint32(os.Getpid()), p.PPID)
	assert.True(t, p.Known)

	// A kernel thread has no executable; its command name stands for it.
	if k := tb.Get(2); k != nil {
		assert.Empty(t, k.ExePath)
		assert.Equal(t, "kthreadd", k.ExeName)
	}

	self, _ := os.Executable()
	var names []string
	tb.Ancestors(p.PPID, 8, func(a *Process) { names = append(names, a.ExePath) })
	require.NotEmpty(t, names)
	assert.Equal(t, self, names[0])

	// Lookup of an unknown pid reads procfs once, then keeps a placeholder.
	tb2 := newTable(8)
	q := tb2.Lookup(uint32(cmd.Process.Pid), 0)
	assert.Equal(t, sleepPath, q.ExePath)
	gone := tb2.Lookup(1<<30, 0)
	assert.False(t, gone.Known)
	assert.Equal(t, 0.0, testing.AllocsPerRun(100, func() { _ = tb2.Lookup(1<<30, 0) }))

	// Gone from procfs, parent known: it runs its parent's image (a fork we did not see).
	c := tb2.Lookup(1<<30+1, uint32(cmd.Process.Pid))
	assert.True(t, c.Known)
	assert.Equal(t, sleepPath, c.ExePath)
	assert.Equal(t, uint32(cmd.Process.Pid), c.PPID)
}

func TestSeedBoundedByCapacity(t *testing.T) {
	tb := New(Options{Capacity: 4})
	n, err := tb.Seed()
	require.NoError(t, err)
	assert.Greater(t, n, 4)
	assert.Equal(t, 4, tb.Len())
	assert.Equal(t, uint64(n-4), tb.Evictions())
}

func BenchmarkGetHit(b *testing.B) {
	tb := newTable(32768)
	for pid := uint32(1); pid <= 32768; pid++ {
		tb.Exec(pid, ExecInfo{PPID: pid / 2, ExePath: "/bin/x"})
	}
	b.ReportAllocs()
	pid := uint32(0)
	for b.Loop() {
		pid = pid*1103515245 + 12345
		p := tb.Get(pid%32768 + 1)
		tb.Ancestors(p.PPID, 8, func(a *Process) { _ = a.ExeName })
	}
}

func TestContextCache(t *testing.T) {
	tb := newTable(16)
	tb.Exec(1, ExecInfo{ExePath: "/sbin/init"})
	tb.Exec(10, ExecInfo{PPID: 1, ExePath: "/bin/bash"})
	tb.Exec(20, ExecInfo{PPID: 10, ExePath: "/usr/bin/python3"})
	p := tb.Get(20)
	parent, names := tb.Context(p, 8)
	assert.Equal(t, "bash", parent.ExeName)
	assert.Equal(t, []string{"bash", "init"}, names)
	assert.Equal(t, 0.0, testing.AllocsPerRun(100, func() { tb.Context(tb.Get(20), 8) }), "cached")

	// The parent execs: the cache follows.
	tb.Exec(10, ExecInfo{PPID: 1, ExePath: "/usr/bin/make"})
	parent, names = tb.Context(tb.Get(20), 8)
	assert.Equal(t, "make", parent.ExeName)
	assert.Equal(t, []string{"make", "init"}, names)

	// A forked child gets its own ancestry, and the parent's cache is untouched.
	tb.Fork(20, 30)
	_, childNames := tb.Context(tb.Get(30), 8)
	assert.Equal(t, []string{"python3", "make", "init"}, childNames)
	_, names = tb.Context(tb.Get(20), 8)
	assert.Equal(t, []string{"make", "init"}, names)

	// Re-parenting (the parent died).
	p = tb.Get(20)
	tb.SetParent(p, 1)
	parent, names = tb.Context(p, 8)
	assert.Equal(t, "init", parent.ExeName)
	assert.Equal(t, []string{"init"}, names)

	// Unknown parent.
	tb.Exec(40, ExecInfo{PPID: 999, ExePath: "/x"})
	parent, names = tb.Context(tb.Get(40), 8)
	assert.Nil(t, parent)
	assert.Empty(t, names)
}

func TestLookupZombieTakesParentImage(t *testing.T) {
	cmd := exec.Command("/bin/true")
	require.NoError(t, cmd.Start())
	pid := cmd.Process.Pid
	t.Cleanup(func() { _ = cmd.Wait() })
	// Not reaped yet: a zombie, with a stat file but no executable.
	require.Eventually(t, func() bool {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		return err == nil && strings.Contains(string(b), ") Z ")
	}, 5*time.Second, 5*time.Millisecond)

	tb := New(Options{Capacity: 16})
	self := uint32(os.Getpid())
	require.NotNil(t, tb.Lookup(self, uint32(os.Getppid())))
	p := tb.Lookup(uint32(pid), self)
	exe, _ := os.Executable()
	assert.Equal(t, exe, p.ExePath, "a process we cannot read runs its parent's image")
	assert.True(t, p.Known)
}

// A successful chdir moves the working directory before its record is built; a failed one
// leaves it; the children forked after it start there.
func TestChdirMovesCwd(t *testing.T) {
	tb := newTable(16)
	tb.Exec(100, ExecInfo{PPID: 1, ExePath: "/usr/bin/bash", Cwd: "/tmp"})
	ev := &kevent.Event{Kind: kevent.KindProcessChdir, PID: 100, PPID: 1, Path: kevent.Str{B: []byte("/etc")}}
	assert.Equal(t, "/etc", tb.Before(ev).Cwd)
	failed := &kevent.Event{Kind: kevent.KindProcessChdir, PID: 100, PPID: 1, Ret: -2, Path: kevent.Str{B: []byte("/missing")}}
	assert.Equal(t, "/etc", tb.Before(failed).Cwd)
	assert.Equal(t, "/etc", tb.Fork(100, 101).Cwd)
}

// LineageChanges counts what changes a process's Context without an exec or exit under
// children: an ancestor swept while the table holds a child of it, a parent link changing
// under a process that is an ancestor. Sweeping an ancestor whose children are gone, or a
// process that is nobody's ancestor, changes no lineage.
func TestLineageChanges(t *testing.T) {
	tb := newTable(16)
	tb.Exec(100, ExecInfo{ExePath: "/usr/bin/make", PPID: 1})
	tb.Fork(100, 101)
	tb.Exec(101, ExecInfo{ExePath: "/usr/bin/gcc", PPID: 100})
	tb.Fork(101, 102)
	tb.Exec(102, ExecInfo{ExePath: "/usr/lib/cc1", PPID: 101})
	_, names := tb.Context(tb.Get(102), 4)
	require.Equal(t, []string{"gcc", "make"}, names)
	n := tb.LineageChanges()

	// cc1 exits and is swept, then gcc: nobody's lineage ran through cc1, and gcc's only
	// child is gone by then.
	tb.Exit(102, 10)
	tb.Sweep(2000)
	tb.Exit(101, 3000)
	tb.Sweep(5000)
	assert.Equal(t, n, tb.LineageChanges(), "sweeping processes without children changed a lineage")

	// make's child outlives it: sweeping make changes the child's ancestors.
	tb.Fork(100, 103)
	tb.Context(tb.Get(103), 4)
	tb.Exit(100, 6000)
	tb.Sweep(8000)
	assert.Equal(t, n+1, tb.LineageChanges(), "an ancestor swept under its child")
	_, names = tb.Context(tb.Get(103), 4)
	assert.Empty(t, names)

	// A parent link changing under a process that is an ancestor.
	tb.Fork(103, 104)
	tb.Context(tb.Get(104), 4)
	tb.SetParent(tb.Get(103), 1)
	assert.Equal(t, n+2, tb.LineageChanges(), "a parent link changed under an ancestor")
	tb.SetParent(tb.Get(104), 1)
	assert.Equal(t, n+2, tb.LineageChanges(), "104 is nobody's ancestor")
}
