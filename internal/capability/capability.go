// Package capability names Linux capabilities: the receiver lists a set's names
// (privilege.capabilities.*) and the rule engine renders a set as Falco does
// (thread.cap_effective: "CAP_CHOWN CAP_KILL"), from this one table.
package capability // import "github.com/otelsec/otelsec/internal/capability"

import (
	"strconv"
	"strings"
)

// names is indexed by capability number (linux/capability.h).
var names = [...]string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
	"CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
	"CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// Name is capability n's name ("CAP_SYS_ADMIN"); one the table does not know is "CAP_<n>".
func Name(n int) string {
	if n >= 0 && n < len(names) {
		return names[n]
	}
	return "CAP_" + strconv.Itoa(n)
}

// Names calls fn with the name of every capability in the set, lowest first.
func Names(set uint64, fn func(name string)) {
	for i := 0; i < 64 && set != 0; i++ {
		if set&(1<<i) == 0 {
			continue
		}
		set &^= 1 << i
		fn(Name(i))
	}
}

// Join is the set's names separated by spaces, as Falco shows a thread's capabilities.
func Join(set uint64) string {
	var b strings.Builder
	Names(set, func(n string) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(n)
	})
	return b.String()
}
