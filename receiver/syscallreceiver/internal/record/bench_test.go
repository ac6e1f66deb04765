package record

import (
	"fmt"
	"github.com/otelsec/otelsec/internal/ruleengine"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/events"
	"github.com/otelsec/otelsec/rules"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"net/netip"
	"testing"
	"time"

	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/procinfo"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/proctable"
)

// BenchmarkFill measures the builders' work per record, with batches taken as the receiver
// takes them (run with -benchmem: allocations per record are what the garbage collector pays
// for). listen is the event of BenchmarkReceiverThroughput (listen(-1): EBADF, no address);
// open adds a path, a flags list and a mode (a write below /etc); open-read a header read; connect an address; exec a short argv (a failed
// exec); exec-ok a successful one; exec-env that with a six-variable environment.
func BenchmarkFill(b *testing.B) {
	for _, c := range benchJobs(b) {
		b.Run(c.name, func(b *testing.B) {
			var f Filler
			bt := NewBatch(Host{ServiceName: "otelsec"}, "s", "v", 1024)
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if n++; n%1024 == 0 {
					bt.Take()
				}
				f.Fill(&c.job, bt.Append())
			}
		})
	}
}

// BenchmarkViewOrBuild compares, per event and with the default ruleset, what the sensor does
// for an event no rule matches with rules_filter (view it, evaluate the rules on the view) and
// without (build the record, evaluate the rules on it, as the processor does). view is an
// event seen before (its decision remembered: a build's header reads, a server's files),
// view-unseen one that differs from every recent one in what the rules read (its executable).
func BenchmarkViewOrBuild(b *testing.B) {
	e, _, err := ruleengine.Compile(rules.Default(), ruleengine.Options{})
	if err != nil {
		b.Fatal(err)
	}
	view := e.Prefilter(events.Known).NewView()
	res := pcommon.NewMap()
	unseen := make([]string, 1<<14)
	for i := range unseen {
		unseen[i] = fmt.Sprintf("/opt/tool-%d/bin/tool", i)
	}
	for _, c := range benchJobs(b) {
		b.Run("view/"+c.name, func(b *testing.B) {
			var f Filler
			b.ReportAllocs()
			for b.Loop() {
				f.View(&c.job, view)
				view.MayMatch()
			}
		})
		b.Run("view-unseen/"+c.name, func(b *testing.B) {
			var f Filler
			job := c.job
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				job.ExePath = unseen[i%len(unseen)]
				i++
				f.View(&job, view)
				view.MayMatch()
			}
		})
		b.Run("build/"+c.name, func(b *testing.B) {
			var f Filler
			var dst []*ruleengine.Rule
			bt := NewBatch(Host{ServiceName: "otelsec"}, "s", "v", 1024)
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if n++; n%1024 == 0 {
					bt.Take()
				}
				lr := bt.Append()
				f.Fill(&c.job, lr)
				dst = e.Match(res, lr, dst[:0])
			}
		})
	}
}

type benchJob struct {
	name string
	job  Job
}

// benchJobs are the events of the benchmarks, prepared.
func benchJobs(b testing.TB) []*benchJob {
	tb := proctable.New(proctable.Options{Capacity: 64, ProcRoot: b.TempDir()})
	tb.Exec(1, proctable.ExecInfo{ExePath: "/usr/lib/systemd/systemd", CmdLine: "/sbin/init"})
	tb.Exec(50, proctable.ExecInfo{PPID: 1, ExePath: "/usr/sbin/sshd", CmdLine: "sshd: /usr/sbin/sshd -D"})
	tb.Exec(100, proctable.ExecInfo{PPID: 50, ExePath: "/usr/bin/bash", CmdLine: "-bash", Cwd: "/home/alice"})
	bl := New(Options{Table: tb, Users: procinfo.NewUsers("/etc/passwd", 1024, time.Second)})
	who := kevent.Event{BootNs: 1000, UnixNano: 1_700_000_000_000_000_000, PID: 100, TID: 101, PPID: 50, UID: 1000, EUID: 1000,
		LoginUID: 1000, ThreadCapEffective: 0, ThreadCapPermitted: 0}
	copy(who.Comm[:], "bash")
	for pid, comm := range map[uint32]string{1: "systemd", 50: "sshd", 100: "bash"} {
		tb.SetComm(tb.Get(pid), []byte(comm))
	}
	tb.Get(100).StartBootNs = 500 // a process whose start is known, as nearly every one is
	listen := who
	listen.Kind, listen.Syscall, listen.Ret = kevent.KindNetworkListen, 50, -9
	connect := who
	connect.Kind, connect.Syscall, connect.Ret = kevent.KindNetworkConnect, 42, 0
	connect.Family, connect.SockType = kevent.AFInet, 1
	connect.Peer = kevent.Sockaddr{Family: kevent.AFInet, Port: 443, IP: netip.MustParseAddr("192.0.2.7")}
	exec := who
	exec.Kind, exec.Syscall, exec.Ret = kevent.KindProcessExec, 59, -2
	exec.Path, exec.Argv, exec.ArgCount = str("./run.sh"), str("./run.sh\x00--fast\x00/tmp/x\x00"), 3
	// exec-ok succeeds; exec-env is it with a container's environment (process.environment).
	execOK := exec
	execOK.Ret, execOK.Path, execOK.Cwd = 0, str("/usr/bin/run.sh"), str("/home/alice")
	execEnv := execOK
	execEnv.Env = str("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\x00HOSTNAME=3f4e2a1b9c0d\x00" +
		"HOME=/root\x00LANG=C.UTF-8\x00APP_ENV=production\x00HTTP_PROXY=http://proxy.internal:3128\x00")
	// open-read is the C build's usual event: the compiler reading a header.
	openRead := who
	openRead.Kind, openRead.Syscall, openRead.Ret = kevent.KindFileOpen, 257, 3
	openRead.Path, openRead.Flags = str("/usr/include/x86_64-linux-gnu/bits/types.h"), 0o2000000
	var jobs []*benchJob
	for _, c := range []struct {
		name string
		ev   *kevent.Event
	}{{"listen", &listen}, {"open", openat()}, {"open-read", &openRead}, {"connect", &connect}, {"exec", &exec}, {"exec-ok", &execOK}, {"exec-env", &execEnv}} {
		j := &benchJob{name: c.name}
		bl.Prepare(c.ev, bl.table.Before(c.ev), &j.job, 1)
		jobs = append(jobs, j)
	}
	return jobs
}
