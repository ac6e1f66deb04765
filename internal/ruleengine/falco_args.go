package ruleengine

import "github.com/otelsec/otelsec/internal/schema"

// eventArg is evt.arg.NAME (and evt.rawarg.NAME): the syscall's arguments by Falco's names.
// Paths are resolved and absolute where Falco shows them as given.
func eventArg(event, arg string, hasArg bool) falcoDef {
	if hasArg {
		return missing("arguments by position are not recorded")
	}
	if m, ok := eventArgs[arg]; ok {
		return m[event] // absent: the argument is not one of this event's
	}
	return missing("argument " + arg + " is not recorded")
}

// setuidTarget compares the uid a setuid asked for with a user name (Falco renders it as
// one) by the name the records have after the call: once the effective uid is the one asked
// for, process.user.name is its name. Where it is not (a refused call), a name never matches.
func setuidTarget(d falcoDef) falcoDef {
	d.byName, d.byNameKnown = schema.AttrProcessUserName,
		"("+schema.AttrProcessUserID+" == "+schema.AttrPrivilegeTargetUserID+" && present("+schema.AttrProcessUserName+"))"
	return d.approximately("a name is known once the call made it the effective uid; a refused call's target matches numbers only")
}

var eventArgs = func() map[string]map[string]falcoDef {
	joined := func(a string) falcoDef { return attrDef("falco_join("+a+")", a) }
	asInt := func(d falcoDef) falcoDef { d.typ, d.lenient = falcoInt, true; return d }
	path := attrOf(schema.AttrFilePath)
	// namespace.flags has the name of a CEL keyword: conditions cannot read it.
	nsFlags := missing("namespace.flags cannot be read in a condition (namespace is a CEL keyword)")
	return map[string]map[string]falcoDef{
		"flags": merge(events(joined(schema.AttrFileFlags), eventsWithFlags...),
			events(joined(schema.AttrMountFlags), schema.EventFileMount),
			events(nsFlags, schema.EventNamespaceUnshare),
			events(missing("the exec's flags are not recorded"), schema.EventProcessExec)),
		"mode": merge(events(attrOf(schema.AttrFileMode).approximately("octal, as \"0644\""), schema.EventFileOpen, schema.EventFileMkdir),
			// A chmod's mode is flags in Falco: S_ISUID is looked for by name.
			events(attrDef("falco_mode(file.mode)", schema.AttrFileMode), schema.EventFileChmod)),
		"target":   events(attrOf(schema.AttrFileSymlinkTargetPath), schema.EventFileSymlink),
		"linkpath": events(path, schema.EventFileSymlink),
		"oldpath":  merge(events(attrOf(schema.AttrFileLinkTargetPath), schema.EventFileLink), events(attrOf(schema.AttrFileSourcePath), schema.EventFileRename)),
		"newpath":  events(path, schema.EventFileLink, schema.EventFileRename),
		"path":     events(path, schema.EventFileMkdir, schema.EventFileUnlink, schema.EventProcessChdir),
		"name": merge(events(path.approximately("the resolved, absolute path"), schema.EventFileOpen, schema.EventFileUnlink),
			events(attrOf(schema.AttrFileName), schema.EventFileMemfdCreate)),
		"filename": merge(events(path, schema.EventFileChmod),
			events(missing("the path given to a successful exec is not recorded"), schema.EventProcessExec)),
		"request": events(attrOf(schema.AttrPtraceRequest), schema.EventProcessPtrace),
		"domain":  events(attrOf(schema.AttrNetworkSocketFamily), schema.EventNetworkSocket),
		"pid":     events(asInt(attrOf(schema.AttrPtraceTargetPID)), schema.EventProcessPtrace),
		"uid":     events(setuidTarget(asInt(attrOf(schema.AttrPrivilegeTargetUserID))), schema.EventPrivilegeSetuid),
		"gid":     events(asInt(attrOf(schema.AttrPrivilegeTargetGroupID)).approximately("compared as a number (a group name never matches)"), schema.EventPrivilegeSetgid),
		"cmd":     events(attrOf(schema.AttrBPFCommand).approximately("the command's name (BPF_PROG_LOAD), not its number"), schema.EventKernelBPF),
		"nstype":  events(nsFlags, schema.EventNamespaceSetns),
		"dev":     events(attrOf(schema.AttrMountSource), schema.EventFileMount),
		"dir":     events(path, schema.EventFileMount),
		"type":    events(attrOf(schema.AttrMountFSType), schema.EventFileMount),
		"uargs":   events(attrOf(schema.AttrKernelModuleArgs), schema.EventKernelModuleLoad),
		"res":     events(attrOf(schema.AttrErrorType).orElse("SUCCESS"), schema.EventNames...),
	}
}()
