package rules

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/ruleengine"
)

// benignRecords are the everyday events a host produces most of: library opens, execs of
// common tools, pipes, connections by clients.
func benignRecords() map[string]plog.LogRecord {
	mk := func(event string, kv map[string]any) plog.LogRecord {
		lr := plog.NewLogRecord()
		lr.SetEventName(event)
		if err := lr.Attributes().FromRaw(kv); err != nil {
			panic(err)
		}
		return lr
	}
	proc := func(m map[string]any) map[string]any {
		base := map[string]any{
			"process.pid": 4242, "process.user.id": 1000, "process.real_user.id": 1000,
			"process.user.name": "dev", "process.executable.name": "ls",
			"process.executable.path": "/usr/bin/ls", "process.command_line": "ls -la /etc",
			"process.parent.executable.name":    "bash",
			"process.ancestors.executable.name": []any{"bash", "sshd-session", "sshd", "systemd"},
			"syscall.return":                    3,
		}
		for k, v := range m {
			base[k] = v
		}
		return base
	}
	return map[string]plog.LogRecord{
		"file.open": mk("file.open", proc(map[string]any{
			"syscall.name": "openat", "file.path": "/usr/lib/x86_64-linux-gnu/libc.so.6",
			"file.flags": []any{"O_RDONLY", "O_CLOEXEC"}})),
		"process.exec": mk("process.exec", proc(map[string]any{
			"process.executable.name": "git", "process.executable.path": "/usr/bin/git",
			"process.command_args": []any{"git", "log", "--oneline"}, "process.command_line": "git log --oneline"})),
		"network.connect": mk("network.connect", proc(map[string]any{
			"process.executable.name": "curl", "network.peer.address": "203.0.113.9",
			"network.peer.port": 443, "network.transport": "tcp", "network.type": "ipv4"})),
		"fd.dup": mk("fd.dup", proc(map[string]any{
			"process.executable.name": "bash", "fd.type": "pipe", "fd.old": 3, "fd.new": 1})),
	}
}

// BenchmarkDefaultRules measures the default ruleset per record, against a one-rule ruleset
// (the engine's fixed cost) in the same run: compare default/X with one_rule/X.
func BenchmarkDefaultRules(b *testing.B) {
	def, _, err := ruleengine.Compile(Default(), ruleengine.Options{})
	if err != nil {
		b.Fatal(err)
	}
	one, _, err := ruleengine.Compile([]ruleengine.Source{{Name: "one.yaml", Data: []byte(`
- rule: one
  desc: d
  condition: event.name in ["file.open", "process.exec", "network.connect", "fd.dup"] && process.executable.name == "nope"
  output: o
  priority: WARNING
  tags: [x, mitre_execution, T1059]
`)}}, ruleengine.Options{})
	if err != nil {
		b.Fatal(err)
	}
	res := pcommon.NewMap()
	for _, eng := range []struct {
		name string
		e    *ruleengine.Engine
	}{{"one_rule", one}, {"default", def}} {
		for event, lr := range benignRecords() {
			b.Run(eng.name+"/"+event, func(b *testing.B) {
				var dst []*ruleengine.Rule
				for b.Loop() {
					dst = eng.e.Match(res, lr, dst[:0])
				}
				if len(dst) != 0 {
					b.Fatalf("benign %s matched %s", event, dst[0].Name)
				}
			})
		}
	}
}
