package proctable

import (
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/procinfo"

	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/validutf8"
)

// Follows reports whether the table follows processes by events of kind k (Before and After
// read them): a receiver must capture these whatever else it leaves out.
func Follows(k kevent.Kind) bool {
	switch k {
	case kevent.KindProcessExec, kevent.KindProcessChdir, kevent.KindProcessFork, kevent.KindProcessExit:
		return true
	}
	return false
}

// Before applies what ev changes before its record is built, and returns the process the
// record describes: a successful exec replaces the image first (its record describes the new
// one), a successful chdir moves the working directory first; any other event looks up its
// caller and notes its current parent.
func (t *Table) Before(ev *kevent.Event) *Process {
	if int64(ev.BootNs) > t.now {
		t.now = int64(ev.BootNs)
	}
	if ev.Kind == kevent.KindProcessExec && ev.Ret >= 0 {
		p := t.exec(ev)
		t.SetComm(p, ev.CommBytes())
		return p
	}
	p := t.Lookup(ev.PID, ev.PPID)
	t.SetParent(p, ev.PPID)
	if ev.TID == ev.PID {
		t.SetComm(p, ev.CommBytes()) // prctl(PR_SET_NAME) renames without an event of its own
	}
	if ev.Kind == kevent.KindProcessChdir && ev.Ret == 0 && !ev.Path.Empty() {
		p.Cwd = ev.Path.String() // absolute, as the kernel walked it
	}
	return p
}

// After applies what ev changes once its record is built (the record still describes the
// caller): a fork adds the child, an exit starts the process's grace period.
func (t *Table) After(ev *kevent.Event) {
	switch ev.Kind {
	case kevent.KindProcessFork:
		if ev.ChildPID != 0 {
			// the child's comm is that of the thread that forked it
			c := t.Fork(ev.PID, ev.ChildPID)
			t.SetComm(c, ev.CommBytes())
			// The fork's time is the child's start, within the fork's own duration.
			c.StartBootNs = int64(ev.BootNs)
		}
	case kevent.KindProcessExit:
		t.Exit(ev.PID, int64(ev.BootNs))
	}
}

// Now is the table's clock: the BootNs of the latest event seen. Pass it to Sweep.
func (t *Table) Now() int64 { return t.now }

func (t *Table) exec(ev *kevent.Event) *Process {
	var exe string
	if !ev.Path.Empty() {
		exe, t.pathBuf = kevent.ResolvePath(t.pathBuf, ev.Path.B, ev.PathBase.B)
	}
	return t.Exec(ev.PID, ExecInfo{
		PPID:             ev.PPID,
		ExePath:          exe,
		CmdLine:          t.joinArgs(ev.Argv.B),
		CmdLineTruncated: ev.Argv.Truncated,
		Cwd:              ev.Cwd.String(),
		ContainerID:      procinfo.ContainerIDFromCgroupPath(string(ev.Cgroup.B)),
		Interactive:      ev.TTY,
	})
}

// joinArgs turns a NUL-separated argv into one space-separated, valid UTF-8 string.
func (t *Table) joinArgs(argv []byte) string {
	for len(argv) > 0 && argv[len(argv)-1] == 0 {
		argv = argv[:len(argv)-1]
	}
	t.scratch = append(t.scratch[:0], argv...)
	for i, c := range t.scratch {
		if c == 0 {
			t.scratch[i] = ' '
		}
	}
	return validutf8.FromBytes(t.scratch)
}
