//go:build linux

package kernel

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"

	"github.com/otelsec/otelsec/bpf"
	"github.com/otelsec/otelsec/bpf/benchbpf"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

// BenchmarkSyscallOverhead measures what the programs add to the syscalls of a traced process.
// The configurations, loaded once and attached in turn:
//
//	none:      nothing attached
//	baseline:  a minimal program on sys_exit_openat that writes one 256-byte record
//	           (reserve+submit, BPF_RB_NO_WAKEUP), drained by a ReadInto loop: the floor of
//	           writing a record at all
//	openat:    only file.open selected, drained by Tracer.Read (decoding)
//	all:       every event selected (the default), drained by Tracer.Read
//
// for openat+close of a small file by its absolute path and by a name relative to the cwd
// (captured) and getppid (never captured). Each sub-benchmark (one per syscall loop) cycles
// through the configurations, a visit of at least visitTime each, starting each round with the
// next one, so that a machine that drifts (shared VMs do) weighs on all of them alike; the
// figures compare within one sub-benchmark. They are CPU time of the benchmarking thread (the
// programs run in its syscalls) per chunk of 1000 ops; the fastest chunk of a configuration is
// its least disturbed one and is what <config>-ns/op reports (<config>-med-ns/op: the median
// chunk). openat-close also reports the ratio of issue 8, openat-added/baseline-added: what the
// openat program adds to the syscalls over what the baseline adds. At the end the summary
// (added ns, ratios) is printed to stdout, with or without -v. Use -benchtime 3s or more for
// several rounds.
func BenchmarkSyscallOverhead(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root to load eBPF programs")
	}
	if n := foreignTracepointPrograms(); n > 0 {
		// stdout: b.Logf of a benchmark with sub-benchmarks does not always show
		fmt.Printf("WARNING: %d tracepoint programs of other processes are loaded: 'none' is not a clean baseline\n", n)
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

	configs := []*benchConfig{
		{name: "none", attach: func() error { return nil }, detach: func() {}},
		loadBaseline(b),
		loadTracer(b, "openat", Options{Events: []string{"file.open"}}),
		loadTracer(b, "all", Options{}),
	}
	ops := []struct {
		name string
		op   func()
	}{{"openat-close", openClose}, {"openat-rel-close", openRelClose}, {"getppid", getppid}}
	// best[op][config], med[op][config]: ns per op
	best := map[string]map[string]float64{}
	med := map[string]map[string]float64{}
	for _, o := range ops {
		b.Run(o.name, func(b *testing.B) {
			bst, md := alternate(b, configs, o.op)
			best[o.name], med[o.name] = bst, md
			for _, c := range configs {
				b.ReportMetric(bst[c.name], c.name+"-ns/op")
				b.ReportMetric(md[c.name], c.name+"-med-ns/op")
			}
			if o.name == "openat-close" {
				base := bst["baseline"] - bst["none"]
				b.ReportMetric((bst["openat"]-bst["none"])/base, "openat-added/baseline-added")
				b.ReportMetric((bst["all"]-bst["none"])/base, "all-added/baseline-added")
			}
		})
	}
	// The summary: against the baseline's addition to openat-close, from the same alternation.
	oc := best["openat-close"]
	if oc == nil {
		return
	}
	base := oc["baseline"] - oc["none"]
	fmt.Printf("BenchmarkSyscallOverhead summary (best chunk; med: median chunk), baseline adds %+.0f ns to openat-close\n", base)
	for _, o := range ops {
		r, m := best[o.name], med[o.name]
		if r == nil {
			continue
		}
		for _, c := range configs[1:] {
			fmt.Printf("  %-16s %-8s %6.0f ns/op (none %6.0f)  %+6.0f ns  x%.2f of none  added/baseline-added %.2f  (med %+6.0f ns, %.2f)\n",
				o.name, c.name, r[c.name], r["none"], r[c.name]-r["none"], r[c.name]/r["none"],
				(r[c.name]-r["none"])/base, m[c.name]-m["none"], (m[c.name]-m["none"])/(med["openat-close"]["baseline"]-med["openat-close"]["none"]))
		}
	}
}

// benchConfig is one configuration of BenchmarkSyscallOverhead: loaded once, attached for each
// of its visits.
type benchConfig struct {
	name   string
	attach func() error
	detach func()
}

// visitTime is how long a configuration stays attached per visit (at least: whole chunks).
const visitTime = 40 * time.Millisecond

// alternate runs op under each configuration in turn until b.Loop ends, and returns each
// configuration's fastest and median chunk, in CPU ns per op of the benchmarking thread.
func alternate(b *testing.B, configs []*benchConfig, op func()) (best, median map[string]float64) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const chunk = 1000
	chunks := make([][]float64, len(configs))
	cur, round := 0, 0
	if err := configs[cur].attach(); err != nil {
		b.Fatal(err)
	}
	visitStart := time.Now()
	c0, i := cpuNow(unix.CLOCK_THREAD_CPUTIME_ID), 0
	for b.Loop() {
		op()
		if i++; i < chunk {
			continue
		}
		c1 := cpuNow(unix.CLOCK_THREAD_CPUTIME_ID)
		chunks[cur] = append(chunks[cur], float64(c1-c0)/chunk)
		i = 0
		if time.Since(visitStart) >= visitTime {
			configs[cur].detach()
			if cur = (cur + 1) % len(configs); cur == round%len(configs) {
				// a round is over: the next one starts with the next configuration
				round++
				cur = round % len(configs)
			}
			if err := configs[cur].attach(); err != nil {
				b.Fatal(err)
			}
			visitStart = time.Now()
		}
		c0 = cpuNow(unix.CLOCK_THREAD_CPUTIME_ID)
	}
	configs[cur].detach()
	best, median = map[string]float64{}, map[string]float64{}
	for k, c := range configs {
		if len(chunks[k]) == 0 {
			b.Fatalf("configuration %s got no chunk of %d ops: raise -benchtime", c.name, chunk)
		}
		slices.Sort(chunks[k])
		best[c.name] = chunks[k][0]
		median[c.name] = chunks[k][len(chunks[k])/2]
	}
	b.Logf("%d rounds", round+1)
	return best, median
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

// loadTracer starts a Tracer with opts whose programs are then detached and re-attached per
// visit; its Read runs throughout, and everything is closed with the benchmark.
func loadTracer(b *testing.B, name string, opts Options) *benchConfig {
	tr, err := New(opts)
	if err != nil {
		b.Fatal(err)
	}
	if err := tr.Start(); err != nil {
		b.Fatal(err)
	}
	feat, err := Probe()
	if err != nil {
		b.Fatal(err)
	}
	spec, err := bpf.LoadOtelsec()
	if err != nil {
		b.Fatal(err)
	}
	p, err := tr.plan(feat, spec)
	if err != nil {
		b.Fatal(err)
	}
	detach := func() {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		if err := tr.detachLocked(); err != nil {
			b.Fatal(err)
		}
	}
	detach()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		tr.Read(ctx, func(*kevent.Event) {})
		close(done)
	}()
	b.Cleanup(func() {
		cancel()
		<-done
		if d, _ := tr.Drops(); d > 0 {
			b.Logf("%s: %d records dropped", name, d)
		}
		tr.Close()
	})
	return &benchConfig{
		name: name,
		attach: func() error {
			tr.mu.Lock()
			defer tr.mu.Unlock()
			tr.unavailable = nil
			return tr.attachAll(tr.progs, p)
		},
		detach: detach,
	}
}

// loadBaseline loads the benchmark object's bench_baseline, attached to sys_exit_openat per
// visit, and drains its ring throughout. A reader without a deadline would never wake: the
// program writes with BPF_RB_NO_WAKEUP.
func loadBaseline(b *testing.B) *benchConfig {
	spec, err := benchbpf.LoadBench()
	if err != nil {
		b.Fatal(err)
	}
	spec.Maps[benchbpf.BenchMapEvents].MaxEntries = DefaultRingBufferSize
	var objs benchbpf.BenchObjects
	if err := spec.LoadAndAssign(&objs, nil); err != nil {
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
	b.Cleanup(func() {
		rd.Close()
		<-done
		objs.Close()
	})
	var l link.Link
	return &benchConfig{
		name: "baseline",
		attach: func() error {
			var err error
			l, err = link.Tracepoint("syscalls", "sys_exit_openat", objs.BenchBaseline, nil)
			return err
		},
		detach: func() {
			l.Close()
		},
	}
}
