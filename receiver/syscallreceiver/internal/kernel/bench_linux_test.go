//go:build linux

package kernel

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"

	"github.com/otelsec/otelsec/bpf/benchbpf"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

// BenchmarkSyscallOverhead measures what the programs add to the syscalls of a traced process,
// in one run so the figures compare:
//
//	none:      nothing attached
//	baseline:  a minimal program on sys_exit_openat that writes one 256-byte record
//	           (reserve+submit, BPF_RB_NO_WAKEUP), drained by a ReadInto loop: the floor of
//	           writing a record at all
//	openat:    only file.open selected, drained by Tracer.Read (decoding)
//	all:       every event selected (the default), drained by Tracer.Read
//
// for openat+close of a small file by its absolute path and by a name relative to the cwd
// (captured) and getppid (never captured). The parent
// benchmark logs ns added per syscall and the ratios.
// bestOf keeps each configuration's best chunk across -count runs.
var bestOf = map[string]float64{}

func BenchmarkSyscallOverhead(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root to load eBPF programs")
	}
	if n := foreignTracepointPrograms(); n > 0 {
		b.Logf("WARNING: %d tracepoint programs of other processes are loaded: 'none' is not a clean baseline", n)
	}
	file := filepath.Join(b.TempDir(), "f")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		b.Fatal(err)
	}
	openClose := func() {
		fd, err := unix.Openat(unix.AT_FDCWD, file, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			b.Fatal(err)
		}
		unix.Close(fd)
	}
	// openat-rel-close: the same file by a name relative to the cwd, so the program also walks
	// the working directory (the kernel path walk's cost).
	wd, err := os.Getwd()
	if err != nil {
		b.Fatal(err)
	}
	if err := os.Chdir(filepath.Dir(file)); err != nil {
		b.Fatal(err)
	}
	defer os.Chdir(wd)
	openRelClose := func() {
		fd, err := unix.Openat(unix.AT_FDCWD, "f", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			b.Fatal(err)
		}
		unix.Close(fd)
	}
	getppid := func() { unix.Getppid() }

	// The machines are shared: wall time per op swings with other load. The figures are CPU
	// time of the benchmarking thread (the programs run in its syscalls), taken per chunk of
	// 1000 ops; the fastest chunk is the least disturbed one and is what the ratios use.
	// reader-cpu-ns/op is the CPU the rest of the process (the ring reader, decoding the records
	// of every process on the machine) spent per op of this loop.
	res := map[string]float64{}
	run := func(name string, op func()) {
		b.Run(name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			const chunk = 1000
			best := math.Inf(1)
			t0, p0 := cpuNow(unix.CLOCK_THREAD_CPUTIME_ID), cpuNow(unix.CLOCK_PROCESS_CPUTIME_ID)
			c0, i := t0, 0
			for b.Loop() {
				op()
				if i++; i == chunk {
					c1 := cpuNow(unix.CLOCK_THREAD_CPUTIME_ID)
					best = min(best, float64(c1-c0)/chunk)
					c0, i = c1, 0
				}
			}
			t1, p1 := cpuNow(unix.CLOCK_THREAD_CPUTIME_ID), cpuNow(unix.CLOCK_PROCESS_CPUTIME_ID)
			if math.IsInf(best, 1) {
				best = float64(t1-t0) / float64(b.N)
			}
			b.ReportMetric(float64(t1-t0)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(best, "best-cpu-ns/op")
			// Every process's records, not only this loop's, go through the reader.
			b.ReportMetric(float64((p1-p0)-(t1-t0))/float64(b.N), "reader-cpu-ns/op")
			// With -count, the summary uses the best of all runs.
			if prev, ok := bestOf[name]; !ok || best < prev {
				bestOf[name] = best
			}
			res[name] = bestOf[name]
		})
	}
	configs := []struct {
		name  string
		start func(b *testing.B) func()
	}{
		{"none", func(*testing.B) func() { return func() {} }},
		{"baseline", startBaseline},
		{"openat", func(b *testing.B) func() { return startTracer(b, Options{Events: []string{"file.open"}}) }},
		{"all", func(b *testing.B) func() { return startTracer(b, Options{}) }},
	}
	for _, c := range configs {
		stop := c.start(b)
		run("openat-close/"+c.name, openClose)
		run("openat-rel-close/"+c.name, openRelClose)
		run("getppid/"+c.name, getppid)
		stop()
	}
	for _, op := range []string{"openat-close", "openat-rel-close", "getppid"} {
		none := res[op+"/none"]
		base := res["openat-close/baseline"] - res["openat-close/none"]
		for _, c := range configs[1:] {
			v := res[op+"/"+c.name]
			b.Logf("%-13s %-8s %7.0f best-cpu-ns/op  %+6.0f ns  x%.2f of none  added/baseline-added %.2f",
				op, c.name, v, v-none, v/none, (v-none)/base)
		}
	}
}

// foreignTracepointPrograms counts loaded tracepoint/tracing programs (before this benchmark
// loads any): they run on the benchmark's syscalls too.
func foreignTracepointPrograms() int {
	n := 0
	var id ebpf.ProgramID
	for {
		next, err := ebpf.ProgramGetNextID(id)
		if err != nil {
			return n
		}
		id = next
		p, err := ebpf.NewProgramFromID(id)
		if err != nil {
			continue
		}
		if t := p.Type(); t == ebpf.TracePoint || t == ebpf.Tracing || t == ebpf.RawTracepoint {
			n++
		}
		p.Close()
	}
}

func cpuNow(clock int32) int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(clock, &ts)
	return ts.Nano()
}

func startTracer(b *testing.B, opts Options) func() {
	tr, err := New(opts)
	if err != nil {
		b.Fatal(err)
	}
	if err := tr.Start(); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		tr.Read(ctx, func(*kevent.Event) {})
		close(done)
	}()
	return func() {
		cancel()
		<-done
		if d, _ := tr.Drops(); d > 0 {
			b.Logf("%d records dropped", d)
		}
		tr.Close()
	}
}

// startBaseline loads the benchmark object's bench_baseline on sys_exit_openat and drains its
// ring.
func startBaseline(b *testing.B) func() {
	spec, err := benchbpf.LoadBench()
	if err != nil {
		b.Fatal(err)
	}
	spec.Maps[benchbpf.BenchMapEvents].MaxEntries = DefaultRingBufferSize
	var objs benchbpf.BenchObjects
	if err := spec.LoadAndAssign(&objs, nil); err != nil {
		b.Fatal(err)
	}
	l, err := link.Tracepoint("syscalls", "sys_exit_openat", objs.BenchBaseline, nil)
	if err != nil {
		b.Fatal(err)
	}
	rd, err := ringbuf.NewReader(objs.Events)
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var rec ringbuf.Record
		rd.SetDeadline(time.Now().Add(DefaultPollInterval))
		for {
			err := rd.ReadInto(&rec)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				rd.SetDeadline(time.Now().Add(DefaultPollInterval))
				continue
			}
			if err != nil {
				return
			}
		}
	}()
	return func() {
		l.Close()
		rd.Close()
		<-done
		objs.Close()
	}
}
