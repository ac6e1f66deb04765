//go:build linux

package syscallreceiver

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"golang.org/x/sys/unix"

	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/metadata"
)

// childLoad makes count listen(-1) calls (EBADF: the cheapest syscall that is an event) at
// rate calls per second, 0 meaning as fast as it can. It prints the achieved rate.
func childLoad(arg string) error {
	f := strings.Split(arg, ",")
	if len(f) != 2 {
		return fmt.Errorf("load wants rate,count, got %q", arg)
	}
	rate, err1 := strconv.Atoi(f[0])
	count, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil {
		return fmt.Errorf("load wants rate,count, got %q", arg)
	}
	// listen is a high-value event (the priority ring); bind (EBADF) travels in the bulk ring.
	nr := uintptr(unix.SYS_LISTEN)
	if os.Getenv("OTELSEC_BENCH_EVENT") == schema.EventNetworkBind {
		nr = unix.SYS_BIND
	}
	// Paced by the millisecond: a millisecond's calls, then a sleep until they are due, as the
	// threads of a real workload leave the CPU between their syscalls. OTELSEC_BENCH_SPIN=1
	// busy-waits instead for the gaps under a millisecond (the benchmark before 2026-12-03):
	// each child then holds a vCPU whatever the rate, and on two vCPUs the receiver gets about
	// one core, so that it measured the scheduler's share more than the receiver.
	spin := os.Getenv("OTELSEC_BENCH_SPIN") == "1"
	chunk := 64
	if rate > 0 && !spin {
		chunk = max(chunk, rate/1000)
	}
	start := time.Now()
	for i := 0; i < count; i += chunk {
		for j := 0; j < chunk; j++ {
			_, _, _ = unix.RawSyscall(nr, ^uintptr(0), 0, 0)
		}
		if rate > 0 {
			due := start.Add(time.Duration(float64(i+chunk) / float64(rate) * float64(time.Second)))
			switch d := time.Until(due); {
			case !spin && d > 0, d > time.Millisecond:
				time.Sleep(d)
			case spin:
				for time.Now().Before(due) {
				}
			}
		}
	}
	fmt.Println(float64(count) / time.Since(start).Seconds())
	return nil
}

// counter counts the records it is given, the cheapest pipeline possible, so that the
// benchmark measures the receiver.
type counter struct{ n atomic.Int64 }

func (c *counter) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	c.n.Add(int64(ld.LogRecordCount()))
	return nil
}
func (c *counter) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

// generate runs procs load children sharing rate and count; it returns the rate they achieved
// together.
func generate(b *testing.B, procs, rate, count int) float64 {
	b.Helper()
	type result struct {
		rate float64
		err  error
	}
	res := make(chan result, procs)
	for range procs {
		go func() {
			cmd := exec.Command(os.Args[0], "-test.run=^$", fmt.Sprintf("%d,%d", rate/procs, count/procs))
			cmd.Env = append(os.Environ(), childEnv+"=load")
			out, err := cmd.Output()
			r, _ := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
			res <- result{r, err}
		}()
	}
	total := 0.0
	for range procs {
		r := <-res
		if r.err != nil {
			b.Fatal(r.err)
		}
		total += r.rate
	}
	return total
}

func cpuTime() time.Duration {
	var ru unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func rssKiB(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			v, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return v
		}
	}
	return 0
}

// BenchmarkReceiverThroughput drives the running receiver with a child process making
// network.listen events at fixed rates (0: unpaced, as fast as one core can) for about two
// seconds each and reports what reached the pipeline, what the kernel dropped (its exact
// ring-buffer counter), and the receiver's RSS. Run as root:
//
//	go test -run '^$' -bench ReceiverThroughput -benchtime 1x ./receiver/syscallreceiver/
func BenchmarkReceiverThroughput(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root to load the eBPF programs")
	}
	// A short ladder for `make bench`; OTELSEC_BENCH_RATES=r1,r2,... (0: unpaced) for a finer
	// one.
	rates := []int{200_000, 400_000, 800_000}
	if s := os.Getenv("OTELSEC_BENCH_RATES"); s != "" {
		rates = nil
		for _, f := range strings.Split(s, ",") {
			r, err := strconv.Atoi(f)
			if err != nil {
				b.Fatal(err)
			}
			rates = append(rates, r)
		}
	}
	// OTELSEC_BENCH_COUNT=n: each rate offers n events instead of two seconds' worth (with
	// rate 0, a burst as fast as the children can make it: what the ring must absorb).
	burst := 0
	if s := os.Getenv("OTELSEC_BENCH_COUNT"); s != "" {
		burst, _ = strconv.Atoi(s)
	}
	procs := 2
	if s := os.Getenv("OTELSEC_BENCH_PROCS"); s != "" {
		procs, _ = strconv.Atoi(s)
	}
	cnt := &counter{}
	cfg := createDefaultConfig()
	cfg.Events = []string{schema.EventNetworkListen}
	if ev := os.Getenv("OTELSEC_BENCH_EVENT"); ev != "" {
		cfg.Events = []string{ev}
	}
	if s := os.Getenv("OTELSEC_BENCH_RING"); s != "" {
		cfg.RingBufferSize, _ = strconv.Atoi(s)
	}
	if s := os.Getenv("OTELSEC_BENCH_PRIO_RING"); s != "" {
		cfg.PriorityRingBufferSize, _ = strconv.Atoi(s)
	}
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, cnt)
	if err != nil {
		b.Fatal(err)
	}
	if err := rcv.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = rcv.Shutdown(context.Background()) }()
	lr := rcv.(*logsReceiver)
	time.Sleep(200 * time.Millisecond)
	idle := rssKiB("VmRSS")

	for _, rate := range rates {
		name := "rate=" + strconv.Itoa(rate)
		if rate == 0 {
			name = "rate=unpaced"
		}
		b.Run(name, func(b *testing.B) {
			count := 2 * rate
			if rate == 0 {
				count = 3_000_000
			}
			if burst > 0 { // a burst of this many events at the rate, the ring's test
				count = burst
			}
			var sent, received, dropped, achieved, cpu float64
			for range b.N {
				cpu0 := cpuTime()
				drops0, _ := lr.tracer.Drops()
				n0 := cnt.n.Load()
				achieved += generate(b, procs, rate, count)
				// Wait until every event is delivered or dropped, or nothing moved for 2 s.
				var drops1 uint64
				for last, still := int64(-1), 0; still < 20; {
					drops1, _ = lr.tracer.Drops()
					n := cnt.n.Load()
					if n-n0+int64(drops1-drops0) >= int64(count) {
						break
					}
					if n == last {
						still++
					} else {
						still = 0
					}
					last = n
					time.Sleep(100 * time.Millisecond)
				}
				cpu += (cpuTime() - cpu0).Seconds()
				sent += float64(count)
				received += float64(cnt.n.Load() - n0)
				dropped += float64(drops1 - drops0)
			}
			n := float64(b.N)
			b.ReportMetric(achieved/n, "offered_ev/s")
			b.ReportMetric(received/n, "received")
			b.ReportMetric(dropped/n, "kernel_drops")
			b.ReportMetric(100*dropped/sent, "drop_%")
			// The receiver's own CPU per event (the child's is not counted): on a shared
			// machine the steadiest figure; 1e6/it is the events per second one core sustains.
			b.ReportMetric(cpu/received*1e6, "cpu_µs/event")
			b.ReportMetric(float64(rssKiB("VmHWM"))/1024, "peak_rss_MiB")
			b.ReportMetric(float64(idle)/1024, "idle_rss_MiB")
		})
	}
}
