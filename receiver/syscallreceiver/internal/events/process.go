package events

import (
	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

var processSpecs = []Spec{
	{
		Kind: kevent.KindProcessExec, Name: schema.EventProcessExec,
		Priority: true,
		Hooks:    append([]string{tpBTF("sched_process_exec")}, sysExit("execve", "execveat")...),
		Note:     "successful: the scheduler hook; failed: the syscall's exit",
		Attrs: []string{schema.AttrProcessCommandArgs, schema.AttrProcessArgsCount, schema.AttrFilePath,
			schema.AttrProcessEnvironment, schema.AttrProcessVPID, schema.AttrProcessExecutableUpperLayer, schema.AttrProcessExecutableFromMemfd},
		decode: func(ev *kevent.Event, r *kevent.Raw) {
			ev.Path = r.Slots[kevent.SlotPath]
			if ev.Ret == 0 {
				ev.Cwd = r.Slots[kevent.SlotPathBase]
				ev.Env = r.Slots[kevent.SlotPath2Base]
				ev.VPID = uint32(r.A[2])
				ev.ExeUpperLayer = r.HFlags&kevent.HFlagExeUpper != 0
				ev.ExeFromMemfd = r.HFlags&kevent.HFlagExeMemfd != 0
			} else {
				ev.PathBase = r.Slots[kevent.SlotPathBase]
			}
			ev.Path2 = r.Slots[kevent.SlotPath2]
			ev.Argv = r.Slots[kevent.SlotX]
			ev.Cgroup = r.Slots[kevent.SlotY]
			ev.ArgCount = uint32(r.A[0])
			ev.DirFD = int32(r.A[1])
		},
		fill: func(a *Attrs, ev *kevent.Event) {
			a.List(schema.AttrProcessCommandArgs)
			n := kevent.Args(ev.Argv.B, 0, func(b []byte) { a.Elem(a.String(b)) })
			a.Int(schema.AttrProcessArgsCount, int64(max(int(ev.ArgCount), n)))
			if ev.Argv.Truncated {
				a.Truncated(schema.AttrProcessCommandArgs)
			}
			if ev.Ret < 0 {
				a.Path(schema.AttrFilePath, ev.Path, ev.PathBase)
				return
			}
			if len(ev.Env.B) > 0 {
				a.List(schema.AttrProcessEnvironment)
				kevent.Args(ev.Env.B, 0, func(b []byte) { a.Elem(a.String(b)) })
				if ev.Env.Truncated {
					a.Truncated(schema.AttrProcessEnvironment)
				}
			}
			a.Int(schema.AttrProcessVPID, int64(ev.VPID))
			a.Bool(schema.AttrProcessExecutableUpperLayer, ev.ExeUpperLayer)
			a.Bool(schema.AttrProcessExecutableFromMemfd, ev.ExeFromMemfd)
		},
	},
	{
		Kind: kevent.KindProcessFork, Name: schema.EventProcessFork,
		Priority: true,
		Hooks:    []string{tpBTF("sched_process_fork")},
		Note:     "fork, vfork, clone, clone3 creating a new process (threads are not reported)",
		Attrs:    []string{schema.AttrProcessChildPID, schema.AttrProcessVPID},
		decode: func(ev *kevent.Event, r *kevent.Raw) {
			ev.ChildPID = uint32(r.A[0])
			ev.VPID = uint32(r.A[1])
		},
		fill: func(a *Attrs, ev *kevent.Event) {
			a.Int(schema.AttrProcessChildPID, int64(ev.ChildPID))
			a.Int(schema.AttrProcessVPID, int64(ev.VPID))
		},
	},
	{
		Kind: kevent.KindProcessExit, Name: schema.EventProcessExit,
		Priority: true,
		Hooks:    []string{tpBTF("sched_process_exit")},
		Note:     "when the last thread of the process exits",
		Attrs:    []string{schema.AttrProcessExitCode},
		decode: func(ev *kevent.Event, r *kevent.Raw) {
			ev.ExitStatus = uint32(r.A[0])
		},
		fill: func(a *Attrs, ev *kevent.Event) {
			code, _ := ev.ExitCode()
			a.Int(schema.AttrProcessExitCode, int64(code))
		},
	},
	{
		Kind: kevent.KindProcessPtrace, Name: schema.EventProcessPtrace,
		Priority: true,
		Hooks:    sysExit("ptrace"),
		Attrs:    []string{schema.AttrPtraceRequest, schema.AttrPtraceTargetPID, schema.AttrPtraceAddress},
		decode: func(ev *kevent.Event, r *kevent.Raw) {
			ev.PtraceRequest = int64(r.A[0])
			ev.TargetPID = int32(r.A[1])
			ev.PtraceAddr = r.A[2]
		},
		fill: func(a *Attrs, ev *kevent.Event) {
			a.Str(schema.AttrPtraceRequest, kevent.PtraceRequestName(ev.PtraceRequest))
			a.Int(schema.AttrPtraceTargetPID, int64(ev.TargetPID))
			a.Int(schema.AttrPtraceAddress, int64(ev.PtraceAddr))
		},
	},
	{
		Kind: kevent.KindProcessChdir, Name: schema.EventProcessChdir,
		Priority: true,
		Hooks:    sysExit("chdir", "fchdir"),
		Note:     "the process's working directory follows it (process.working_directory)",
		Attrs:    []string{schema.AttrFilePath},
		decode: func(ev *kevent.Event, r *kevent.Raw) {
			ev.SetPath(r)
			ev.FD = int32(r.A[0])
		},
		fill: func(a *Attrs, ev *kevent.Event) {
			a.Path(schema.AttrFilePath, ev.Path, ev.PathBase)
		},
	},
}
