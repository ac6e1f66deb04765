package ruleengine

import (
	"strings"

	"github.com/google/cel-go/cel"

	"github.com/otelsec/otelsec/internal/schema"
)

// EventNameAttr is the identifier rules use for the LogRecord's EventName.
const EventNameAttr = "event.name"

// BodyIdent is the identifier rules use for the LogRecord's Body (dyn: a string for log lines,
// a map for journald entries: body.MESSAGE).
const BodyIdent = "body"

type attrType int

const (
	typeString attrType = iota
	typeInt
	typeBool
	typeStringList
	typeDyn
)

func (t attrType) cel() *cel.Type {
	switch t {
	case typeInt:
		return cel.IntType
	case typeBool:
		return cel.BoolType
	case typeStringList:
		return cel.ListType(cel.StringType)
	case typeDyn:
		return cel.DynType
	}
	return cel.StringType
}

// knownAttrs gives the contract type of every otelsec attribute; anything not listed here that
// is in the contract is a string.
var knownAttrs = func() map[string]attrType {
	m := map[string]attrType{EventNameAttr: typeString}
	for _, s := range []string{
		schema.AttrHostName, schema.AttrHostID, schema.AttrOSType, schema.AttrServiceName, schema.AttrServiceVersion,
		schema.AttrSyscallName, schema.AttrErrorType, schema.AttrProcessExecutablePath, schema.AttrProcessExecutableName,
		schema.AttrProcessCommandLine, schema.AttrProcessWorkingDirectory, schema.AttrProcessUserName,
		schema.AttrProcessParentExecutableName, schema.AttrProcessParentExecutablePath, schema.AttrProcessParentCommandLine,
		schema.AttrContainerID, schema.AttrPtraceRequest, schema.AttrFilePath, schema.AttrFileSymlinkTargetPath,
		schema.AttrFileLinkTargetPath, schema.AttrFileSourcePath, schema.AttrFileMode, schema.AttrFileOwnerID,
		schema.AttrFileGroupID, schema.AttrFileName, schema.AttrMountSource, schema.AttrMountFSType, schema.AttrFdType,
		schema.AttrNetworkPeerAddress, schema.AttrNetworkLocalAddress, schema.AttrNetworkTransport, schema.AttrNetworkType,
		schema.AttrKernelModuleName, schema.AttrBPFCommand, schema.AttrBPFProgramType, schema.AttrDroppedReason,
		schema.AttrSecurityRuleName, schema.AttrSecurityRuleDescription, schema.AttrSecurityRuleRulesetName,
		schema.AttrSecurityRuleCategory, schema.AttrSecurityRuleReference,
		schema.AttrUncleanStopWindowStart, schema.AttrUncleanStopWindowEnd,
	} {
		m[s] = typeString
	}
	for _, s := range []string{
		schema.AttrSyscallReturn, schema.AttrProcessPID, schema.AttrThreadID, schema.AttrProcessParentPID,
		schema.AttrProcessUserID, schema.AttrProcessRealUserID, schema.AttrProcessArgsCount, schema.AttrProcessExitCode,
		schema.AttrProcessChildPID, schema.AttrPtraceTargetPID, schema.AttrFdOld, schema.AttrFdNew,
		schema.AttrNetworkPeerPort, schema.AttrNetworkLocalPort, schema.AttrPrivilegeTargetUserID,
		schema.AttrPrivilegeTargetGroupID, schema.AttrDroppedCount, schema.AttrDroppedTotal,
		schema.AttrPrivilegePreviousUserID, schema.AttrPrivilegePreviousRealUserID,
		schema.AttrPrivilegePreviousGroupID, schema.AttrPrivilegePreviousRealGroupID,
		schema.AttrUncleanStopPreviousPID,
	} {
		m[s] = typeInt
	}
	m[schema.AttrProcessInteractive] = typeBool
	for _, s := range []string{
		schema.AttrProcessAncestorsExecName, schema.AttrTruncated, schema.AttrProcessCommandArgs, schema.AttrFileFlags,
		schema.AttrCapabilitiesAdded, schema.AttrCapabilitiesEffective, schema.AttrNamespaceFlags,
		schema.AttrSecurityRuleMatched, schema.AttrSecurityRuleTags,
	} {
		m[s] = typeStringList
	}
	return m
}()

// contractNamespaces are the first components of contract attribute names: an unknown
// attribute under one of them is probably a typo, so Compile warns.
var contractNamespaces = func() map[string]bool {
	m := map[string]bool{}
	for k := range knownAttrs {
		m[k[:strings.IndexByte(k+".", '.')]] = true
	}
	return m
}()
