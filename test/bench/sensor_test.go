//go:build linux

// Package bench measures what a user of the sensor feels: how much slower a real workload gets
// while the built otelcol-sec runs with `--config otelsec:default`, and what the sensor itself
// costs (CPU per event it saw, CPU while nothing happens, peak RSS). Every figure is a ratio
// against sensor-off runs of the same workload in the same benchmark, alternated so that a
// change in the machine's load hits both sides.
package bench

import (
	"bufio"
	"errors"
	"fmt"
	"github.com/otelsec/otelsec/internal/testport"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// userHZ is the unit of utime and stime in /proc/<pid>/stat: USER_HZ, 100 on every Linux ABI
// the sensor runs on (getconf CLK_TCK).
const userHZ = 100

// requireSensor skips the benchmark, with the reason, unless it can run the real sensor and the
// given programs. It returns the binary's path.
func requireSensor(b *testing.B, programs ...string) string {
	b.Helper()
	if os.Geteuid() != 0 {
		b.Skip("the sensor loads eBPF programs: run as root")
	}
	bin := os.Getenv("OTELSEC_BINARY")
	if bin == "" {
		b.Skip("OTELSEC_BINARY is unset: run `make bench`, which builds _build/otelcol-sec and sets it")
	}
	if _, err := os.Stat(bin); err != nil {
		b.Fatalf("OTELSEC_BINARY: %v", err)
	}
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			b.Skipf("%s is not installed (`make bench` and .ci/run install it with apt-get)", p)
		}
	}
	return bin
}

// freePorts returns n loopback ports that nothing listened on, all different.
func freePorts(b *testing.B, n int) []int {
	b.Helper()
	ports := make([]int, n)
	for i := range ports {
		ports[i] = testport.Free(b)
	}
	return ports
}

// sensor is one running otelcol-sec with the default configuration.
type sensor struct {
	b       *testing.B
	cmd     *exec.Cmd
	exited  chan struct{}
	metrics string // the Prometheus endpoint's URL
	logPath string
}

// startSensor runs the binary as `make run` does (the environment's GOGC, if any; the
// receiver's own garbage-collector default otherwise) with its own
// health and metrics ports, alerts (stdout) and logs (stderr) going to files, and returns once
// the health check answers and the receiver's counters are published.
func startSensor(b *testing.B, bin string) *sensor {
	b.Helper()
	dir := b.TempDir()
	ports := freePorts(b, 2)
	health := fmt.Sprintf("127.0.0.1:%d", ports[0])
	s := &sensor{
		b:       b,
		metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", ports[1]),
		logPath: filepath.Join(dir, "sensor.log"),
	}
	alerts, err := os.Create(filepath.Join(dir, "alerts.txt"))
	if err != nil {
		b.Fatal(err)
	}
	logf, err := os.Create(s.logPath)
	if err != nil {
		b.Fatal(err)
	}
	s.cmd = exec.Command(bin, "--config", "otelsec:default")
	s.cmd.Env = append(os.Environ(),
		"OTELSEC_HEALTH_ENDPOINT="+health,
		"OTELSEC_METRICS_PORT="+strconv.Itoa(ports[1]))
	s.cmd.Stdout, s.cmd.Stderr = alerts, logf
	if err := s.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	s.exited = make(chan struct{})
	go func() { _ = s.cmd.Wait(); alerts.Close(); logf.Close(); close(s.exited) }()
	b.Cleanup(s.stop)

	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-s.exited:
			b.Fatalf("the sensor exited during start:\n%s", s.logTail())
		default:
		}
		if healthy(health) {
			if _, err := s.counters(); err == nil {
				return s
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("the sensor was not ready 60 s after start:\n%s", s.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func healthy(endpoint string) bool {
	resp, err := http.Get("http://" + endpoint + "/")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func (s *sensor) logTail() string {
	data, _ := os.ReadFile(s.logPath)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return strings.Join(lines, "\n")
}

// stop ends the sensor with SIGTERM, as systemd would; it is safe to call twice.
func (s *sensor) stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.b.Errorf("the sensor did not stop within 30 s of SIGTERM")
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// usage is a snapshot of what the sensor has spent and seen so far.
type usage struct {
	cpu     time.Duration // utime+stime of every thread
	events  float64       // kernel events read and decoded, or left out by the kernel for the rules
	dropped float64       // events lost, for any reason
}

func (u usage) sub(v usage) usage {
	return usage{cpu: u.cpu - v.cpu, events: u.events - v.events, dropped: u.dropped - v.dropped}
}

func (s *sensor) usage() usage {
	s.b.Helper()
	c, err := s.counters()
	if err != nil {
		s.b.Fatal(err)
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		s.b.Fatal(err)
	}
	// The fields after the command name, which is in parentheses and may hold spaces:
	// state is field 3, utime 14 and stime 15 (proc(5)).
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		s.b.Fatalf("/proc/%d/stat: %q", s.cmd.Process.Pid, stat)
	}
	c.cpu = time.Duration(ut+st) * time.Second / userHZ
	return c
}

// counters reads the receiver's own counters from the collector's Prometheus endpoint (see
// receiver/syscallreceiver/metadata.yaml); an error until the receiver has published them.
func (s *sensor) counters() (usage, error) {
	resp, err := http.Get(s.metrics)
	if err != nil {
		return usage{}, err
	}
	defer resp.Body.Close()
	var u usage
	seen := false
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		name, rest, _ := strings.Cut(sc.Text(), "{")
		if i := strings.IndexByte(name, ' '); i >= 0 {
			name, rest = name[:i], name[i:]
		}
		var dst *float64
		switch name {
		case "otelcol_receiver_syscall_events_received":
			dst, seen = &u.events, true
		case "otelcol_receiver_syscall_events_dropped":
			dst = &u.dropped
		case "otelcol_receiver_syscall_events_filtered":
			// Opens left out in the kernel (failed ones no rule wants, and those decided
			// before): the workload made them and the sensor decided them, as it decided
			// those it read.
			if !strings.Contains(rest, `decided="kernel"`) && !strings.Contains(rest, `decided="kernel_remembered"`) {
				continue
			}
			dst = &u.events
		default:
			continue
		}
		v, err := strconv.ParseFloat(rest[strings.LastIndexByte(rest, ' ')+1:], 64)
		if err != nil {
			return usage{}, fmt.Errorf("metrics line %q: %v", sc.Text(), err)
		}
		*dst += v
	}
	if err := sc.Err(); err != nil {
		return usage{}, err
	}
	if !seen {
		return usage{}, errors.New("otelcol_receiver_syscall_events_received is not published yet")
	}
	return u, nil
}

// memory reads a field of /proc/<pid>/status in MiB: VmHWM is the peak resident set, VmRSS the
// current one.
func (s *sensor) memory(field string) float64 {
	s.b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		s.b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kib, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				s.b.Fatalf("%s: %q", field, line)
			}
			return kib / 1024
		}
	}
	s.b.Fatalf("no %s in /proc/%d/status", field, s.cmd.Process.Pid)
	return 0
}

// idleCPU is the sensor's CPU while this benchmark does nothing, as a percentage of one core
// over window, and the events per second it saw meanwhile: the machine is not silent (its own
// daemons, other users), so the percentage is an upper bound of the sensor's idle cost.
func (s *sensor) idleCPU(window time.Duration) (pct, eventsPerSecond float64) {
	before := s.usage()
	start := time.Now()
	time.Sleep(window)
	spent := s.usage().sub(before)
	took := time.Since(start).Seconds()
	return 100 * spent.cpu.Seconds() / took, spent.events / took
}
