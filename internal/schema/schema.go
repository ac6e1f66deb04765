// Package schema is the event contract in code: the EventNames and attribute names that the
// syscall receiver emits, the rules read, the alert exporter renders and users query in their
// backends. docs/events.md documents them; ../shared/reference/events.md fixes the core.
// Renaming or re-typing anything here is a breaking change for every user's rules and queries.
package schema

// Event names (LogRecord.EventName), "<domain>.<verb>".
const (
	EventProcessExec   = "process.exec"
	EventProcessFork   = "process.fork"
	EventProcessExit   = "process.exit"
	EventProcessPtrace = "process.ptrace"
	EventProcessChdir  = "process.chdir"

	EventFileOpen        = "file.open"
	EventFileUnlink      = "file.unlink"
	EventFileRename      = "file.rename"
	EventFileLink        = "file.link"
	EventFileSymlink     = "file.symlink"
	EventFileChmod       = "file.chmod"
	EventFileChown       = "file.chown"
	EventFileMkdir       = "file.mkdir"
	EventFileMount       = "file.mount"
	EventFileMemfdCreate = "file.memfd_create"

	EventFdDup = "fd.dup"

	EventNetworkSocket  = "network.socket"
	EventNetworkConnect = "network.connect"
	EventNetworkAccept  = "network.accept"
	EventNetworkBind    = "network.bind"
	EventNetworkListen  = "network.listen"
	EventNetworkSend    = "network.send"

	EventPrivilegeSetuid = "privilege.setuid"
	EventPrivilegeSetgid = "privilege.setgid"
	EventPrivilegeCapset = "privilege.capset"

	EventNamespaceSetns   = "namespace.setns"
	EventNamespaceUnshare = "namespace.unshare"

	EventKernelModuleLoad   = "kernel.module_load"
	EventKernelModuleUnload = "kernel.module_unload"
	EventKernelBPF          = "kernel.bpf"

	// EventAgentEventsDropped is emitted by the receiver itself, periodically, whenever events
	// were lost (ring buffer full, records that failed to decode, records the pipeline did not
	// take: refused permanently, a full queue, past retry_timeout or the shutdown deadline), so
	// the gap is visible in the backend next to the events.
	EventAgentEventsDropped = "agent.events_dropped"
)

// EventNames lists every kernel event name, in contract order.
var EventNames = []string{
	EventProcessExec, EventProcessFork, EventProcessExit, EventProcessPtrace, EventProcessChdir,
	EventFileOpen, EventFileUnlink, EventFileRename, EventFileLink, EventFileSymlink,
	EventFileChmod, EventFileChown, EventFileMkdir, EventFileMount, EventFileMemfdCreate,
	EventFdDup,
	EventNetworkSocket, EventNetworkConnect, EventNetworkAccept, EventNetworkBind,
	EventNetworkListen, EventNetworkSend,
	EventPrivilegeSetuid, EventPrivilegeSetgid, EventPrivilegeCapset,
	EventNamespaceSetns, EventNamespaceUnshare,
	EventKernelModuleLoad, EventKernelModuleUnload, EventKernelBPF,
}

// Domains are the first component of event names; configs may select by domain.
var Domains = []string{"process", "file", "fd", "network", "privilege", "namespace", "kernel"}

// Resource attributes.
const (
	AttrHostName       = "host.name"
	AttrHostID         = "host.id"
	AttrOSType         = "os.type"
	AttrServiceName    = "service.name"
	AttrServiceVersion = "service.version"
)

// On every kernel record: the syscall and who made it.
const (
	AttrSyscallName   = "syscall.name"
	AttrSyscallReturn = "syscall.return"
	AttrErrorType     = "error.type"

	AttrProcessPID              = "process.pid"
	AttrThreadID                = "thread.id"
	AttrProcessParentPID        = "process.parent_pid"
	AttrProcessExecutablePath   = "process.executable.path"
	AttrProcessExecutableName   = "process.executable.name"
	AttrProcessCommandLine      = "process.command_line"
	AttrProcessWorkingDirectory = "process.working_directory"
	AttrProcessUserID           = "process.user.id"
	AttrProcessRealUserID       = "process.real_user.id"
	AttrProcessUserName         = "process.user.name"
	AttrProcessInteractive      = "process.interactive"
	// How long the process (thread group) had been running when the event happened, in ns:
	// the event's time less the process's start (its fork, or procfs's start time for one
	// started before the sensor, to 10 ms). An age rather than a start time because rules
	// compare it with a bound ("new processes"), and they see attributes, not the record's time.
	AttrProcessAge = "process.age_ns"
	// The calling thread's command name as the kernel keeps it (task->comm, at most 15
	// bytes): the executable's basename at exec (a script's name, not its interpreter's), or
	// what the program set with prctl(PR_SET_NAME).
	AttrProcessLinuxComm = "process.linux.comm"
	// The audit login uid: the user who logged in, kept through su and sudo; absent outside a
	// login session.
	AttrProcessLoginUserID   = "process.login_user.id"
	AttrProcessLoginUserName = "process.login_user.name"
	// The calling thread's capability sets, as bit masks (bit n: capability n).
	AttrThreadCapabilitiesEffective = "thread.capabilities.effective" // int
	AttrThreadCapabilitiesPermitted = "thread.capabilities.permitted" // int

	AttrProcessParentExecutableName = "process.parent.executable.name"
	AttrProcessParentExecutablePath = "process.parent.executable.path"
	AttrProcessParentCommandLine    = "process.parent.command_line"
	AttrProcessAncestorsExecName    = "process.ancestors.executable.name" // string[], nearest first
	AttrProcessParentLinuxComm      = "process.parent.linux.comm"
	AttrProcessAncestorsLinuxComm   = "process.ancestors.linux.comm" // string[], nearest first

	AttrContainerID = "container.id"

	// AttrTruncated (string[]) names the attributes of this record whose value the receiver had
	// to cut at a configured or kernel bound. A truncated value is never presented as whole.
	AttrTruncated = "otelsec.truncated"
)

// Container and pod metadata, put by the container_metadata processor on records that carry
// container.id, from what the container runtime says of that container (semantic conventions'
// container.* and k8s.* names; container.privileged and container.start_time are ours).
const (
	AttrContainerName             = "container.name"
	AttrContainerImageName        = "container.image.name"         // the repository, without tag or digest
	AttrContainerImageTags        = "container.image.tags"         // string[]
	AttrContainerImageID          = "container.image.id"           // the runtime's image id ("sha256:...")
	AttrContainerImageRepoDigests = "container.image.repo_digests" // string[]: "repo@sha256:..."
	AttrContainerRuntimeName      = "container.runtime.name"       // "docker", "podman", "containerd", "cri-o"
	AttrContainerStartTime        = "container.start_time"         // RFC 3339, when the container started
	AttrContainerPrivileged       = "container.privileged"         // bool
	AttrK8sPodName                = "k8s.pod.name"
	AttrK8sNamespaceName          = "k8s.namespace.name"
	AttrK8sPodUID                 = "k8s.pod.uid"
	AttrK8sContainerName          = "k8s.container.name"
)

// ContainerLabelPrefix starts the attribute of each container label (semconv
// container.label.<key>, a string): container.label.maintainer.
const ContainerLabelPrefix = "container.label."

// What the event did.
const (
	// process.exec
	AttrProcessCommandArgs = "process.command_args" // string[]
	AttrProcessArgsCount   = "process.args_count"
	// process.exec (success): the environment as NAME=VALUE strings, bounded (max_env_bytes,
	// off at 0). One list rather than semconv's process.environment_variable.<key>: one
	// attribute per record, not one per variable.
	AttrProcessEnvironment = "process.environment" // string[]
	// process.exec, process.fork: the process's pid in its own pid namespace (1 for a
	// container's first process)
	AttrProcessVPID = "process.vpid"
	// process.exec (success): the executable is on an overlay's upper layer (written in the
	// container, not shipped in its image); the executable is a memfd (never on a filesystem)
	AttrProcessExecutableUpperLayer = "process.executable.upper_layer" // bool
	AttrProcessExecutableFromMemfd  = "process.executable.from_memfd"  // bool
	// process.exit
	AttrProcessExitCode = "process.exit.code"
	// process.fork: the record's process is the caller; this is the new one.
	AttrProcessChildPID = "process.child.pid"
	// process.ptrace
	AttrPtraceRequest   = "ptrace.request"    // "PTRACE_ATTACH", "PTRACE_TRACEME", ...
	AttrPtraceTargetPID = "ptrace.target.pid" // int
	AttrPtraceAddress   = "ptrace.address"    // int: the addr argument (PEEK/POKE target)

	// file.*
	AttrFilePath = "file.path" // absolute, normalized; for link/symlink/rename the path created
	// file.open: the path exactly as the call gave it, when that is not file.path already
	// (relative, or with "..", "." or repeated slashes)
	AttrFilePathAsGiven       = "file.path_as_given"
	AttrFileSymlinkTargetPath = "file.symbolic_link.target_path"
	AttrFileLinkTargetPath    = "file.link.target_path" // link/linkat: the existing file
	AttrFileSourcePath        = "file.source.path"      // rename: the old path
	AttrFileMode              = "file.mode"             // octal string "0644"
	AttrFileFlags             = "file.flags"            // string[]: "O_WRONLY", "O_CREAT", "AT_REMOVEDIR", "RENAME_EXCHANGE", "MFD_EXEC", ...
	AttrFileOwnerID           = "file.owner.id"         // string, per semconv
	AttrFileGroupID           = "file.group.id"         // string, per semconv
	AttrFileName              = "file.name"             // memfd_create: the name given
	AttrMountSource           = "mount.source"
	AttrMountFSType           = "mount.fs_type"
	AttrMountFlags            = "mount.flags" // string[]: "MS_BIND", "MS_REMOUNT", ...; umount: "MNT_DETACH", ...

	// fd.dup
	AttrFdOld  = "fd.old"
	AttrFdNew  = "fd.new"
	AttrFdType = "fd.type" // type of the duplicated fd: "socket", "file", "pipe", "tty", ...

	// network.*
	AttrNetworkPeerAddress   = "network.peer.address"
	AttrNetworkPeerPort      = "network.peer.port"
	AttrNetworkLocalAddress  = "network.local.address"
	AttrNetworkLocalPort     = "network.local.port"
	AttrNetworkTransport     = "network.transport"      // tcp, udp, unix
	AttrNetworkType          = "network.type"           // ipv4, ipv6
	AttrNetworkListenBacklog = "network.listen.backlog" // int: listen(2)'s backlog
	AttrNetworkSocketFamily  = "network.socket.family"  // the address family: "AF_INET", "AF_PACKET", "AF_NETLINK", ...

	// privilege.*
	AttrPrivilegeTargetUserID  = "privilege.target_user.id"         // int; the uid asked for (-1: unchanged)
	AttrPrivilegeTargetGroupID = "privilege.target_group.id"        // int
	AttrCapabilitiesAdded      = "privilege.capabilities.added"     // string[]: "CAP_SYS_ADMIN", ...
	AttrCapabilitiesEffective  = "privilege.capabilities.effective" // string[] after the call
	AttrCapabilitiesPermitted  = "privilege.capabilities.permitted" // string[] after the call
	// The ids before a setuid/setgid-family call (the process.* ids are those after it); absent
	// when the receiver did not know them. A full setuid(0) by a setuid-root program shows here
	// as previous real uid != 0, while after the call the real uid is 0 too.
	AttrPrivilegePreviousUserID      = "privilege.previous_user.id"       // int: effective uid before
	AttrPrivilegePreviousRealUserID  = "privilege.previous_real_user.id"  // int: real uid before
	AttrPrivilegePreviousGroupID     = "privilege.previous_group.id"      // int: effective gid before
	AttrPrivilegePreviousRealGroupID = "privilege.previous_real_group.id" // int: real gid before

	// namespace.*
	AttrNamespaceFlags = "namespace.flags" // string[]: "CLONE_NEWNS", "CLONE_NEWUSER", ...

	// kernel.*
	AttrKernelModuleName = "kernel.module.name"
	AttrKernelModuleArgs = "kernel.module.args" // the parameter string given to init_module/finit_module
	AttrBPFCommand       = "bpf.command"        // "BPF_PROG_LOAD", "BPF_MAP_CREATE", ...
	AttrBPFProgramType   = "bpf.program.type"   // for BPF_PROG_LOAD: "BPF_PROG_TYPE_KPROBE", ...
	AttrBPFMapType       = "bpf.map.type"       // for BPF_MAP_CREATE: "BPF_MAP_TYPE_HASH", ...
	AttrBPFName          = "bpf.name"           // the program or map name given; RAW_TRACEPOINT_OPEN: the tracepoint

	// agent.events_dropped
	AttrDroppedCount  = "otelsec.events_dropped.count"  // int: lost since the previous report
	AttrDroppedTotal  = "otelsec.events_dropped.total"  // int: lost since start
	AttrDroppedReason = "otelsec.events_dropped.reason" // "ring_buffer_full", "decode_error", "pipeline_refused"
)

// A violation, set by the security_rules processor.
const (
	AttrSecurityRuleName        = "security_rule.name"
	AttrSecurityRuleDescription = "security_rule.description"
	AttrSecurityRuleRulesetName = "security_rule.ruleset.name"
	AttrSecurityRuleCategory    = "security_rule.category" // the rule's first tag that is not a MITRE id, if any
	AttrSecurityRuleReference   = "security_rule.reference"
	// AttrSecurityRuleMatched (string[]) lists every matching rule when the processor runs with
	// match: all; security_rule.name is then the highest-priority one.
	AttrSecurityRuleMatched = "security_rule.matched"
	AttrSecurityRuleTags    = "security_rule.tags" // string[]
	// AttrSecurityRuleOutputFields (string[]) names the attributes the rule's output template
	// used, so the alert exporter can fill Falco's output_fields with exactly those.
	AttrSecurityRuleOutputFields = "security_rule.output_fields"
	// AttrSecurityRuleFalcoOutputFields (map) is on a violation of a rule from a Falco rules
	// file: the fields its output references, keyed by Falco's names (proc.name, fd.name),
	// with their values, null where Falco would print <NA>. The alert exporter writes it as
	// Falco's output_fields, so Falco's tools (Falcosidekick, event-generator) read our alerts.
	AttrSecurityRuleFalcoOutputFields = "security_rule.falco.output_fields"
	// AttrLogRecordOriginal (semconv) keeps a matched record's original Body when the rules
	// processor replaces the Body with the rule's output (records from filelog, journald, ...).
	AttrLogRecordOriginal = "log.record.original"
)

// DefaultServiceName is service.name when the user sets none.
const DefaultServiceName = "otelsec"

// AttrSecurityRuleSuppressedCount (int) is on a violation the security_rules processor passes
// after suppressing repeats: how many of the same rule, process and object it dropped since the
// last one.
const AttrSecurityRuleSuppressedCount = "security_rule.suppressed.count"

// EventAgentUncleanStop is emitted once by a sensor that starts after its previous run stopped
// without shutting down (killed, crashed, power lost): events of the window it carries may be
// missing, and nothing else says so. Needs the receiver's storage setting.
const EventAgentUncleanStop = "agent.unclean_stop"

// agent.unclean_stop: the window in which events may be missing (RFC 3339 strings), from the
// last time the previous run knew everything it had read was delivered or reported, to this
// start; and the previous run's pid.
const (
	AttrUncleanStopWindowStart = "otelsec.unclean_stop.window.start"
	AttrUncleanStopWindowEnd   = "otelsec.unclean_stop.window.end"
	AttrUncleanStopPreviousPID = "otelsec.unclean_stop.previous_pid"
)
