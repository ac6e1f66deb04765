package schema

// Type is the value type of an attribute in the contract. Rules are type-checked against it
// and the receiver's records are tested against it: it is the one place that says it.
type Type uint8

const (
	TypeString Type = iota
	TypeInt
	TypeBool
	TypeStringList // string[]
	TypeMap        // a map of values, keyed by name
)

func (t Type) String() string {
	switch t {
	case TypeInt:
		return "int"
	case TypeBool:
		return "bool"
	case TypeStringList:
		return "string[]"
	case TypeMap:
		return "map"
	}
	return "string"
}

// Types gives the type of every attribute of the contract (resource, record and violation).
// log.record.original is semconv's, kept where the processor replaces a Body; its namespace
// is not ours (filelog records carry log.file.*), so it is not listed.
var Types = func() map[string]Type {
	m := map[string]Type{}
	for _, s := range []string{
		AttrHostName, AttrHostID, AttrOSType, AttrServiceName, AttrServiceVersion,
		AttrSyscallName, AttrErrorType, AttrProcessExecutablePath, AttrProcessExecutableName,
		AttrProcessCommandLine, AttrProcessWorkingDirectory, AttrProcessUserName,
		AttrProcessParentExecutableName, AttrProcessParentExecutablePath, AttrProcessParentCommandLine,
		AttrContainerID, AttrContainerName, AttrContainerImageName, AttrContainerImageID,
		AttrContainerRuntimeName, AttrContainerStartTime,
		AttrK8sPodName, AttrK8sNamespaceName, AttrK8sPodUID, AttrK8sContainerName,
		AttrPtraceRequest, AttrFilePath, AttrFileSymlinkTargetPath,
		AttrFileLinkTargetPath, AttrFileSourcePath, AttrFileMode, AttrFileOwnerID,
		AttrFileGroupID, AttrFileName, AttrMountSource, AttrMountFSType, AttrFdType,
		AttrNetworkPeerAddress, AttrNetworkLocalAddress, AttrNetworkTransport, AttrNetworkType,
		AttrKernelModuleName, AttrKernelModuleArgs, AttrBPFCommand, AttrBPFProgramType, AttrBPFMapType, AttrBPFName,
		AttrDroppedReason, AttrUncleanStopWindowStart, AttrUncleanStopWindowEnd,
		AttrSecurityRuleName, AttrSecurityRuleDescription, AttrSecurityRuleRulesetName,
		AttrSecurityRuleCategory, AttrSecurityRuleReference,
		AttrProcessLinuxComm, AttrProcessParentLinuxComm, AttrProcessLoginUserName, AttrFilePathAsGiven,
		AttrNetworkSocketFamily,
	} {
		m[s] = TypeString
	}
	for _, s := range []string{
		AttrSyscallReturn, AttrProcessPID, AttrThreadID, AttrProcessParentPID, AttrProcessAge,
		AttrProcessUserID, AttrProcessRealUserID, AttrProcessArgsCount, AttrProcessExitCode,
		AttrProcessChildPID, AttrPtraceTargetPID, AttrPtraceAddress, AttrFdOld, AttrFdNew,
		AttrNetworkPeerPort, AttrNetworkLocalPort, AttrNetworkListenBacklog, AttrPrivilegeTargetUserID,
		AttrPrivilegeTargetGroupID, AttrDroppedCount, AttrDroppedTotal,
		AttrPrivilegePreviousUserID, AttrPrivilegePreviousRealUserID,
		AttrPrivilegePreviousGroupID, AttrPrivilegePreviousRealGroupID,
		AttrSecurityRuleSuppressedCount, AttrUncleanStopPreviousPID,
		AttrProcessLoginUserID, AttrThreadCapabilitiesEffective, AttrThreadCapabilitiesPermitted, AttrProcessVPID,
	} {
		m[s] = TypeInt
	}
	m[AttrProcessInteractive] = TypeBool
	m[AttrContainerPrivileged] = TypeBool
	m[AttrProcessExecutableUpperLayer] = TypeBool
	m[AttrProcessExecutableFromMemfd] = TypeBool
	for _, s := range []string{
		AttrProcessAncestorsExecName, AttrTruncated, AttrContainerImageTags, AttrContainerImageRepoDigests, AttrProcessCommandArgs, AttrProcessEnvironment, AttrFileFlags, AttrMountFlags,
		AttrCapabilitiesAdded, AttrCapabilitiesEffective, AttrCapabilitiesPermitted, AttrNamespaceFlags,
		AttrSecurityRuleMatched, AttrSecurityRuleTags, AttrSecurityRuleOutputFields,
		AttrProcessAncestorsLinuxComm,
	} {
		m[s] = TypeStringList
	}
	m[AttrSecurityRuleFalcoOutputFields] = TypeMap
	return m
}()
