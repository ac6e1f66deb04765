// Package record turns a decoded kernel event and its process's context into one
// OpenTelemetry log record following the event contract (internal/schema), and groups records
// into batches under one resource.
//
// The work is split in two so that records can be built on several goroutines: a Builder,
// owned by the goroutine that reads the kernel, prepares a Job (the event with its strings
// copied out of the ring buffer, plus the context of the process the caller's process table
// returned); Fillers, one per building goroutine, turn Jobs into log records: the common
// attributes here, the event's own from its description (package events).
package record // import "github.com/otelsec/otelsec/receiver/syscallreceiver/internal/record"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/events"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/procinfo"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/proctable"
)

// MaxAncestorDepth bounds process.ancestors.executable.name.
const MaxAncestorDepth = 8

// Options configure a Builder.
type Options struct {
	Table *proctable.Table
	Users *procinfo.Users
	// AncestorDepth bounds process.ancestors.executable.name (default and at most
	// MaxAncestorDepth).
	AncestorDepth int
}

// Builder prepares Jobs from kernel events. It is owned by one goroutine, together with the
// process table it reads.
type Builder struct {
	table *proctable.Table
	users *procinfo.Users
	depth int

	// One remembered name per role: a login session's records alternate two uids (root
	// through sudo, the login user), which one shared entry would miss on every record.
	euidName, loginName uidName

	// For Build, the single-goroutine path.
	job    Job
	filler Filler
}

// New returns a Builder.
func New(o Options) *Builder {
	if o.AncestorDepth <= 0 || o.AncestorDepth > MaxAncestorDepth {
		o.AncestorDepth = MaxAncestorDepth
	}
	return &Builder{table: o.Table, users: o.Users, depth: o.AncestorDepth}
}

// Build runs the whole step on the calling goroutine: the process table before the record,
// the record, the table after it.
func (b *Builder) Build(ev *kevent.Event, lr plog.LogRecord, observed pcommon.Timestamp) {
	p := b.table.Before(ev)
	b.Prepare(ev, p, &b.job, observed)
	b.table.After(ev)
	b.filler.Fill(&b.job, lr)
}

// Job is one event ready to become a record on any goroutine: the event, its strings owned by
// the Job, and the process context resolved when the event was read. A Job is reused: Prepare
// overwrites it.
type Job struct {
	Ev       kevent.Event
	Observed pcommon.Timestamp

	ExePath, ExeName string
	CmdLine          string
	CmdLineTruncated bool
	Cwd              string
	ContainerID      string
	UserName         string
	LoginName        string // the login uid's name
	StartBootNs      int64  // the process's start on the event clock; 0 when unknown

	HasParent              bool
	ParentExePath          string
	ParentExeName          string
	ParentCmdLine          string
	ParentCmdLineTruncated bool
	Ancestors              [MaxAncestorDepth]string
	NumAncestors           int
	ParentComm             string
	AncestorComms          [MaxAncestorDepth]string
	NumAncestorComms       int

	buf []byte // owns the event's strings
}

// Prepare fills job from ev and p, the process the record describes (what the process
// table's Before returned). ev is only read during the call.
func (b *Builder) Prepare(ev *kevent.Event, p *proctable.Process, job *Job, observed pcommon.Timestamp) {
	job.Ev = *ev
	job.buf = own(&job.Ev, job.buf)
	job.Observed = observed
	job.ExePath, job.ExeName = p.ExePath, p.ExeName
	job.CmdLine, job.CmdLineTruncated = p.CmdLine, p.CmdLineTruncated
	job.Cwd, job.ContainerID = p.Cwd, p.ContainerID
	job.StartBootNs = p.StartBootNs
	job.UserName = b.userName(&b.euidName, ev.EUID)
	job.LoginName = ""
	if ev.LoginUID != kevent.LoginUIDUnset {
		job.LoginName = b.userName(&b.loginName, ev.LoginUID)
	}
	parent, ancestors := b.table.Context(p, b.depth)
	job.NumAncestorComms = copy(job.AncestorComms[:], p.AncestorComms())
	job.ParentComm = ""
	if parent != nil && parent.CommDiffers() {
		job.ParentComm = parent.Comm
	}
	job.HasParent = parent != nil
	if parent != nil {
		job.ParentExePath, job.ParentExeName = parent.ExePath, parent.ExeName
		job.ParentCmdLine, job.ParentCmdLineTruncated = parent.CmdLine, parent.CmdLineTruncated
	} else {
		job.ParentExePath, job.ParentExeName, job.ParentCmdLine, job.ParentCmdLineTruncated = "", "", "", false
	}
	job.NumAncestors = copy(job.Ancestors[:], ancestors)
}

// uidName is the last uid whose name was found, and that name.
type uidName struct {
	uid  uint32
	name string
	ok   bool
}

// userName resolves uid, remembering the last answer in last: consecutive events mostly come
// from the same user.
func (b *Builder) userName(last *uidName, uid uint32) string {
	if b.users == nil {
		return ""
	}
	if uid == last.uid && last.ok {
		return last.name
	}
	name, ok := b.users.Name(uid)
	if ok {
		*last = uidName{uid: uid, name: name, ok: true}
	}
	return name
}

// Filler turns Jobs into log records. One per goroutine.
type Filler struct {
	attrs events.Attrs
}

// Fill fills lr from job.
func (f *Filler) Fill(job *Job, lr plog.LogRecord) {
	ev := &job.Ev
	spec := events.Of(ev.Kind) // nil only for a Job not made from a decoded record
	if spec != nil {
		lr.SetEventName(spec.Name)
	}
	lr.SetTimestamp(pcommon.Timestamp(ev.UnixNano))
	lr.SetObservedTimestamp(job.Observed)
	lr.SetSeverityNumber(plog.SeverityNumberInfo)
	lr.SetSeverityText("INFO")

	f.attrs.Put(lr.Attributes(), func(a *events.Attrs) { all(a, job, spec) })
}

// all puts every attribute of the record: who made the call, then what it did.
func all(a *events.Attrs, job *Job, spec *events.Spec) {
	process(a, job)
	if spec != nil {
		spec.Fill(a, &job.Ev)
	}
}

// Viewer takes a record that is viewed rather than built (ruleengine.View).
type Viewer interface {
	Begin(event string)
	events.Sink
}

// View gives v the event name and the attributes Fill would put into the record, from the
// same code; the strings are valid until the next View.
func (f *Filler) View(job *Job, v Viewer) {
	spec := events.Of(job.Ev.Kind)
	name := ""
	if spec != nil {
		name = spec.Name
	}
	v.Begin(name)
	f.attrs.View(v, func(a *events.Attrs) { all(a, job, spec) })
}

// process puts who made the call (events.Common).
func process(a *events.Attrs, job *Job) {
	ev := &job.Ev
	if name := ev.SyscallName(); name != "" {
		a.Str(schema.AttrSyscallName, name)
	}
	a.Int(schema.AttrSyscallReturn, ev.Ret)
	if e := ev.ErrorName(); e != "" {
		a.Str(schema.AttrErrorType, e)
	}
	a.Int(schema.AttrProcessPID, int64(ev.PID))
	a.Int(schema.AttrThreadID, int64(ev.TID))
	a.Int(schema.AttrProcessParentPID, int64(ev.PPID))
	if job.ExePath != "" {
		a.Str(schema.AttrProcessExecutablePath, job.ExePath)
		a.Str(schema.AttrProcessExecutableName, job.ExeName)
	}
	if job.CmdLine != "" {
		a.Str(schema.AttrProcessCommandLine, job.CmdLine)
		if job.CmdLineTruncated {
			a.Truncated(schema.AttrProcessCommandLine)
		}
	}
	if job.Cwd != "" {
		a.Str(schema.AttrProcessWorkingDirectory, job.Cwd)
	}
	a.Int(schema.AttrProcessUserID, int64(ev.EUID))
	a.Int(schema.AttrProcessRealUserID, int64(ev.UID))
	if job.UserName != "" {
		a.Str(schema.AttrProcessUserName, job.UserName)
	}
	a.Bool(schema.AttrProcessInteractive, ev.TTY)
	if job.StartBootNs > 0 {
		// procfs's start time is cut to 10 ms, so an event in a process's first 10 ms can
		// precede it: such a process is new, not of negative age.
		a.Int(schema.AttrProcessAge, max(int64(ev.BootNs)-job.StartBootNs, 0))
	}
	exeName := job.ExeName // as put above: only with a path
	if job.ExePath == "" {
		exeName = ""
	}
	events.Thread(a, ev, exeName, job.LoginName)
	if job.ContainerID != "" {
		a.Str(schema.AttrContainerID, job.ContainerID)
	}
	if job.HasParent {
		if job.ParentExePath != "" {
			a.Str(schema.AttrProcessParentExecutableName, job.ParentExeName)
			a.Str(schema.AttrProcessParentExecutablePath, job.ParentExePath)
		}
		if job.ParentCmdLine != "" {
			a.Str(schema.AttrProcessParentCommandLine, job.ParentCmdLine)
			if job.ParentCmdLineTruncated {
				a.Truncated(schema.AttrProcessParentCommandLine)
			}
		}
	}
	if job.NumAncestors > 0 {
		a.List(schema.AttrProcessAncestorsExecName)
		for _, n := range job.Ancestors[:job.NumAncestors] {
			a.Elem(n)
		}
	}
	if job.ParentComm != "" {
		a.Str(schema.AttrProcessParentLinuxComm, job.ParentComm)
	}
	if job.NumAncestorComms > 0 {
		a.List(schema.AttrProcessAncestorsLinuxComm)
		for _, n := range job.AncestorComms[:job.NumAncestorComms] {
			a.Elem(n)
		}
	}
}
