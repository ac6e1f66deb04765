//go:build linux

package kernel

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

// BenchmarkExecEnvironment measures what copying the environment adds to the exec program
// (on_exec), in one run: the kernel's own accounting of the program's run time
// (BPF_STATS_RUN_TIME), per run, with MaxEnvBytes 0 (off), 256 and 2048, for execs of true
// with a 3 KiB environment (the bound applies). A whole fork+exec costs far more and varies
// too much for the difference to show in wall time, so that is not what is reported.
func BenchmarkExecEnvironment(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root to load eBPF programs")
	}
	stats, err := ebpf.EnableStats(unix.BPF_STATS_RUN_TIME)
	if err != nil {
		b.Skipf("BPF run-time statistics: %v", err)
	}
	defer stats.Close()
	env := []string{"PATH=/usr/bin:/bin"}
	for i := 0; len(strings.Join(env, "")) < 3072; i++ {
		env = append(env, "OTELSEC_BENCH_"+strings.Repeat("V", 8)+"="+strings.Repeat("x", 100))
	}
	for _, c := range []struct {
		name string
		max  int
	}{{"env-off", 0}, {"env-256", 256}, {"env-2048", 2048}} {
		b.Run(c.name, func(b *testing.B) {
			tr, err := New(Options{Events: []string{"process.exec"}, MaxEnvBytes: c.max})
			if err != nil {
				b.Fatal(err)
			}
			if err := tr.Start(); err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { tr.Read(ctx, func(*kevent.Event) {}); close(done) }()
			defer func() { cancel(); <-done; tr.Close() }()
			prog := tr.progs.Programs["on_exec"]
			if prog == nil {
				b.Fatal("no on_exec program")
			}
			s0, err := prog.Stats()
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				cmd := exec.Command("/usr/bin/true")
				cmd.Env = env
				if err := cmd.Run(); err != nil {
					b.Fatal(err)
				}
			}
			s1, err := prog.Stats()
			if err != nil {
				b.Fatal(err)
			}
			if n := s1.RunCount - s0.RunCount; n > 0 {
				b.ReportMetric(float64(s1.Runtime-s0.Runtime)/float64(n), "on_exec-ns/run")
			}
		})
	}
}
