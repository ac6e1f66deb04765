// Package record turns a decoded kernel event and the process table's context into one
// OpenTelemetry log record following the event contract (internal/schema), and groups records
// into batches under one resource. It also keeps the process table current with the fork, exec
// and exit events it sees, because the order matters: an exec's record already describes the
// new image, a fork's record still describes the caller.
package record // import "github.com/otelsec/otelsec/receiver/syscallreceiver/internal/record"

import (
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/procinfo"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/proctable"
)

// DefaultAncestorDepth bounds process.ancestors.executable.name.
const DefaultAncestorDepth = 8

// Options configure a Builder.
type Options struct {
	Table *proctable.Table
	Users *procinfo.Users
	// AncestorDepth bounds process.ancestors.executable.name (default DefaultAncestorDepth).
	AncestorDepth int
}

// Builder fills log records from kernel events. It is owned by one goroutine, together with
// its process table.
type Builder struct {
	table    *proctable.Table
	users    *procinfo.Users
	depth    int
	trunc    []string // names of attributes cut in the record being built
	scratch  []byte
	pathBuf  []byte
	modes    [0o10000]string // file.mode strings, made once each
	lastTime uint64          // latest event BootNs, the process table's clock

	lastUID   uint32
	lastUser  string
	lastUIDOK bool
}

// New returns a Builder.
func New(o Options) *Builder {
	if o.AncestorDepth <= 0 {
		o.AncestorDepth = DefaultAncestorDepth
	}
	return &Builder{table: o.Table, users: o.Users, depth: o.AncestorDepth, trunc: make([]string, 0, 8)}
}

// Now is the process table's clock: the BootNs of the latest event seen. Pass it to
// proctable.Table.Sweep.
func (b *Builder) Now() int64 { return int64(b.lastTime) }

// Build fills lr from ev, updating the process table first for an exec (the record describes
// the new image) and after for a fork or exit (the record describes the caller or the process
// that exits). ev is only read during the call.
func (b *Builder) Build(ev *kevent.Event, lr plog.LogRecord, observed pcommon.Timestamp) {
	if ev.BootNs > b.lastTime {
		b.lastTime = ev.BootNs
	}
	b.trunc = b.trunc[:0]
	var proc *proctable.Process
	if ev.Kind == kevent.KindProcessExec && ev.Ret >= 0 {
		proc = b.exec(ev)
	} else {
		proc = b.table.Lookup(ev.PID, ev.PPID)
		b.table.SetParent(proc, ev.PPID)
	}

	lr.SetEventName(ev.Kind.EventName())
	lr.SetTimestamp(pcommon.Timestamp(ev.UnixNano))
	lr.SetObservedTimestamp(observed)
	lr.SetSeverityNumber(plog.SeverityNumberInfo)
	lr.SetSeverityText("INFO")

	attrs := lr.Attributes()
	attrs.EnsureCapacity(recordAttrs)
	b.process(ev, proc, attrs)
	b.event(ev, attrs)
	if len(b.trunc) > 0 {
		s := attrs.PutEmptySlice(schema.AttrTruncated)
		s.EnsureCapacity(len(b.trunc))
		for _, n := range b.trunc {
			s.AppendEmpty().SetStr(n)
		}
	}

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
	cmd, _ := b.joinArgs(ev.Argv.B)
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
func (b *Builder) joinArgs(argv []byte) (string, int) {
	for len(argv) > 0 && argv[len(argv)-1] == 0 {
		argv = argv[:len(argv)-1]
	}
	b.scratch = append(b.scratch[:0], argv...)
	n := 0
	if len(argv) > 0 {
		n = 1
	}
	for i, c := range b.scratch {
		if c == 0 {
			b.scratch[i] = ' '
			n++
		}
	}
	return kevent.SanitizeUTF8(b.scratch), n
}

// process puts who made the call.
func (b *Builder) process(ev *kevent.Event, p *proctable.Process, attrs pcommon.Map) {
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
	if p.ExePath != "" {
		attrs.PutStr(schema.AttrProcessExecutablePath, p.ExePath)
		attrs.PutStr(schema.AttrProcessExecutableName, p.ExeName)
	}
	if p.CmdLine != "" {
		attrs.PutStr(schema.AttrProcessCommandLine, p.CmdLine)
		if p.CmdLineTruncated {
			b.trunc = append(b.trunc, schema.AttrProcessCommandLine)
		}
	}
	if p.Cwd != "" {
		attrs.PutStr(schema.AttrProcessWorkingDirectory, p.Cwd)
	}
	attrs.PutInt(schema.AttrProcessUserID, int64(ev.EUID))
	attrs.PutInt(schema.AttrProcessRealUserID, int64(ev.UID))
	if name := b.userName(ev.EUID); name != "" {
		attrs.PutStr(schema.AttrProcessUserName, name)
	}
	attrs.PutBool(schema.AttrProcessInteractive, ev.TTY)
	if p.ContainerID != "" {
		attrs.PutStr(schema.AttrContainerID, p.ContainerID)
	}

	parent, ancestors := b.table.Context(p, b.depth)
	if parent != nil {
		if parent.ExePath != "" {
			attrs.PutStr(schema.AttrProcessParentExecutableName, parent.ExeName)
			attrs.PutStr(schema.AttrProcessParentExecutablePath, parent.ExePath)
		}
		if parent.CmdLine != "" {
			attrs.PutStr(schema.AttrProcessParentCommandLine, parent.CmdLine)
			if parent.CmdLineTruncated {
				b.trunc = append(b.trunc, schema.AttrProcessParentCommandLine)
			}
		}
	}
	if len(ancestors) > 0 {
		anc := attrs.PutEmptySlice(schema.AttrProcessAncestorsExecName)
		anc.EnsureCapacity(len(ancestors))
		for _, n := range ancestors {
			anc.AppendEmpty().SetStr(n)
		}
	}
}

// mode formats permission bits once per distinct value.
func (b *Builder) mode(m uint32) string {
	m &= 0o7777
	if b.modes[m] == "" {
		b.modes[m] = kevent.Mode(m)
	}
	return b.modes[m]
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

// event puts what the call did.
func (b *Builder) event(ev *kevent.Event, attrs pcommon.Map) {
	switch ev.Kind {
	case kevent.KindProcessExec:
		b.execArgs(ev, attrs)
		if ev.Ret < 0 {
			b.path(attrs, schema.AttrFilePath, ev.Path, ev.PathBase)
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
		b.path(attrs, schema.AttrFilePath, ev.Path, ev.PathBase)
		flags := attrs.PutEmptySlice(schema.AttrFileFlags)
		flags.EnsureCapacity(4)
		flags.AppendEmpty().SetStr(kevent.OpenAccMode(ev.Flags))
		kevent.FlagNames(ev.Flags, kevent.OpenFlags, func(n string) { flags.AppendEmpty().SetStr(n) })
		const oCreat, oTmpfile = 0o100, 0o20200000
		if ev.Flags&oCreat != 0 || ev.Flags&oTmpfile == oTmpfile {
			attrs.PutStr(schema.AttrFileMode, b.mode(ev.Mode))
		}
	case kevent.KindFileUnlink, kevent.KindFileMkdir:
		b.path(attrs, schema.AttrFilePath, ev.Path, ev.PathBase)
		if ev.Kind == kevent.KindFileMkdir {
			attrs.PutStr(schema.AttrFileMode, b.mode(ev.Mode))
		}
	case kevent.KindFileRename:
		b.path(attrs, schema.AttrFilePath, ev.Path, ev.PathBase)
		b.path(attrs, schema.AttrFileSourcePath, ev.Path2, ev.Path2Base)
	case kevent.KindFileLink:
		b.path(attrs, schema.AttrFilePath, ev.Path, ev.PathBase)
		b.path(attrs, schema.AttrFileLinkTargetPath, ev.Path2, ev.Path2Base)
	case kevent.KindFileSymlink:
		b.path(attrs, schema.AttrFilePath, ev.Path, ev.PathBase)
		b.str(attrs, schema.AttrFileSymlinkTargetPath, ev.SymlinkTarget)
	case kevent.KindFileChmod:
		b.path(attrs, schema.AttrFilePath, ev.Path, ev.PathBase)
		attrs.PutStr(schema.AttrFileMode, b.mode(ev.Mode))
	case kevent.KindFileChown:
		b.path(attrs, schema.AttrFilePath, ev.Path, ev.PathBase)
		attrs.PutStr(schema.AttrFileOwnerID, idString(ev.OwnerUID))
		attrs.PutStr(schema.AttrFileGroupID, idString(ev.OwnerGID))
	case kevent.KindFileMount:
		b.path(attrs, schema.AttrFilePath, ev.Path, ev.PathBase)
		b.str(attrs, schema.AttrMountSource, ev.MountSource)
		b.str(attrs, schema.AttrMountFSType, ev.MountFSType)
	case kevent.KindFileMemfdCreate:
		b.str(attrs, schema.AttrFileName, ev.Name)

	case kevent.KindFdDup:
		attrs.PutInt(schema.AttrFdOld, int64(ev.OldFD))
		attrs.PutInt(schema.AttrFdNew, int64(ev.NewFD))
		attrs.PutStr(schema.AttrFdType, ev.FDType.String())
		if ev.FDType == kevent.FDSocket && ev.Peer.Valid() {
			b.network(ev, attrs)
			b.addr(attrs, schema.AttrNetworkPeerAddress, schema.AttrNetworkPeerPort, ev.Peer)
		}

	case kevent.KindNetworkSocket:
		b.network(ev, attrs)
	case kevent.KindNetworkConnect, kevent.KindNetworkSend:
		b.network(ev, attrs)
		b.addr(attrs, schema.AttrNetworkPeerAddress, schema.AttrNetworkPeerPort, ev.Peer)
	case kevent.KindNetworkBind, kevent.KindNetworkListen:
		b.network(ev, attrs)
		b.addr(attrs, schema.AttrNetworkLocalAddress, schema.AttrNetworkLocalPort, ev.Local)
	case kevent.KindNetworkAccept:
		b.network(ev, attrs)
		b.addr(attrs, schema.AttrNetworkLocalAddress, schema.AttrNetworkLocalPort, ev.Local)
		b.addr(attrs, schema.AttrNetworkPeerAddress, schema.AttrNetworkPeerPort, ev.Peer)

	case kevent.KindPrivilegeSetuid, kevent.KindPrivilegeSetgid:
		id := int64(-1)
		if v, ok := ev.TargetID(); ok {
			id = int64(v)
		}
		if ev.Kind == kevent.KindPrivilegeSetuid {
			attrs.PutInt(schema.AttrPrivilegeTargetUserID, id)
		} else {
			attrs.PutInt(schema.AttrPrivilegeTargetGroupID, id)
		}
	case kevent.KindPrivilegeCapset:
		eff := attrs.PutEmptySlice(schema.AttrCapabilitiesEffective)
		kevent.CapNames(ev.CapEffective, func(n string) { eff.AppendEmpty().SetStr(n) })
		add := attrs.PutEmptySlice(schema.AttrCapabilitiesAdded)
		kevent.CapNames(ev.CapAdded(), func(n string) { add.AppendEmpty().SetStr(n) })

	case kevent.KindNamespaceSetns, kevent.KindNamespaceUnshare:
		ns := attrs.PutEmptySlice(schema.AttrNamespaceFlags)
		kevent.FlagNames(ev.Flags&kevent.CloneNewMask, kevent.NamespaceFlags, func(n string) { ns.AppendEmpty().SetStr(n) })

	case kevent.KindKernelModuleLoad:
		b.path(attrs, schema.AttrFilePath, ev.Path, ev.PathBase)
		b.str(attrs, schema.AttrKernelModuleName, ev.Name)
	case kevent.KindKernelModuleUnload:
		b.str(attrs, schema.AttrKernelModuleName, ev.Name)
	case kevent.KindKernelBPF:
		attrs.PutStr(schema.AttrBPFCommand, kevent.BPFCommandName(ev.BPFCmd))
		if ev.BPFCmd == kevent.BPFProgLoad {
			attrs.PutStr(schema.AttrBPFProgramType, kevent.BPFProgTypeName(ev.BPFType))
		}
	}
}

func (b *Builder) execArgs(ev *kevent.Event, attrs pcommon.Map) {
	args := attrs.PutEmptySlice(schema.AttrProcessCommandArgs)
	kevent.Args(ev.Argv.B, 0, func(a []byte) { args.AppendEmpty().SetStr(kevent.SanitizeUTF8(a)) })
	count := int64(ev.ArgCount)
	if count < int64(args.Len()) {
		count = int64(args.Len())
	}
	attrs.PutInt(schema.AttrProcessArgsCount, count)
	if ev.Argv.Truncated {
		b.trunc = append(b.trunc, schema.AttrProcessCommandArgs)
	}
}

// path puts an absolute, lexically normalized path, resolved against the base the kernel gave.
func (b *Builder) path(attrs pcommon.Map, key string, p, base kevent.Str) {
	if p.Empty() {
		return
	}
	var v string
	v, b.pathBuf = resolvePath(b.pathBuf, p.B, base.B)
	attrs.PutStr(key, v)
	if p.Truncated || base.Truncated {
		b.trunc = append(b.trunc, key)
	}
}

func (b *Builder) str(attrs pcommon.Map, key string, s kevent.Str) {
	if s.Empty() {
		return
	}
	attrs.PutStr(key, s.String())
	if s.Truncated {
		b.trunc = append(b.trunc, key)
	}
}

func (b *Builder) network(ev *kevent.Event, attrs pcommon.Map) {
	if t := kevent.Transport(ev.Family, ev.SockType, ev.Protocol); t != "" {
		attrs.PutStr(schema.AttrNetworkTransport, t)
	}
	if t := kevent.NetworkType(ev.Family); t != "" {
		attrs.PutStr(schema.AttrNetworkType, t)
	}
}

func (b *Builder) addr(attrs pcommon.Map, addrKey, portKey string, a kevent.Sockaddr) {
	switch a.Family {
	case kevent.AFInet, kevent.AFInet6:
		attrs.PutStr(addrKey, a.IP.String())
		attrs.PutInt(portKey, int64(a.Port))
	case kevent.AFUnix:
		if a.Path.Empty() {
			return
		}
		p := a.Path.B
		if p[0] == 0 {
			// Abstract socket: shown with the conventional "@".
			b.scratch = append(append(b.scratch[:0], '@'), p[1:]...)
			p = b.scratch
		}
		attrs.PutStr(addrKey, kevent.SanitizeUTF8(p))
		if a.Path.Truncated {
			b.trunc = append(b.trunc, addrKey)
		}
	}
}

// idString formats a chown id; 0xffffffff (unchanged) is "-1".
func idString(id uint32) string {
	if id == 0xffffffff {
		return "-1"
	}
	return strconv.FormatUint(uint64(id), 10)
}

// recordAttrs is the attribute count of a typical record (17 of process context, a few of the
// event): reserving it up front makes the attributes one allocation instead of several.
const recordAttrs = 24
