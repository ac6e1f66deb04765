// Package record turns a decoded kernel event and the process table's context into one
// OpenTelemetry log record following the event contract (internal/schema), and groups records
// into batches under one resource.
//
// The work is split in two so that records can be built on several goroutines: a Builder,
// owned by the goroutine that reads the kernel, keeps the process table current and prepares
// a Job (the event with its strings copied out of the ring buffer, plus the process context);
// Fillers, one per building goroutine, turn Jobs into log records. The Builder applies fork,
// exec and exit to the table in the order that matters: an exec's record already describes the
// new image, a fork's record still describes the caller.
package record // import "github.com/otelsec/otelsec/receiver/syscallreceiver/internal/record"

import (
	"bytes"
	"math/bits"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/schema"
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

// Builder prepares Jobs from kernel events. It is owned by one goroutine, together with its
// process table.
type Builder struct {
	table    *proctable.Table
	users    *procinfo.Users
	depth    int
	scratch  []byte
	pathBuf  []byte
	lastTime uint64 // latest event BootNs, the process table's clock

	lastUID   uint32
	lastUser  string
	lastUIDOK bool

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

// Now is the process table's clock: the BootNs of the latest event seen. Pass it to
// proctable.Table.Sweep.
func (b *Builder) Now() int64 { return int64(b.lastTime) }

// Build prepares and fills in one step, on the calling goroutine.
func (b *Builder) Build(ev *kevent.Event, lr plog.LogRecord, observed pcommon.Timestamp) {
	b.Prepare(ev, &b.job, observed)
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

	HasParent              bool
	ParentExePath          string
	ParentExeName          string
	ParentCmdLine          string
	ParentCmdLineTruncated bool
	Ancestors              [MaxAncestorDepth]string
	NumAncestors           int

	buf []byte // owns the event's strings
}

// Prepare updates the process table with what ev changes and fills job: first for an exec
// (the record describes the new image), after for a fork or exit (the record describes the
// caller, or the process that exits). ev is only read during the call.
func (b *Builder) Prepare(ev *kevent.Event, job *Job, observed pcommon.Timestamp) {
	if ev.BootNs > b.lastTime {
		b.lastTime = ev.BootNs
	}
	var p *proctable.Process
	if ev.Kind == kevent.KindProcessExec && ev.Ret >= 0 {
		p = b.exec(ev)
	} else {
		p = b.table.Lookup(ev.PID, ev.PPID)
		b.table.SetParent(p, ev.PPID)
	}

	job.Ev = *ev
	job.buf = own(&job.Ev, job.buf)
	job.Observed = observed
	job.ExePath, job.ExeName = p.ExePath, p.ExeName
	job.CmdLine, job.CmdLineTruncated = p.CmdLine, p.CmdLineTruncated
	job.Cwd, job.ContainerID = p.Cwd, p.ContainerID
	job.UserName = b.userName(ev.EUID)
	parent, ancestors := b.table.Context(p, b.depth)
	job.HasParent = parent != nil
	if parent != nil {
		job.ParentExePath, job.ParentExeName = parent.ExePath, parent.ExeName
		job.ParentCmdLine, job.ParentCmdLineTruncated = parent.CmdLine, parent.CmdLineTruncated
	} else {
		job.ParentExePath, job.ParentExeName, job.ParentCmdLine, job.ParentCmdLineTruncated = "", "", "", false
	}
	job.NumAncestors = copy(job.Ancestors[:], ancestors)

	switch ev.Kind {
	case kevent.KindProcessFork:
		if ev.ChildPID != 0 {
			b.table.Fork(ev.PID, ev.ChildPID)
		}
	case kevent.KindProcessExit:
		b.table.Exit(ev.PID, int64(ev.BootNs))
	}
}

func (b *Builder) exec(ev *kevent.Event) *proctable.Process {
	cmd := b.joinArgs(ev.Argv.B)
	var exe string
	if !ev.Path.Empty() {
		exe, b.pathBuf = resolvePath(b.pathBuf, ev.Path.B, ev.PathBase.B)
	}
	return b.table.Exec(ev.PID, proctable.ExecInfo{
		PPID:             ev.PPID,
		ExePath:          exe,
		CmdLine:          cmd,
		CmdLineTruncated: ev.Argv.Truncated,
		Cwd:              ev.Cwd.String(),
		ContainerID:      procinfo.ContainerIDFromCgroupPath(string(ev.Cgroup.B)),
		Interactive:      ev.TTY,
	})
}

// joinArgs turns a NUL-separated argv into one space-separated, valid UTF-8 string.
func (b *Builder) joinArgs(argv []byte) string {
	for len(argv) > 0 && argv[len(argv)-1] == 0 {
		argv = argv[:len(argv)-1]
	}
	b.scratch = append(b.scratch[:0], argv...)
	for i, c := range b.scratch {
		if c == 0 {
			b.scratch[i] = ' '
		}
	}
	return kevent.SanitizeUTF8(b.scratch)
}

// userName resolves uid, remembering the last answer: consecutive events mostly come from
// the same user.
func (b *Builder) userName(uid uint32) string {
	if b.users == nil {
		return ""
	}
	if uid == b.lastUID && b.lastUIDOK {
		return b.lastUser
	}
	name, ok := b.users.Name(uid)
	if ok {
		b.lastUID, b.lastUser, b.lastUIDOK = uid, name, true
	}
	return name
}

// Filler turns Jobs into log records. One per goroutine.
type Filler struct {
	strs    arena    // the strings that are the event's own (paths, addresses, arguments)
	trunc   []string // names of attributes cut in the record being built
	scratch []byte
	pathBuf []byte
	modes   *[0o10000]string // file.mode strings, made once each
}

// Fill fills lr from job.
func (f *Filler) Fill(job *Job, lr plog.LogRecord) {
	ev := &job.Ev
	f.trunc = f.trunc[:0]
	lr.SetEventName(ev.Kind.EventName())
	lr.SetTimestamp(pcommon.Timestamp(ev.UnixNano))
	lr.SetObservedTimestamp(job.Observed)
	lr.SetSeverityNumber(plog.SeverityNumberInfo)
	lr.SetSeverityText("INFO")

	attrs := lr.Attributes()
	attrs.EnsureCapacity(attrCount(job))
	f.process(job, attrs)
	f.event(ev, attrs)
	if len(f.trunc) > 0 {
		s := attrs.PutEmptySlice(schema.AttrTruncated)
		s.EnsureCapacity(len(f.trunc))
		for _, n := range f.trunc {
			s.AppendEmpty().SetStr(n)
		}
	}
}

// process puts who made the call.
func (f *Filler) process(job *Job, attrs pcommon.Map) {
	ev := &job.Ev
	if name := ev.SyscallName(); name != "" {
		attrs.PutStr(schema.AttrSyscallName, name)
	}
	attrs.PutInt(schema.AttrSyscallReturn, ev.Ret)
	if e := ev.ErrorName(); e != "" {
		attrs.PutStr(schema.AttrErrorType, e)
	}
	attrs.PutInt(schema.AttrProcessPID, int64(ev.PID))
	attrs.PutInt(schema.AttrThreadID, int64(ev.TID))
	attrs.PutInt(schema.AttrProcessParentPID, int64(ev.PPID))
	if job.ExePath != "" {
		attrs.PutStr(schema.AttrProcessExecutablePath, job.ExePath)
		attrs.PutStr(schema.AttrProcessExecutableName, job.ExeName)
	}
	if job.CmdLine != "" {
		attrs.PutStr(schema.AttrProcessCommandLine, job.CmdLine)
		if job.CmdLineTruncated {
			f.trunc = append(f.trunc, schema.AttrProcessCommandLine)
		}
	}
	if job.Cwd != "" {
		attrs.PutStr(schema.AttrProcessWorkingDirectory, job.Cwd)
	}
	attrs.PutInt(schema.AttrProcessUserID, int64(ev.EUID))
	attrs.PutInt(schema.AttrProcessRealUserID, int64(ev.UID))
	if job.UserName != "" {
		attrs.PutStr(schema.AttrProcessUserName, job.UserName)
	}
	attrs.PutBool(schema.AttrProcessInteractive, ev.TTY)
	if job.ContainerID != "" {
		attrs.PutStr(schema.AttrContainerID, job.ContainerID)
	}
	if job.HasParent {
		if job.ParentExePath != "" {
			attrs.PutStr(schema.AttrProcessParentExecutableName, job.ParentExeName)
			attrs.PutStr(schema.AttrProcessParentExecutablePath, job.ParentExePath)
		}
		if job.ParentCmdLine != "" {
			attrs.PutStr(schema.AttrProcessParentCommandLine, job.ParentCmdLine)
			if job.ParentCmdLineTruncated {
				f.trunc = append(f.trunc, schema.AttrProcessParentCommandLine)
			}
		}
	}
	if job.NumAncestors > 0 {
		anc := attrs.PutEmptySlice(schema.AttrProcessAncestorsExecName)
		anc.EnsureCapacity(job.NumAncestors)
		for _, n := range job.Ancestors[:job.NumAncestors] {
			anc.AppendEmpty().SetStr(n)
		}
	}
}

// mode formats permission bits once per distinct value.
func (f *Filler) mode(m uint32) string {
	if f.modes == nil {
		f.modes = new([0o10000]string)
	}
	m &= 0o7777
	if f.modes[m] == "" {
		f.modes[m] = kevent.Mode(m)
	}
	return f.modes[m]
}

// event puts what the call did.
func (f *Filler) event(ev *kevent.Event, attrs pcommon.Map) {
	switch ev.Kind {
	case kevent.KindProcessExec:
		f.execArgs(ev, attrs)
		if ev.Ret < 0 {
			f.path(attrs, schema.AttrFilePath, ev.Path, ev.PathBase)
		}
	case kevent.KindProcessFork:
		attrs.PutInt(schema.AttrProcessChildPID, int64(ev.ChildPID))
	case kevent.KindProcessExit:
		code, _ := ev.ExitCode()
		attrs.PutInt(schema.AttrProcessExitCode, int64(code))
	case kevent.KindProcessPtrace:
		attrs.PutStr(schema.AttrPtraceRequest, kevent.PtraceRequestName(ev.PtraceRequest))
		attrs.PutInt(schema.AttrPtraceTargetPID, int64(ev.TargetPID))

	case kevent.KindFileOpen:
		f.path(attrs, schema.AttrFilePath, ev.Path, ev.PathBase)
		flags := attrs.PutEmptySlice(schema.AttrFileFlags)
		flags.EnsureCapacity(4)
		flags.AppendEmpty().SetStr(kevent.OpenAccMode(ev.Flags))
		kevent.FlagNames(ev.Flags, kevent.OpenFlags, func(n string) { flags.AppendEmpty().SetStr(n) })
		const oCreat, oTmpfile = 0o100, 0o20200000
		if ev.Flags&oCreat != 0 || ev.Flags&oTmpfile == oTmpfile {
			attrs.PutStr(schema.AttrFileMode, f.mode(ev.Mode))
		}
	case kevent.KindFileUnlink, kevent.KindFileMkdir:
		f.path(attrs, schema.AttrFilePath, ev.Path, ev.PathBase)
		if ev.Kind == kevent.KindFileMkdir {
			attrs.PutStr(schema.AttrFileMode, f.mode(ev.Mode))
		}
	case kevent.KindFileRename:
		f.path(attrs, schema.AttrFilePath, ev.Path, ev.PathBase)
		f.path(attrs, schema.AttrFileSourcePath, ev.Path2, ev.Path2Base)
	case kevent.KindFileLink:
		f.path(attrs, schema.AttrFilePath, ev.Path, ev.PathBase)
		f.path(attrs, schema.AttrFileLinkTargetPath, ev.Path2, ev.Path2Base)
	case kevent.KindFileSymlink:
		f.path(attrs, schema.AttrFilePath, ev.Path, ev.PathBase)
		f.str(attrs, schema.AttrFileSymlinkTargetPath, ev.SymlinkTarget)
	case kevent.KindFileChmod:
		f.path(attrs, schema.AttrFilePath, ev.Path, ev.PathBase)
		attrs.PutStr(schema.AttrFileMode, f.mode(ev.Mode))
	case kevent.KindFileChown:
		f.path(attrs, schema.AttrFilePath, ev.Path, ev.PathBase)
		attrs.PutStr(schema.AttrFileOwnerID, f.id(ev.OwnerUID))
		attrs.PutStr(schema.AttrFileGroupID, f.id(ev.OwnerGID))
	case kevent.KindFileMount:
		f.path(attrs, schema.AttrFilePath, ev.Path, ev.PathBase)
		f.str(attrs, schema.AttrMountSource, ev.MountSource)
		f.str(attrs, schema.AttrMountFSType, ev.MountFSType)
	case kevent.KindFileMemfdCreate:
		f.str(attrs, schema.AttrFileName, ev.Name)

	case kevent.KindFdDup:
		attrs.PutInt(schema.AttrFdOld, int64(ev.OldFD))
		attrs.PutInt(schema.AttrFdNew, int64(ev.NewFD))
		attrs.PutStr(schema.AttrFdType, ev.FDType.String())
		if ev.FDType == kevent.FDSocket && ev.Peer.Valid() {
			f.network(ev, attrs)
			f.addr(attrs, schema.AttrNetworkPeerAddress, schema.AttrNetworkPeerPort, ev.Peer)
		}

	case kevent.KindNetworkSocket:
		f.network(ev, attrs)
	case kevent.KindNetworkConnect, kevent.KindNetworkSend:
		f.network(ev, attrs)
		f.addr(attrs, schema.AttrNetworkPeerAddress, schema.AttrNetworkPeerPort, ev.Peer)
	case kevent.KindNetworkBind, kevent.KindNetworkListen:
		f.network(ev, attrs)
		f.addr(attrs, schema.AttrNetworkLocalAddress, schema.AttrNetworkLocalPort, ev.Local)
	case kevent.KindNetworkAccept:
		f.network(ev, attrs)
		f.addr(attrs, schema.AttrNetworkLocalAddress, schema.AttrNetworkLocalPort, ev.Local)
		f.addr(attrs, schema.AttrNetworkPeerAddress, schema.AttrNetworkPeerPort, ev.Peer)

	case kevent.KindPrivilegeSetuid, kevent.KindPrivilegeSetgid:
		id := int64(-1)
		if v, ok := ev.TargetID(); ok {
			id = int64(v)
		}
		// The header's ids are those after the call; the ones before tell a setuid-root
		// program's full setuid(0) (real uid 1000 -> 0) from root staying root.
		known := !ev.OldCredsUnknown
		if ev.Kind == kevent.KindPrivilegeSetuid {
			attrs.PutInt(schema.AttrPrivilegeTargetUserID, id)
			if known {
				attrs.PutInt(schema.AttrPrivilegePreviousUserID, int64(ev.OldEID))
				attrs.PutInt(schema.AttrPrivilegePreviousRealUserID, int64(ev.OldID))
			}
		} else {
			attrs.PutInt(schema.AttrPrivilegeTargetGroupID, id)
			if known {
				attrs.PutInt(schema.AttrPrivilegePreviousGroupID, int64(ev.OldEID))
				attrs.PutInt(schema.AttrPrivilegePreviousRealGroupID, int64(ev.OldID))
			}
		}
	case kevent.KindPrivilegeCapset:
		eff := attrs.PutEmptySlice(schema.AttrCapabilitiesEffective)
		eff.EnsureCapacity(bits.OnesCount64(ev.CapEffective))
		kevent.CapNames(ev.CapEffective, func(n string) { eff.AppendEmpty().SetStr(n) })
		add := attrs.PutEmptySlice(schema.AttrCapabilitiesAdded)
		add.EnsureCapacity(bits.OnesCount64(ev.CapAdded()))
		kevent.CapNames(ev.CapAdded(), func(n string) { add.AppendEmpty().SetStr(n) })

	case kevent.KindNamespaceSetns, kevent.KindNamespaceUnshare:
		ns := attrs.PutEmptySlice(schema.AttrNamespaceFlags)
		ns.EnsureCapacity(bits.OnesCount64(ev.Flags & kevent.CloneNewMask))
		kevent.FlagNames(ev.Flags&kevent.CloneNewMask, kevent.NamespaceFlags, func(n string) { ns.AppendEmpty().SetStr(n) })

	case kevent.KindKernelModuleLoad:
		f.path(attrs, schema.AttrFilePath, ev.Path, ev.PathBase)
		f.str(attrs, schema.AttrKernelModuleName, ev.Name)
	case kevent.KindKernelModuleUnload:
		f.str(attrs, schema.AttrKernelModuleName, ev.Name)
	case kevent.KindKernelBPF:
		attrs.PutStr(schema.AttrBPFCommand, kevent.BPFCommandName(ev.BPFCmd))
		if ev.BPFCmd == kevent.BPFProgLoad {
			attrs.PutStr(schema.AttrBPFProgramType, kevent.BPFProgTypeName(ev.BPFType))
		}
	}
}

func (f *Filler) execArgs(ev *kevent.Event, attrs pcommon.Map) {
	args := attrs.PutEmptySlice(schema.AttrProcessCommandArgs)
	args.EnsureCapacity(bytes.Count(ev.Argv.B, []byte{0}) + 1) // one per NUL, at most
	kevent.Args(ev.Argv.B, 0, func(a []byte) { args.AppendEmpty().SetStr(f.strs.string(a)) })
	count := int64(ev.ArgCount)
	if count < int64(args.Len()) {
		count = int64(args.Len())
	}
	attrs.PutInt(schema.AttrProcessArgsCount, count)
	if ev.Argv.Truncated {
		f.trunc = append(f.trunc, schema.AttrProcessCommandArgs)
	}
}

// path puts an absolute, lexically normalized path, resolved against the base the kernel gave.
func (f *Filler) path(attrs pcommon.Map, key string, p, base kevent.Str) {
	if p.Empty() {
		return
	}
	f.pathBuf = resolvePathBytes(f.pathBuf, p.B, base.B)
	attrs.PutStr(key, f.strs.string(f.pathBuf))
	if p.Truncated || base.Truncated {
		f.trunc = append(f.trunc, key)
	}
}

func (f *Filler) str(attrs pcommon.Map, key string, s kevent.Str) {
	if s.Empty() {
		return
	}
	attrs.PutStr(key, f.strs.string(s.B))
	if s.Truncated {
		f.trunc = append(f.trunc, key)
	}
}

func (f *Filler) network(ev *kevent.Event, attrs pcommon.Map) {
	if t := kevent.Transport(ev.Family, ev.SockType, ev.Protocol); t != "" {
		attrs.PutStr(schema.AttrNetworkTransport, t)
	}
	if t := kevent.NetworkType(ev.Family); t != "" {
		attrs.PutStr(schema.AttrNetworkType, t)
	}
}

func (f *Filler) addr(attrs pcommon.Map, addrKey, portKey string, a kevent.Sockaddr) {
	switch a.Family {
	case kevent.AFInet, kevent.AFInet6:
		if a.IP.IsValid() {
			f.scratch = a.IP.AppendTo(f.scratch[:0])
			attrs.PutStr(addrKey, f.strs.string(f.scratch))
		} else {
			attrs.PutStr(addrKey, a.IP.String()) // "invalid IP"
		}
		attrs.PutInt(portKey, int64(a.Port))
	case kevent.AFUnix:
		if a.Path.Empty() {
			return
		}
		p := a.Path.B
		if p[0] == 0 {
			// Abstract socket: shown with the conventional "@".
			f.scratch = append(append(f.scratch[:0], '@'), p[1:]...)
			p = f.scratch
		}
		attrs.PutStr(addrKey, f.strs.string(p))
		if a.Path.Truncated {
			f.trunc = append(f.trunc, addrKey)
		}
	}
}

// id formats a chown id; 0xffffffff (unchanged) is "-1".
func (f *Filler) id(id uint32) string {
	if id == 0xffffffff {
		return "-1"
	}
	f.scratch = strconv.AppendUint(f.scratch[:0], uint64(id), 10)
	return f.strs.string(f.scratch)
}

// attrCount is the number of attributes job's record will have, at most, and exactly for
// the common records: reserving that makes the attributes one allocation of the right size
// (the largest of a record; reserving a fixed bound per kind wasted a quarter of it).
func attrCount(job *Job) int {
	ev := &job.Ev
	n := 8 // syscall.name, .return, pid, thread, ppid, uids, interactive
	if ev.Ret < 0 {
		n++ // error.type
	}
	trunc := job.CmdLineTruncated || job.HasParent && job.ParentCmdLineTruncated
	for _, s := range strFields(ev) {
		trunc = trunc || s.Truncated
	}
	if trunc {
		n++
	}
	for _, s := range [...]string{job.ExePath, job.ExePath, job.CmdLine, job.Cwd, job.UserName,
		job.ContainerID, job.ParentExePath, job.ParentExePath, job.ParentCmdLine} {
		if s != "" {
			n++
		}
	}
	if job.NumAncestors > 0 {
		n++
	}
	return n + eventAttrCount(ev)
}

// eventAttrCount is the number of attributes event puts for ev, at most.
func eventAttrCount(ev *kevent.Event) int {
	has := func(s kevent.Str) int {
		if s.Empty() {
			return 0
		}
		return 1
	}
	network := func() int {
		if ev.Family == 0 {
			return 0
		}
		return 2 // network.transport, network.type
	}
	addr := func(a kevent.Sockaddr) int {
		switch a.Family {
		case kevent.AFInet, kevent.AFInet6:
			return 2
		case kevent.AFUnix:
			return has(a.Path)
		}
		return 0
	}
	switch ev.Kind {
	case kevent.KindProcessExec:
		n := 2 // process.command_args, process.args_count
		if ev.Ret < 0 {
			n += has(ev.Path)
		}
		return n
	case kevent.KindProcessFork, kevent.KindProcessExit, kevent.KindNamespaceSetns,
		kevent.KindNamespaceUnshare:
		return 1
	case kevent.KindPrivilegeSetuid, kevent.KindPrivilegeSetgid:
		if ev.OldCredsUnknown {
			return 1
		}
		return 3 // the target id, the effective and real ids before
	case kevent.KindProcessPtrace, kevent.KindPrivilegeCapset, kevent.KindKernelBPF:
		return 2
	case kevent.KindFileOpen:
		return has(ev.Path) + 2 // file.flags, file.mode
	case kevent.KindFileUnlink:
		return has(ev.Path)
	case kevent.KindFileMkdir, kevent.KindFileChmod:
		return has(ev.Path) + 1
	case kevent.KindFileChown:
		return has(ev.Path) + 2
	case kevent.KindFileRename, kevent.KindFileLink:
		return has(ev.Path) + has(ev.Path2)
	case kevent.KindFileSymlink:
		return has(ev.Path) + has(ev.SymlinkTarget)
	case kevent.KindFileMount:
		return has(ev.Path) + has(ev.MountSource) + has(ev.MountFSType)
	case kevent.KindFileMemfdCreate, kevent.KindKernelModuleUnload:
		return has(ev.Name)
	case kevent.KindKernelModuleLoad:
		return has(ev.Path) + has(ev.Name)
	case kevent.KindFdDup:
		if ev.FDType == kevent.FDSocket && ev.Peer.Valid() {
			return 3 + network() + addr(ev.Peer)
		}
		return 3
	case kevent.KindNetworkSocket:
		return network()
	case kevent.KindNetworkConnect, kevent.KindNetworkSend:
		return network() + addr(ev.Peer)
	case kevent.KindNetworkBind, kevent.KindNetworkListen:
		return network() + addr(ev.Local)
	case kevent.KindNetworkAccept:
		return network() + addr(ev.Local) + addr(ev.Peer)
	}
	return 0
}
