package ruleengine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/otelsec/otelsec/internal/schema"
)

// Falco's fields over otelsec records. Each field says, for records of each event, how its
// value is read: a CEL expression over the record's attributes (the same expression serves
// conditions, on the fast path, and outputs), a finite set of values each with the CEL test
// that selects it (fd.typechar is 'd' when the open had O_DIRECTORY), nothing (Falco has no
// value there either: fd.name of an exec), or missing (Falco has a value, the sensor does not
// record it). A check on a missing field is false, as in Falco for a field it cannot extract;
// load names such fields in one warning per rule, and a rule that can then never fire is
// disabled. docs/falco.md has the table.

type falcoFieldType uint8

const (
	falcoStr   falcoFieldType = iota + 1
	falcoInt                  // Falco's integer types (uid, fd numbers, ports, return values)
	falcoBool                 // true or false
	falcoIPNet                // an address compared with CIDR networks (fd.net)
)

type falcoDefKind uint8

const (
	defNone    falcoDefKind = iota // no value on this event, in Falco too
	defMissing                     // Falco has a value; the sensor does not record it
	defExpr                        // a CEL expression of the field's type
	defEnum                        // one of a few values, each selected by a CEL test
)

// falcoDef is how a field is read on one event.
type falcoDef struct {
	kind falcoDefKind
	expr string // defExpr
	// list: expr is a list and the field holds each element (proc.aname): a check is true
	// when it is for any element; elem wraps each element (a CEL expression with %s for it).
	list bool
	elem string
	// dflt is Falco's value when the attribute present tests is absent (container.id of a
	// process on the host is "host").
	dflt    *string
	present string
	// alt is read where attrs[0], which expr reads, is absent (fd.nameraw: file.path_as_given,
	// else file.path, which is then the path as given); for a list, altElem wraps its elements.
	alt, altElem string
	clamp        *int64 // Falco's value is max(expr, *clamp): fd.num of a failed open is -1
	enum         []falcoEnumValue
	why          string // defMissing: what the sensor lacks
	// typ, when set, is the type of the expression where it differs from the field's: Falco
	// formats some arguments as text (evt.arg.uid) that the records hold as numbers; lenient
	// makes a value that is not a number compare false rather than be an error.
	typ     falcoFieldType
	lenient bool
	// byName, for a lenient number: how a value that is not a number is compared, a string
	// expression and the test that says it holds the name (evt.arg.uid=nobody).
	byName, byNameKnown string
	approx              string // how the value differs from Falco's; "" when it is Falco's
	attrs               []string
}

// falcoEnumValue is one value of an enumerated field and the CEL test that selects it; the
// tests of one field are exclusive. A value that is not concrete stands for "some positive
// number the sensor does not know" (evt.num, a terminal's number).
type falcoEnumValue struct {
	value    string
	cond     string
	concrete bool
}

type falcoField struct {
	name string
	typ  falcoFieldType
	// on returns the field's definition on records of one event; arg is what follows the
	// name in brackets (proc.aname[2]) or after it (evt.arg.flags: "flags").
	on func(event, arg string, hasArg bool) falcoDef
}

// fieldAttr is an attribute a definition reads; a definition whose attribute the contract
// (internal/schema) does not have is missing until the contract gains it.
func attrDef(expr string, attrs ...string) falcoDef {
	for _, a := range attrs {
		if _, ok := schema.Types[a]; !ok {
			return falcoDef{kind: defMissing, why: "the records do not carry " + a}
		}
	}
	return falcoDef{kind: defExpr, expr: expr, attrs: attrs}
}

func attrOf(a string) falcoDef { return attrDef(a, a) }

func (d falcoDef) approximately(how string) falcoDef {
	if d.kind != defMissing {
		d.approx = how
	}
	return d
}

func (d falcoDef) orElse(v string) falcoDef {
	if d.kind == defExpr {
		d.dflt, d.present = &v, "present("+d.attrs[0]+")"
	}
	return d
}

func (d falcoDef) orExpr(alt string) falcoDef {
	if d.kind == defExpr {
		d.alt = alt
	}
	return d
}

func missing(why string) falcoDef { return falcoDef{kind: defMissing, why: why} }

func enumDef(attrs []string, vals ...falcoEnumValue) falcoDef {
	for _, a := range attrs {
		if _, ok := schema.Types[a]; !ok {
			return falcoDef{kind: defMissing, why: "the records do not carry " + a}
		}
	}
	return falcoDef{kind: defEnum, enum: vals, attrs: attrs}
}

func ev(value, cond string) falcoEnumValue {
	return falcoEnumValue{value: value, cond: cond, concrete: true}
}

// everywhere is a field of the process (or container) that every record has.
func everywhere(d falcoDef) func(string, string, bool) falcoDef {
	return func(string, string, bool) falcoDef { return d }
}

// onEvents is a field of some events' records only.
func onEvents(m map[string]falcoDef) func(string, string, bool) falcoDef {
	return func(event, _ string, _ bool) falcoDef { return m[event] }
}

// onEventsElse is a field Falco has on every event that the records carry on some only.
func onEventsElse(m map[string]falcoDef, elsewhere falcoDef) func(string, string, bool) falcoDef {
	return func(event, _ string, _ bool) falcoDef {
		if d, ok := m[event]; ok {
			return d
		}
		return elsewhere
	}
}

func events(d falcoDef, names ...string) map[string]falcoDef {
	m := map[string]falcoDef{}
	for _, n := range names {
		m[n] = d
	}
	return m
}

func merge(ms ...map[string]falcoDef) map[string]falcoDef {
	out := map[string]falcoDef{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// proc.exe and proc.args are read from the command line, argv joined with spaces.
const (
	exeApprox  = "argv[0] up to its first space (the records carry argv joined with spaces)"
	argsApprox = "the arguments after argv[0], joined with spaces (argv[0] is taken up to its first space)"
)

var (
	eventsWithFlags = []string{schema.EventFileOpen, schema.EventFileUnlink, schema.EventFileRename,
		schema.EventFileLink, schema.EventFileChmod, schema.EventFileChown, schema.EventFileMemfdCreate}
	clientEvents = []string{schema.EventNetworkConnect, schema.EventNetworkSend}
	serverEvents = []string{schema.EventNetworkAccept, schema.EventNetworkBind, schema.EventNetworkListen}
	socketEvents = append([]string{schema.EventNetworkSocket}, append(append([]string{}, clientEvents...), serverEvents...)...)
)

const (
	peerAddr  = schema.AttrNetworkPeerAddress
	peerPort  = schema.AttrNetworkPeerPort
	localAddr = schema.AttrNetworkLocalAddress
	localPort = schema.AttrNetworkLocalPort
)

var (
	noLocalEnd = missing("the local end of a connect or send is not recorded")
	sockAttrs  = []string{schema.AttrNetworkType, schema.AttrNetworkTransport, schema.AttrNetworkSocketFamily}
	sockType   = enumDef(sockAttrs, ev("ipv4", `network.type == "ipv4"`), ev("ipv6", `network.type == "ipv6"`),
		ev("unix", `network.transport == "unix"`), ev("netlink", `network.socket.family == "AF_NETLINK"`))
	sockTypechar = enumDef(sockAttrs, ev("4", `network.type == "ipv4"`), ev("6", `network.type == "ipv6"`),
		ev("u", `network.transport == "unix"`), ev("n", `network.socket.family == "AF_NETLINK"`))
	dupPeerV4 = `fd.type == "socket" && !network.peer.address.contains(":")`
	dupPeerV6 = `fd.type == "socket" && network.peer.address.contains(":")`
	dupFile   = `fd.type in ["file", "tty", "chardev", "blockdev"]`
	dupApprox = "the type of the duplicated fd; a socket is ipv4 or ipv6 by its peer's address, and has no type here without one"
)

var (
	// The records leave out a comm that is its executable's name cut to 15 bytes.
	procName     = attrOf(schema.AttrProcessLinuxComm).orExpr("falco_trunc(process.executable.name)")
	procPname    = attrOf(schema.AttrProcessParentLinuxComm).orExpr("falco_trunc(process.parent.executable.name)")
	procPexe     = attrDef("falco_argv0(process.parent.command_line)", schema.AttrProcessParentCommandLine).approximately(exeApprox)
	procPexepath = attrOf(schema.AttrProcessParentExecutablePath)
)

// falcoFieldList is every Falco field otelsec reads, and the ones it knows it cannot.
var falcoFieldList = []*falcoField{
	// The process.
	{name: "proc.name", typ: falcoStr, on: everywhere(procName)},
	{name: "proc.exe", typ: falcoStr, on: everywhere(attrDef("falco_argv0(process.command_line)", schema.AttrProcessCommandLine).approximately(exeApprox))},
	{name: "proc.exepath", typ: falcoStr, on: everywhere(attrOf(schema.AttrProcessExecutablePath))},
	{name: "proc.args", typ: falcoStr, on: everywhere(attrDef("falco_args(process.command_line)", schema.AttrProcessCommandLine).approximately(argsApprox))},
	{name: "proc.cmdline", typ: falcoStr, on: everywhere(attrDef("(process.linux.comm + falco_spaced(falco_args(process.command_line)))",
		schema.AttrProcessLinuxComm, schema.AttrProcessCommandLine).
		orExpr("(falco_trunc(process.executable.name) + falco_spaced(falco_args(process.command_line)))").approximately(argsApprox))},
	{name: "proc.pname", typ: falcoStr, on: everywhere(procPname)},
	{name: "proc.pexe", typ: falcoStr, on: everywhere(procPexe)},
	{name: "proc.pexepath", typ: falcoStr, on: everywhere(procPexepath)},
	{name: "proc.pcmdline", typ: falcoStr, on: everywhere(attrDef("(process.parent.linux.comm + falco_spaced(falco_args(process.parent.command_line)))",
		schema.AttrProcessParentLinuxComm, schema.AttrProcessParentCommandLine).
		orExpr("(falco_trunc(process.parent.executable.name) + falco_spaced(falco_args(process.parent.command_line)))").approximately(argsApprox))},
	{name: "proc.aname", typ: falcoStr, on: ancestorName},
	{name: "proc.aexe", typ: falcoStr, on: ancestorOnlyParent(procPexe)},
	{name: "proc.aexepath", typ: falcoStr, on: ancestorOnlyParent(procPexepath)},
	{name: "proc.duration", typ: falcoInt, on: everywhere(attrOf(schema.AttrProcessAge).
		approximately("for a process started before the sensor, to 10 ms (procfs's start time)"))},
	{name: "proc.pid", typ: falcoInt, on: everywhere(attrOf(schema.AttrProcessPID))},
	{name: "proc.ppid", typ: falcoInt, on: everywhere(attrOf(schema.AttrProcessParentPID))},
	{name: "thread.tid", typ: falcoInt, on: everywhere(attrOf(schema.AttrThreadID))},
	{name: "proc.cwd", typ: falcoStr, on: everywhere(attrDef("falco_dir(process.working_directory)", schema.AttrProcessWorkingDirectory))},
	{name: "proc.tty", typ: falcoInt, on: everywhere(enumDef([]string{schema.AttrProcessInteractive},
		ev("0", "process.interactive == false"), falcoEnumValue{cond: "process.interactive == true"}).
		approximately("0 without a controlling terminal; with one, its number is not recorded (comparisons with 0 work)"))},
	{name: "proc.is_exe_from_memfd", typ: falcoBool, on: onEventsElse(events(attrOf(schema.AttrProcessExecutableFromMemfd), schema.EventProcessExec),
		attrDef(`process.executable.path.startsWith("/memfd:")`, schema.AttrProcessExecutablePath).
			approximately("the executable's path starts with /memfd: (the kernel's own test is on process.exec only)"))},
	{name: "proc.is_exe_upper_layer", typ: falcoBool, on: onEventsElse(events(attrOf(schema.AttrProcessExecutableUpperLayer), schema.EventProcessExec),
		missing("recorded on process.exec only"))},
	{name: "proc.vpid", typ: falcoInt, on: onEventsElse(events(attrOf(schema.AttrProcessVPID), schema.EventProcessExec, schema.EventProcessFork),
		missing("recorded on process.exec and process.fork only"))},
	{name: "proc.env", typ: falcoStr, on: procEnv},
	{name: "thread.cap_effective", typ: falcoStr, on: everywhere(attrDef("falco_caps(thread.capabilities.effective)", schema.AttrThreadCapabilitiesEffective).orElse(""))},
	{name: "thread.cap_permitted", typ: falcoStr, on: everywhere(attrDef("falco_caps(thread.capabilities.permitted)", schema.AttrThreadCapabilitiesPermitted).orElse(""))},
	// Falco's setuid rules read the enter event (evt.dir=>), where the user is the caller's
	// before the call; the records' process.user.* are after it, and privilege.previous_user.id
	// is before (absent when the sensor did not know it).
	{name: "user.uid", typ: falcoInt, on: onEventsElse(events(attrOf(schema.AttrPrivilegePreviousUserID).orExpr(schema.AttrProcessUserID).
		approximately("before the call, as on Falco's enter event; after it where the sensor did not know the previous one"), schema.EventPrivilegeSetuid),
		attrOf(schema.AttrProcessUserID))},
	{name: "user.name", typ: falcoStr, on: onEventsElse(events(attrOf(schema.AttrProcessUserName).
		approximately("after the call (Falco's enter event has the name before it; the records carry only the previous uid, user.uid)"), schema.EventPrivilegeSetuid),
		attrOf(schema.AttrProcessUserName))},
	{name: "user.loginuid", typ: falcoInt, on: everywhere(attrOf(schema.AttrProcessLoginUserID).orElse("-1"))},
	{name: "user.loginname", typ: falcoStr, on: everywhere(attrOf(schema.AttrProcessLoginUserName))},

	// The container (the container_metadata processor's attributes).
	{name: "container.id", typ: falcoStr, on: everywhere(attrOf(schema.AttrContainerID).orElse("host"))},
	{name: "container.name", typ: falcoStr, on: everywhere(attrOf("container.name").orElse("host"))},
	{name: "container.image.repository", typ: falcoStr, on: everywhere(attrOf("container.image.name"))},
	{name: "container.image.tag", typ: falcoStr, on: everywhere(attrDef("container.image.tags[0]", "container.image.tags").approximately("the image's first tag"))},
	{name: "container.image.id", typ: falcoStr, on: everywhere(attrOf("container.image.id"))},
	{name: "container.privileged", typ: falcoBool, on: everywhere(attrOf("container.privileged"))},
	{name: "container.type", typ: falcoStr, on: everywhere(attrOf("container.runtime.name"))},
	{name: "k8s.ns.name", typ: falcoStr, on: everywhere(attrOf("k8s.namespace.name"))},
	{name: "k8s.pod.name", typ: falcoStr, on: everywhere(attrOf("k8s.pod.name"))},
	{name: "k8s.pod.uid", typ: falcoStr, on: everywhere(attrOf("k8s.pod.uid"))},

	// The event. evt.type is the event's Falco types (falco_events.go), read from syscall.name.
	{name: "evt.type", typ: falcoStr, on: everywhere(attrOf(schema.AttrSyscallName))},
	{name: "evt.dir", typ: falcoStr, on: everywhere(enumDef(nil, ev("<", "true")))},
	{name: "evt.num", typ: falcoInt, on: everywhere(enumDef(nil, falcoEnumValue{cond: "true"}).
		approximately("the records are not numbered: only comparisons true or false for every event number are decided (evt.num = 0 is never true)"))},
	{name: "evt.source", typ: falcoStr, on: everywhere(enumDef(nil, ev(falcoSource, "true")))},
	{name: "evt.hostname", typ: falcoStr, on: everywhere(attrOf(schema.AttrHostName))},
	{name: "evt.res", typ: falcoStr, on: everywhere(attrOf(schema.AttrErrorType).orElse("SUCCESS"))},
	{name: "evt.rawres", typ: falcoInt, on: everywhere(attrOf(schema.AttrSyscallReturn))},
	{name: "evt.failed", typ: falcoBool, on: everywhere(attrDef("present(error.type)", schema.AttrErrorType))},
	{name: "evt.is_open_read", typ: falcoBool, on: onEvents(events(attrDef(`any_in(file.flags, ["O_RDONLY", "O_RDWR"])`, schema.AttrFileFlags), schema.EventFileOpen))},
	{name: "evt.is_open_write", typ: falcoBool, on: onEvents(events(attrDef(`any_in(file.flags, ["O_WRONLY", "O_RDWR"])`, schema.AttrFileFlags), schema.EventFileOpen))},
	{name: "evt.is_open_create", typ: falcoBool, on: onEvents(events(attrDef(`"O_CREAT" in file.flags`, schema.AttrFileFlags).
		approximately("the open had O_CREAT (Falco: the open created the file)"), schema.EventFileOpen))},
	{name: "evt.arg", typ: falcoStr, on: eventArg},
	{name: "evt.rawarg", typ: falcoStr, on: eventArg},

	// The file or socket of the event.
	{name: "fd.name", typ: falcoStr, on: onEvents(merge(
		events(attrOf(schema.AttrFilePath), schema.EventFileOpen),
		events(attrDef(`"memfd:" + file.name`, schema.AttrFileName), schema.EventFileMemfdCreate),
		events(attrDef(`network.peer.address + ":" + string(network.peer.port) + "->" + network.local.address + ":" + string(network.local.port)`,
			peerAddr, peerPort, localAddr, localPort), schema.EventNetworkAccept),
		events(missing("the local end of a connect or send is not recorded"), clientEvents...),
		events(missing("the name of the duplicated fd is not recorded"), schema.EventFdDup)))},
	{name: "fd.directory", typ: falcoStr, on: onEvents(events(attrDef("dirname(file.path)", schema.AttrFilePath), schema.EventFileOpen))},
	{name: "fd.filename", typ: falcoStr, on: onEvents(events(attrDef("basename(file.path)", schema.AttrFilePath), schema.EventFileOpen))},
	{name: "fd.nameraw", typ: falcoStr, on: onEvents(events(attrOf(schema.AttrFilePathAsGiven).orExpr(schema.AttrFilePath), schema.EventFileOpen))},
	{name: "fd.num", typ: falcoInt, on: onEvents(merge(
		events(clamped(attrOf(schema.AttrSyscallReturn), -1), schema.EventFileOpen),
		events(missing("the fd of a socket call is not recorded"), socketEvents...)))},
	{name: "fd.typechar", typ: falcoStr, on: onEvents(merge(
		events(enumDef([]string{schema.AttrFileFlags}, ev("f", `!("O_DIRECTORY" in file.flags)`), ev("d", `"O_DIRECTORY" in file.flags`)), schema.EventFileOpen),
		events(sockTypechar, socketEvents...),
		events(enumDef([]string{schema.AttrFdType, peerAddr}, ev("4", dupPeerV4), ev("6", dupPeerV6), ev("f", dupFile), ev("p", `fd.type == "pipe"`), ev("d", `fd.type == "dir"`)).approximately(dupApprox), schema.EventFdDup)))},
	{name: "fd.type", typ: falcoStr, on: onEvents(merge(
		events(enumDef([]string{schema.AttrFileFlags}, ev("file", `!("O_DIRECTORY" in file.flags)`), ev("directory", `"O_DIRECTORY" in file.flags`)), schema.EventFileOpen),
		events(sockType, socketEvents...),
		events(enumDef([]string{schema.AttrFdType, peerAddr}, ev("ipv4", dupPeerV4), ev("ipv6", dupPeerV6), ev("file", dupFile), ev("pipe", `fd.type == "pipe"`), ev("directory", `fd.type == "dir"`)).approximately(dupApprox), schema.EventFdDup)))},
	{name: "fd.sockfamily", typ: falcoStr, on: onEvents(events(enumDef([]string{schema.AttrNetworkType, schema.AttrNetworkTransport},
		ev("ip", "present(network.type)"), ev("unix", `network.transport == "unix"`)), socketEvents...))},
	{name: "fd.l4proto", typ: falcoStr, on: onEvents(events(attrOf(schema.AttrNetworkTransport), socketEvents...))},
	{name: "fd.sip", typ: falcoStr, on: onEvents(merge(events(attrOf(peerAddr), append(clientEvents, schema.EventFdDup)...), events(attrOf(localAddr), serverEvents...)))},
	{name: "fd.sport", typ: falcoInt, on: onEvents(merge(events(attrOf(peerPort), append(clientEvents, schema.EventFdDup)...), events(attrOf(localPort), serverEvents...)))},
	{name: "fd.rip", typ: falcoStr, on: onEvents(events(attrOf(peerAddr), append(clientEvents, schema.EventNetworkAccept, schema.EventFdDup)...))},
	{name: "fd.rport", typ: falcoInt, on: onEvents(events(attrOf(peerPort), append(clientEvents, schema.EventNetworkAccept, schema.EventFdDup)...))},
	{name: "fd.cip", typ: falcoStr, on: onEvents(merge(events(attrOf(peerAddr), schema.EventNetworkAccept), events(noLocalEnd, clientEvents...)))},
	{name: "fd.cport", typ: falcoInt, on: onEvents(merge(events(attrOf(peerPort), schema.EventNetworkAccept), events(noLocalEnd, clientEvents...)))},
	{name: "fd.lip", typ: falcoStr, on: onEvents(merge(events(attrOf(localAddr), serverEvents...), events(noLocalEnd, clientEvents...)))},
	{name: "fd.lport", typ: falcoInt, on: onEvents(merge(events(attrOf(localPort), serverEvents...), events(noLocalEnd, clientEvents...)))},
	{name: "fd.ip", typ: falcoStr, on: onEvents(events(attrOf(peerAddr).approximately("the server's address (the client's is not recorded)"), clientEvents...))},
	{name: "fd.port", typ: falcoInt, on: onEvents(events(attrOf(peerPort).approximately("the server's port (the client's is not recorded)"), clientEvents...))},
	{name: "fd.net", typ: falcoIPNet, on: onEvents(events(attrOf(peerAddr).approximately("the server's address (the client's is not recorded)"), clientEvents...))},
	{name: "fd.snet", typ: falcoIPNet, on: onEvents(merge(events(attrOf(peerAddr), clientEvents...), events(attrOf(localAddr), serverEvents...)))},
	{name: "fd.rnet", typ: falcoIPNet, on: onEvents(events(attrOf(peerAddr), append(clientEvents, schema.EventNetworkAccept)...))},
	{name: "fd.cnet", typ: falcoIPNet, on: onEvents(merge(events(attrOf(peerAddr), schema.EventNetworkAccept), events(noLocalEnd, clientEvents...)))},
	{name: "fd.lnet", typ: falcoIPNet, on: onEvents(merge(events(attrOf(localAddr), serverEvents...), events(noLocalEnd, clientEvents...)))},
	{name: "fd.connected", typ: falcoBool, on: onEvents(events(enumDef(nil, ev("false", "true")).
		approximately("a send is recorded only with a destination address, as on an unconnected socket"), schema.EventNetworkSend))},
	{name: "fd.name_changed", typ: falcoBool, on: onEvents(events(enumDef(nil, ev("true", "true")).
		approximately("every send with a destination address counts as one to a new destination"), schema.EventNetworkSend))},
}

func clamped(d falcoDef, min int64) falcoDef {
	if d.kind == defExpr {
		d.clamp = &min
	}
	return d
}

// ancestorName is proc.aname[N] (N = 0 is the process, 1 its parent) and proc.aname without
// an index, any ancestor: their comms.
// procEnv is proc.env: the environment a successful exec gave the process, which is all the
// Falco files read (spawned_process and proc.env icontains NAME).
func procEnv(event, _ string, hasArg bool) falcoDef {
	if hasArg {
		return missing("one variable by name (proc.env[NAME]) is not supplied, only proc.env whole")
	}
	if event != schema.EventProcessExec {
		return missing("recorded on process.exec only")
	}
	return attrDef("falco_env(process.environment)", schema.AttrProcessEnvironment).orElse("").
		approximately("a successful exec's environment, its first max_env_bytes bytes (empty when off, and for a failed exec)")
}

func ancestorName(event, arg string, hasArg bool) falcoDef {
	if !hasArg {
		d := attrOf(schema.AttrProcessAncestorsLinuxComm).orExpr(schema.AttrProcessAncestorsExecName)
		d.list, d.altElem = true, "falco_trunc(%s)"
		return d
	}
	n, err := strconv.Atoi(arg)
	switch {
	case err != nil || n < 0:
		return falcoDef{kind: defMissing, why: fmt.Sprintf("proc.aname[%s]: the index must be a number", arg)}
	case n == 0:
		return procName
	case n == 1:
		return procPname
	}
	return attrDef(fmt.Sprintf("process.ancestors.linux.comm[%d]", n-1), schema.AttrProcessAncestorsLinuxComm).
		orExpr(fmt.Sprintf("falco_trunc(process.ancestors.executable.name[%d])", n-1))
}

// ancestorOnlyParent is a proc.a* field of which only the parent's value is recorded.
func ancestorOnlyParent(parent falcoDef) func(string, string, bool) falcoDef {
	return func(_, arg string, hasArg bool) falcoDef {
		if hasArg && arg == "1" {
			return parent
		}
		return missing("only the parent's is recorded")
	}
}

// falcoKnownMissing are Falco fields otelsec knows and the sensor does not supply, with
// what is lacking; a field neither here nor above is unknown (an error, as in Falco).
var falcoKnownMissing = map[string]string{
	"proc.pvpid":  "pids in the process's namespace are not recorded",
	"thread.vtid": "pids in the process's namespace are not recorded", "proc.apid": "only the parent's pid is recorded",
	"proc.sid": "sessions are not recorded", "proc.sname": "sessions are not recorded", "proc.sid.exe": "sessions are not recorded",
	"proc.sid.exepath": "sessions are not recorded", "proc.vpgid": "process groups are not recorded",
	"proc.vpgid.name": "process groups are not recorded", "proc.vpgid.exe": "process groups are not recorded",
	"proc.vpgid.exepath": "process groups are not recorded", "proc.is_vpgid_leader": "process groups are not recorded",
	"proc.is_sid_leader": "sessions are not recorded",
	"proc.ppid.duration": "the parent's start is not recorded", "proc.pid.ts": "only the process's age (process.age_ns) is recorded, not its start time",
	"proc.ppid.ts": "the parent's start is not recorded",
	"proc.aenv":    "the ancestors' environments are not recorded", "proc.loginshellid": "login shells are not recorded",
	"proc.is_exe_lower_layer": "whether the executable is on an overlay lower layer is not recorded",
	"proc.is_exe_writable":    "the executable's permissions are not recorded", "proc.exe_ino": "the executable's inode is not recorded",
	"proc.exe_ino.ctime": "the executable's inode is not recorded", "proc.exe_ino.mtime": "the executable's inode is not recorded",
	"proc.exe_ino.ctime_duration_proc_start":  "the executable's inode is not recorded",
	"proc.exe_ino.ctime_duration_pidns_start": "the executable's inode is not recorded",
	"proc.pidns_init_start_ts":                "pid namespaces are not recorded",
	"proc.cmdnargs":                           "not supplied", "proc.cmdlenargs": "not supplied", "proc.exeline": "not supplied",
	"proc.nthreads": "not supplied", "proc.nchilds": "not supplied", "proc.fdopencount": "not supplied",
	"proc.stdin.type": "the process's standard fds are not recorded", "proc.stdout.type": "the process's standard fds are not recorded",
	"proc.stderr.type": "the process's standard fds are not recorded", "proc.stdin.name": "the process's standard fds are not recorded",
	"proc.stdout.name": "the process's standard fds are not recorded", "proc.stderr.name": "the process's standard fds are not recorded",
	"thread.cap_inheritable": "the thread's capabilities are not recorded", "thread.ismain": "not supplied",
	"thread.exectime": "not supplied", "thread.totexectime": "not supplied", "thread.cgroups": "cgroups are not recorded",
	"thread.cgroup": "cgroups are not recorded", "thread.nametid": "not supplied",
	"user.homedir": "not supplied", "user.shell": "not supplied",
	"group.gid": "the group is not recorded", "group.name": "the group is not recorded",
	"evt.time": "Falco's formatted event times are not supplied", "evt.time.s": "not supplied", "evt.time.iso8601": "not supplied",
	"evt.datetime": "not supplied", "evt.datetime.s": "not supplied", "evt.rawtime": "not supplied", "evt.rawtime.s": "not supplied",
	"evt.rawtime.ns": "not supplied", "evt.reltime": "not supplied", "evt.latency": "not supplied", "evt.deltatime": "not supplied",
	"evt.args": "the event's arguments as Falco formats them are not supplied", "evt.info": "not supplied",
	"evt.buffer": "read and write buffers are not recorded", "evt.buflen": "read and write buffers are not recorded",
	"evt.category": "not supplied", "evt.cpu": "not supplied", "evt.is_io": "reads and writes are not recorded",
	"evt.is_io_read": "reads and writes are not recorded", "evt.is_io_write": "reads and writes are not recorded",
	"evt.io_dir": "reads and writes are not recorded", "evt.is_wait": "not supplied", "evt.is_syslog": "not supplied",
	"evt.is_open_exec": "whether an open was for exec is not recorded", "evt.abspath": "not supplied",
	"evt.abspath.src": "not supplied", "evt.abspath.dst": "not supplied", "evt.pluginname": "otelsec has no plugins",
	"evt.plugininfo": "otelsec has no plugins", "evt.is_async": "not supplied", "evt.asynctype": "not supplied",
	"fd.ino": "inodes are not recorded", "fd.dev": "devices are not recorded", "fd.dev.major": "devices are not recorded",
	"fd.dev.minor": "devices are not recorded", "fd.uid": "not supplied", "fd.is_server": "not supplied",
	"fd.containername": "not supplied", "fd.containerdirectory": "not supplied", "fd.types": "not supplied",
	"fd.proto": "port names are not supplied", "fd.cproto": "port names are not supplied", "fd.sproto": "port names are not supplied",
	"fd.lproto": "port names are not supplied", "fd.rproto": "port names are not supplied",
	"fd.cip.name": "the DNS names of addresses are not recorded", "fd.sip.name": "the DNS names of addresses are not recorded",
	"fd.lip.name": "the DNS names of addresses are not recorded", "fd.rip.name": "the DNS names of addresses are not recorded",
	"fs.path.name": "not supplied (use fd.name or evt.arg.*)", "fs.path.nameraw": "not supplied",
	"fs.path.source": "not supplied", "fs.path.sourceraw": "not supplied", "fs.path.target": "not supplied",
	"fs.path.targetraw":      "not supplied",
	"container.start_ts":     "Falco's start time in ns is not supplied (container.start_time is RFC 3339)",
	"container.image":        "the image reference is not supplied (container.image.repository and container.image.tag are)",
	"container.image.digest": "not supplied", "container.mounts": "mounts are not recorded", "container.mount": "mounts are not recorded",
	"container.mount.source": "mounts are not recorded", "container.mount.dest": "mounts are not recorded",
	"container.mount.mode": "mounts are not recorded", "container.mount.rdwr": "mounts are not recorded",
	"container.mount.propagation": "mounts are not recorded", "container.healthcheck": "not supplied",
	"container.liveness_probe": "not supplied", "container.readiness_probe": "not supplied",
	"container.duration": "not supplied", "container.cni.json": "not supplied", "container.host_pid": "not supplied",
	"container.host_network": "not supplied", "container.host_ipc": "not supplied", "container.label": "not supplied",
	"container.labels": "not supplied", "container.ip": "not supplied", "container.full_id": "not supplied",
	"container.image.fullrepository": "not supplied",
	"k8s.pod.label":                  "not supplied", "k8s.pod.labels": "not supplied", "k8s.pod.ip": "not supplied", "k8s.pod.cni.json": "not supplied",
	"k8s.pod.sandbox_id": "not supplied", "k8s.pod.full_sandbox_id": "not supplied", "k8s.rc.name": "not supplied", "k8s.rs.name": "not supplied",
	"k8s.svc.name": "not supplied", "k8s.deployment.name": "not supplied", "k8s.ns.label": "not supplied", "k8s.ns.labels": "not supplied",
}

// falcoFields indexes falcoFieldList by name.
var falcoFields = func() map[string]*falcoField {
	m := map[string]*falcoField{}
	for _, f := range falcoFieldList {
		m[f.name] = f
	}
	return m
}()

// lookupFalcoField finds a field by name: evt.arg.flags is evt.arg with the argument flags.
// ok is false for a field Falco does not have; a known field the sensor cannot supply is
// returned as missing everywhere.
func lookupFalcoField(name string) (f *falcoField, arg string, hasArg, ok bool) {
	if f := falcoFields[name]; f != nil {
		return f, "", false, true
	}
	for _, prefix := range []string{"evt.arg.", "evt.rawarg."} {
		if rest, found := strings.CutPrefix(name, prefix); found {
			return falcoFields[strings.TrimSuffix(prefix, ".")], rest, false, true
		}
	}
	if why, known := falcoKnownMissing[name]; known {
		return &falcoField{name: name, typ: falcoStr, on: everywhere(missing(why))}, "", false, true
	}
	return nil, "", false, false
}
