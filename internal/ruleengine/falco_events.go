package ruleengine

import (
	"slices"

	"github.com/otelsec/otelsec/internal/schema"
)

// FalcoEventTypes gives, for each event of the otelsec contract, the Falco event types (evt.type:
// syscall names, and Falco's procexit) whose records it is: an exec is Falco's execve or
// execveat, an open its open, creat, openat or openat2. A Falco rule on evt.type = openat is
// a rule on file.open records whose syscall.name is openat. The receiver's tests check this
// against the hooks of each event. Events Falco has and otelsec does not capture (read,
// write, close, ...) are absent: a rule on only those can never fire and is disabled at load.
func FalcoEventTypes() map[string][]string {
	m := make(map[string][]string, len(falcoEventTypes))
	for _, e := range falcoEventTypes {
		m[e.event] = slices.Clone(e.types)
	}
	return m
}

// falcoEventTypes is FalcoEventTypes in contract order. An event whose record has no
// syscall.name (process.exit) must map to exactly one type.
var falcoEventTypes = []struct {
	event string
	types []string
}{
	{schema.EventProcessExec, []string{"execve", "execveat"}},
	{schema.EventProcessFork, []string{"clone", "clone3", "fork", "vfork"}},
	{schema.EventProcessExit, []string{"procexit"}},
	{schema.EventProcessPtrace, []string{"ptrace"}},
	{schema.EventProcessChdir, []string{"chdir", "fchdir"}},
	{schema.EventFileOpen, []string{"open", "creat", "openat", "openat2"}},
	{schema.EventFileUnlink, []string{"unlink", "unlinkat", "rmdir"}},
	{schema.EventFileRename, []string{"rename", "renameat", "renameat2"}},
	{schema.EventFileLink, []string{"link", "linkat"}},
	{schema.EventFileSymlink, []string{"symlink", "symlinkat"}},
	{schema.EventFileChmod, []string{"chmod", "fchmod", "fchmodat", "fchmodat2"}},
	{schema.EventFileChown, []string{"chown", "fchown", "lchown", "fchownat"}},
	{schema.EventFileMkdir, []string{"mkdir", "mkdirat"}},
	{schema.EventFileMount, []string{"mount", "umount2"}},
	{schema.EventFileMemfdCreate, []string{"memfd_create"}},
	{schema.EventFdDup, []string{"dup", "dup2", "dup3"}},
	{schema.EventNetworkSocket, []string{"socket"}},
	{schema.EventNetworkConnect, []string{"connect"}},
	{schema.EventNetworkAccept, []string{"accept", "accept4"}},
	{schema.EventNetworkBind, []string{"bind"}},
	{schema.EventNetworkListen, []string{"listen"}},
	{schema.EventNetworkSend, []string{"sendto", "sendmsg"}},
	{schema.EventPrivilegeSetuid, []string{"setuid", "setreuid", "setresuid", "setfsuid"}},
	{schema.EventPrivilegeSetgid, []string{"setgid", "setregid", "setresgid", "setfsgid"}},
	{schema.EventPrivilegeCapset, []string{"capset"}},
	{schema.EventNamespaceSetns, []string{"setns"}},
	{schema.EventNamespaceUnshare, []string{"unshare", "clone", "clone3"}},
	{schema.EventKernelModuleLoad, []string{"init_module", "finit_module"}},
	{schema.EventKernelModuleUnload, []string{"delete_module"}},
	{schema.EventKernelBPF, []string{"bpf"}},
}

// falcoCaptured is every Falco event type some otelsec event covers.
var falcoCaptured = func() map[string]bool {
	m := map[string]bool{}
	for _, e := range falcoEventTypes {
		for _, t := range e.types {
			m[t] = true
		}
	}
	return m
}()
