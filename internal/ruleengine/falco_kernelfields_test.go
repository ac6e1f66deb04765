package ruleengine

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/schema"
)

// Falco's fields over what the receiver reads from the kernel for them: comm, the login uid,
// the thread's capabilities, the pid in its namespace, where the executable lives, the socket
// family and the path as given.
func TestFalcoKernelFields(t *testing.T) {
	login := 1000
	// A script: comm is the script's name, argv[0] the interpreter's.
	script := shellUser.with(func(p *falcoProc) {
		p.exe, p.cmdline, p.comm = "/usr/bin/python3.12", "/usr/bin/python3 /opt/backup.py --now", "backup.py"
		p.parentComm, p.parentCmdline, p.ancestors = "cron", "/usr/sbin/cron -f", []string{"cron", "systemd"}
		p.loginuid, p.capEff, p.capPerm = &login, 1<<13|1<<21, 1<<13|1<<16|1<<21
	})
	daemon := script.with(func(p *falcoProc) { p.loginuid, p.capEff, p.capPerm = nil, 0, 0 })
	socket := func(p falcoProc, family string) plog.LogRecord {
		p.syscall, p.ret = "socket", 3
		return p.record(schema.EventNetworkSocket, schema.AttrNetworkSocketFamily, family)
	}
	// A program whose comm is its executable's name cut to 15 bytes: the records leave the
	// comms out, and Falco's fields read the executable names.
	plain := func(kv ...any) plog.LogRecord {
		return rec(schema.EventProcessExec, append([]any{schema.AttrSyscallName, "execve", schema.AttrSyscallReturn, 0,
			schema.AttrProcessExecutableName, "containerd-shim-runc-v2", schema.AttrProcessCommandLine, "/usr/bin/containerd-shim-runc-v2 -namespace moby",
			schema.AttrProcessParentExecutableName, "systemd", schema.AttrProcessParentCommandLine, "/sbin/init",
			schema.AttrProcessAncestorsExecName, []string{"systemd", "containerd-shim-runc-v2"}}, kv...)...)
	}
	tests := []struct {
		cond           string
		fires, near    plog.LogRecord
		output, render string // an output template and what it shows on fires
	}{
		{cond: "evt.type = execve and proc.name = backup.py", fires: execRec(script), near: execRec(script.with(func(p *falcoProc) { p.comm = "python3" })),
			output: "%proc.name %proc.exe %proc.cmdline", render: "backup.py /usr/bin/python3 backup.py /opt/backup.py --now"},
		{cond: "evt.type = execve and proc.name = python3", fires: execRec(script.with(func(p *falcoProc) { p.comm = "python3" })), near: execRec(script)},
		{cond: `evt.type = execve and proc.cmdline = "backup.py /opt/backup.py --now"`, fires: execRec(script), near: execRec(script.with(func(p *falcoProc) { p.cmdline = "/usr/bin/python3 /opt/backup.py" }))},
		{cond: "evt.type = execve and proc.pname = cron and proc.aname[1] = cron and proc.aname[2] = systemd and proc.aname = systemd",
			fires: execRec(script), near: execRec(script.with(func(p *falcoProc) { p.parentComm, p.ancestors = "anacron", []string{"anacron", "init"} })),
			output: "%proc.pname %proc.aname[2] %proc.pcmdline", render: "cron systemd cron -f"},
		{cond: "evt.type = execve and proc.name = containerd-shim and proc.pname = systemd and proc.aname[2] = containerd-shim and proc.aname = containerd-shim",
			fires: plain(), near: plain(schema.AttrProcessLinuxComm, "runc", schema.AttrProcessAncestorsLinuxComm, []string{"systemd", "runc"}),
			output: "%proc.name|%proc.cmdline|%proc.aname[2]", render: "containerd-shim|containerd-shim -namespace moby|containerd-shim"},
		{cond: "evt.type = execve and user.loginuid = 1000", fires: execRec(script), near: execRec(daemon),
			output: "%user.loginuid", render: "1000"},
		{cond: "evt.type = execve and user.loginuid = -1", fires: execRec(daemon), near: execRec(script),
			output: "%user.loginuid", render: "-1"},
		{cond: "evt.type = execve and thread.cap_effective contains CAP_SYS_ADMIN and thread.cap_permitted icontains sys_module",
			fires: execRec(script), near: execRec(daemon),
			output: "%thread.cap_effective|%thread.cap_permitted", render: "CAP_NET_RAW CAP_SYS_ADMIN|CAP_NET_RAW CAP_SYS_MODULE CAP_SYS_ADMIN"},
		{cond: "evt.type = execve and not thread.cap_effective contains CAP_ and thread.cap_permitted = \"\"", fires: execRec(daemon), near: execRec(script),
			output: "caps=%thread.cap_effective", render: "caps="},
		{cond: "evt.type = execve and proc.vpid = 1", fires: execRec(script.with(func(p *falcoProc) { p.vpid = 1 })), near: execRec(script.with(func(p *falcoProc) { p.vpid = 4242 })),
			output: "%proc.vpid", render: "1"},
		{cond: "evt.type = execve and proc.is_exe_upper_layer = true", fires: execRec(script.with(func(p *falcoProc) { p.upperLayer = true })), near: execRec(script)},
		{cond: "evt.type = execve and proc.is_exe_from_memfd = true", fires: execRec(script.with(runAs("/memfd:x (deleted)", "x"))), near: execRec(script)},
		{cond: "evt.type = socket and evt.arg.domain contains AF_PACKET", fires: socket(script, "AF_PACKET"), near: socket(script, "AF_NETLINK"),
			output: "%evt.arg.domain", render: "AF_PACKET"},
		{cond: "evt.type = socket and fd.typechar = n and fd.type = netlink", fires: socket(script, "AF_NETLINK"), near: socket(script, "AF_PACKET"),
			output: "%fd.type", render: "netlink"},
		{cond: "evt.type = openat and fd.nameraw startswith ../",
			fires: script.with(func(p *falcoProc) { p.syscall, p.ret = "openat", 3 }).record(schema.EventFileOpen,
				schema.AttrFilePath, "/etc/shadow", schema.AttrFilePathAsGiven, "../../etc/shadow", schema.AttrFileFlags, []string{"O_RDONLY"}),
			near:   open(script.with(func(p *falcoProc) { p.syscall, p.ret = "openat", 3 }), "/etc/shadow", "O_RDONLY"),
			output: "%fd.nameraw %fd.name", render: "../../etc/shadow /etc/shadow"},
		{cond: "evt.type = openat and fd.nameraw = /etc/shadow", fires: open(script.with(func(p *falcoProc) { p.syscall, p.ret = "openat", 3 }), "/etc/shadow", "O_RDONLY"),
			near: script.with(func(p *falcoProc) { p.syscall, p.ret = "openat", 3 }).record(schema.EventFileOpen,
				schema.AttrFilePath, "/etc/shadow", schema.AttrFilePathAsGiven, "/etc//shadow", schema.AttrFileFlags, []string{"O_RDONLY"}),
			output: "%fd.nameraw", render: "/etc/shadow"},
	}
	for _, tc := range tests {
		t.Run(tc.cond, func(t *testing.T) {
			out := tc.output
			if out == "" {
				out = "%proc.name"
			}
			e, warns := falcoCompile(t, "- required_engine_version: 0.50.0\n- rule: r\n  desc: d\n  condition: "+tc.cond+"\n  output: \""+out+"\"\n  priority: WARNING\n")
			for _, w := range warns {
				assert.Empty(t, w.Rule, "no field of the rule is missing or approximate: %s", w.Msg)
			}
			rules := e.Match(pcommon.NewMap(), tc.fires, nil)
			require.Equal(t, []string{"r"}, names(rules))
			assert.Empty(t, matchAll(e, tc.near), "near miss")
			if tc.render != "" {
				assert.Equal(t, tc.render, rules[0].Render(pcommon.NewMap(), tc.fires))
			}
			// The fast path and cel-go agree.
			require.NotNil(t, e.Rules()[0].fast, e.Rules()[0].slowReason)
		})
	}
}
