//go:build linux

package proctable

import (
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

func bootNs(t *testing.T) int64 {
	t.Helper()
	var ts unix.Timespec
	require.NoError(t, unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts))
	return ts.Nano()
}

// A process the table first meets in procfs starts when procfs says, on the kernel's event
// clock (CLOCK_BOOTTIME): between the boot times read around its start, less procfs's 10 ms.
func TestStartFromProcfs(t *testing.T) {
	before := bootNs(t)
	cmd := exec.Command("/bin/sleep", "60")
	require.NoError(t, cmd.Start())
	after := bootNs(t)
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	tb := newTable(16)
	p := tb.Lookup(uint32(cmd.Process.Pid), 0)
	require.True(t, p.Known)
	assert.GreaterOrEqual(t, p.StartBootNs, before-10_000_000)
	assert.LessOrEqual(t, p.StartBootNs, after)
}

// A forked child starts at its fork event, not at its parent's start; an exec keeps it.
func TestStartFromFork(t *testing.T) {
	tb := newTable(16)
	tb.Before(&kevent.Event{Kind: kevent.KindProcessExec, PID: 100, TID: 100, PPID: 1, BootNs: 500})
	parent := tb.Get(100)
	parent.StartBootNs = 400
	fork := &kevent.Event{Kind: kevent.KindProcessFork, PID: 100, TID: 100, PPID: 1, ChildPID: 101, BootNs: 1000}
	tb.Before(fork)
	tb.After(fork)
	assert.Equal(t, int64(1000), tb.Get(101).StartBootNs)
	assert.Equal(t, int64(400), tb.Get(100).StartBootNs)

	tb.Before(&kevent.Event{Kind: kevent.KindProcessExec, PID: 101, TID: 101, PPID: 100, BootNs: 2000})
	assert.Equal(t, int64(1000), tb.Get(101).StartBootNs, "an exec does not restart the process")

	// Fork without its event (a child met through a record): its start is not the parent's.
	assert.Zero(t, tb.Fork(100, 102).StartBootNs)
}

// A process first met at its exec (its fork unseen) starts when procfs says.
func TestStartAtExecFromProcfs(t *testing.T) {
	before := bootNs(t)
	cmd := exec.Command("/bin/sleep", "60")
	require.NoError(t, cmd.Start())
	after := bootNs(t)
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	tb := New(Options{Capacity: 4})
	p := tb.Exec(uint32(cmd.Process.Pid), ExecInfo{PPID: 1, ExePath: "/bin/sleep"})
	assert.GreaterOrEqual(t, p.StartBootNs, before-10_000_000)
	assert.LessOrEqual(t, p.StartBootNs, after)
}
