package ruleengine

import (
	"fmt"
	"math/rand"
	"runtime"
	"slices"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"golang.org/x/sys/unix"

	"github.com/otelsec/otelsec/internal/logview"
	"github.com/otelsec/otelsec/internal/schema"
)

// benchSources is the default ruleset, read from disk: this package cannot import rules
// (rules imports it).
func benchSources(tb testing.TB) []Source {
	srcs, err := LoadFiles([]string{"../../rules/*.yaml"})
	if err != nil {
		tb.Fatal(err)
	}
	return srcs
}

// mixRecords builds a realistic record mix as the syscall receiver emits it: mostly file.open
// (libraries, /proc, project files, the odd sensitive file), some process.exec, network.connect,
// fork and exit, every record with the full process context.
func mixRecords(n int, seed int64) (pcommon.Map, []plog.LogRecord) {
	rng := rand.New(rand.NewSource(seed))
	res := pcommon.NewMap()
	res.PutStr(schema.AttrHostName, "web-1")
	res.PutStr(schema.AttrHostID, "3f1c2b")
	res.PutStr(schema.AttrOSType, "linux")
	res.PutStr(schema.AttrServiceName, "otelsec")
	type proc struct {
		exe, path, parent, user string
		ancestors               []string
	}
	procs := []proc{
		{"bash", "/usr/bin/bash", "sshd", "alice", []string{"sshd", "sshd", "systemd"}},
		{"python3", "/usr/bin/python3", "bash", "alice", []string{"bash", "sshd", "systemd"}},
		{"nginx", "/usr/sbin/nginx", "nginx", "www-data", []string{"nginx", "systemd"}},
		{"postgres", "/usr/lib/postgresql/15/bin/postgres", "postgres", "postgres", []string{"postgres", "systemd"}},
		{"go", "/usr/local/go/bin/go", "bash", "alice", []string{"bash", "tmux", "systemd"}},
		{"node", "/usr/bin/node", "npm", "app", []string{"npm", "bash", "containerd-shim"}},
		{"sh", "/usr/bin/sh", "nginx", "www-data", []string{"nginx", "systemd"}},
		{"cat", "/usr/bin/cat", "bash", "root", []string{"bash", "sudo", "sshd"}},
	}
	openPaths := []string{
		"/usr/lib/x86_64-linux-gnu/libc.so.6", "/etc/ld.so.cache", "/proc/self/stat", "/proc/1234/cmdline",
		"/home/alice/project/main.go", "/home/alice/project/go.mod", "/tmp/go-build123/b001/importcfg",
		"/var/lib/postgresql/15/main/base/16384/2619", "/usr/share/zoneinfo/UTC", "/dev/null",
		"/etc/nsswitch.conf", "/etc/passwd", "/var/log/nginx/access.log", "/sys/fs/cgroup/cpu.max",
		"/etc/shadow", "/root/.ssh/id_rsa", "/home/alice/.aws/credentials", "/etc/cron.d/backup",
	}
	execs := []string{"/usr/bin/ls", "/usr/bin/git", "/usr/bin/bash", "/tmp/x", "/usr/bin/curl", "/usr/bin/sudo"}
	peers := []string{"10.0.0.5", "127.0.0.1", "93.184.216.34", "::1"}
	recs := make([]plog.LogRecord, n)
	for i := range recs {
		lr := plog.NewLogRecord()
		p := procs[rng.Intn(len(procs))]
		a := lr.Attributes()
		r := rng.Intn(100)
		switch {
		case r < 70:
			lr.SetEventName(schema.EventFileOpen)
			a.PutStr(schema.AttrSyscallName, "openat")
		case r < 80:
			lr.SetEventName(schema.EventProcessExec)
			a.PutStr(schema.AttrSyscallName, "execve")
		case r < 90:
			lr.SetEventName(schema.EventNetworkConnect)
			a.PutStr(schema.AttrSyscallName, "connect")
		case r < 95:
			lr.SetEventName(schema.EventProcessFork)
			a.PutStr(schema.AttrSyscallName, "clone")
		default:
			lr.SetEventName(schema.EventProcessExit)
		}
		a.PutInt(schema.AttrSyscallReturn, 3)
		a.PutInt(schema.AttrProcessPID, int64(1000+rng.Intn(50)))
		a.PutInt(schema.AttrThreadID, int64(1000+rng.Intn(50)))
		a.PutInt(schema.AttrProcessParentPID, 900)
		a.PutStr(schema.AttrProcessExecutablePath, p.path)
		a.PutStr(schema.AttrProcessExecutableName, p.exe)
		a.PutStr(schema.AttrProcessCommandLine, p.exe+" --flag value")
		a.PutStr(schema.AttrProcessWorkingDirectory, "/home/alice")
		a.PutInt(schema.AttrProcessUserID, 1000)
		a.PutInt(schema.AttrProcessRealUserID, 1000)
		a.PutStr(schema.AttrProcessUserName, p.user)
		a.PutBool(schema.AttrProcessInteractive, p.exe == "bash")
		a.PutStr(schema.AttrProcessParentExecutableName, p.parent)
		a.PutStr(schema.AttrProcessParentExecutablePath, "/usr/sbin/"+p.parent)
		a.PutStr(schema.AttrProcessParentCommandLine, p.parent)
		anc := a.PutEmptySlice(schema.AttrProcessAncestorsExecName)
		for _, x := range p.ancestors {
			anc.AppendEmpty().SetStr(x)
		}
		switch lr.EventName() {
		case schema.EventFileOpen:
			a.PutStr(schema.AttrFilePath, openPaths[rng.Intn(len(openPaths))])
			fl := a.PutEmptySlice(schema.AttrFileFlags)
			if rng.Intn(10) == 0 {
				fl.AppendEmpty().SetStr("O_WRONLY")
				fl.AppendEmpty().SetStr("O_CREAT")
			} else {
				fl.AppendEmpty().SetStr("O_RDONLY")
			}
			fl.AppendEmpty().SetStr("O_CLOEXEC")
			if rng.Intn(20) == 0 {
				a.PutStr(schema.AttrErrorType, "ENOENT")
			}
		case schema.EventProcessExec:
			path := execs[rng.Intn(len(execs))]
			a.PutStr(schema.AttrProcessExecutablePath, path)
			a.PutStr(schema.AttrProcessExecutableName, basename(path))
			args := a.PutEmptySlice(schema.AttrProcessCommandArgs)
			args.AppendEmpty().SetStr(basename(path))
			args.AppendEmpty().SetStr("-l")
			a.PutInt(schema.AttrProcessArgsCount, 2)
		case schema.EventNetworkConnect:
			a.PutStr(schema.AttrNetworkPeerAddress, peers[rng.Intn(len(peers))])
			a.PutInt(schema.AttrNetworkPeerPort, int64([]int{443, 5432, 4444, 80}[rng.Intn(4)]))
			a.PutStr(schema.AttrNetworkTransport, "tcp")
			a.PutStr(schema.AttrNetworkType, "ipv4")
		case schema.EventProcessFork:
			a.PutInt(schema.AttrProcessChildPID, 2000)
		case schema.EventProcessExit:
			a.PutInt(schema.AttrProcessExitCode, 0)
		}
		recs[i] = lr
	}
	return res, recs
}

// naive is the baseline: every rule's (expanded) condition evaluated on every record, with
// cel.Variable declarations and a map[string]any activation built per record.
type naive struct {
	rules []*Rule
	progs []cel.Program
	attrs []string
	lists map[string][]string
}

func newNaive(tb testing.TB, e *Engine, optimize bool) *naive {
	opts := helperFuncs()
	n := &naive{}
	for name, t := range e.attrType {
		opts = append(opts, cel.Variable(name, t.cel()))
		n.attrs = append(n.attrs, name)
	}
	opts = append(opts, cel.Variable(EventNameAttr, cel.StringType))
	for name := range e.lists {
		opts = append(opts, cel.Variable(name, cel.ListType(cel.StringType)))
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	for _, r := range e.rules {
		a, iss := env.Compile(r.Condition)
		if iss.Err() != nil {
			tb.Fatal(iss.Err())
		}
		popts := []cel.ProgramOption{cel.Functions(notOverload)}
		if optimize {
			popts = append(popts, cel.EvalOptions(cel.OptOptimize))
		}
		p, err := env.Program(a, popts...)
		if err != nil {
			tb.Fatal(err)
		}
		n.rules = append(n.rules, r)
		n.progs = append(n.progs, p)
	}
	n.lists = e.lists
	return n
}

func (n *naive) match(res pcommon.Map, lr plog.LogRecord, dst []*Rule) []*Rule {
	vars := make(map[string]any, 32)
	for name, items := range n.lists {
		vars[name] = items
	}
	res.Range(func(k string, v pcommon.Value) bool { vars[k] = v.AsRaw(); return true })
	lr.Attributes().Range(func(k string, v pcommon.Value) bool { vars[k] = v.AsRaw(); return true })
	if en := logview.EventName(lr); en != "" {
		vars[EventNameAttr] = en
	}
	if lr.Body().Type() != pcommon.ValueTypeEmpty {
		vars[BodyIdent] = lr.Body().AsRaw()
	}
	for i, p := range n.progs {
		if v, _, _ := p.Eval(vars); v == types.True {
			dst = append(dst, n.rules[i])
		}
	}
	return dst
}

func TestEngineAgreesWithNaive(t *testing.T) {
	e, _, err := Compile(benchSources(t), Options{MatchAll: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range e.rules {
		if r.fast == nil {
			t.Errorf("default rule %q runs on cel-go, several times slower: %s (extend the fast path in fastcompile.go or rewrite the condition)", r.Name, r.slowReason)
		}
	}
	ec, _, err := Compile(benchSources(t), Options{MatchAll: true, celOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	nv := newNaive(t, e, false)
	res, recs := mixRecords(5000, 1)
	matched := 0
	for i, lr := range recs {
		got := e.Match(res, lr, nil)
		want := nv.match(res, lr, nil)
		if !slices.Equal(names(got), names(want)) {
			t.Fatalf("record %d (%s): engine %v, naive %v", i, lr.EventName(), names(got), names(want))
		}
		if cel := ec.Match(res, lr, nil); !slices.Equal(names(cel), names(want)) {
			t.Fatalf("record %d (%s): engine on cel-go %v, naive %v", i, lr.EventName(), names(cel), names(want))
		}
		matched += len(got)
	}
	if matched == 0 {
		t.Fatal("the mix matched no rule: the comparison proves nothing")
	}
	t.Logf("%d records, %d matches, %d rules", len(recs), matched, len(e.Rules()))
}

// BenchmarkMatch measures records/s through Match with the default ruleset on a realistic mix,
// against the naive baseline in the same run. "records=256" cycles a working set that stays in
// the CPU caches (a batch fresh from the receiver); "records=4096" one that does not.
func threadCPU() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}

func BenchmarkMatch(b *testing.B) {
	srcs := benchSources(b)
	e, _, err := Compile(srcs, Options{})
	if err != nil {
		b.Fatal(err)
	}
	ec, _, err := Compile(srcs, Options{celOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	naiveOpt := newNaive(b, e, true)
	naivePlain := newNaive(b, e, false)
	for _, n := range []int{256, 4096} {
		res, recs := mixRecords(n, 1)
		var dst []*Rule
		run := func(name string, match func(pcommon.Map, plog.LogRecord, []*Rule) []*Rule) {
			b.Run(fmt.Sprintf("records=%d/%s", n, name), func(b *testing.B) {
				// The machines are shared: besides wall time, report the CPU time this thread
				// spent, which other processes do not inflate.
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				b.ReportAllocs()
				cpu0 := threadCPU()
				for i := 0; b.Loop(); i++ {
					dst = match(res, recs[i%len(recs)], dst[:0])
				}
				cpu := threadCPU() - cpu0
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
				b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/record")
			})
		}
		run("engine", e.Match)
		run("engine_cel", ec.Match)
		run("naive", naivePlain.match)
		run("naive_optimized", naiveOpt.match)
	}
}
