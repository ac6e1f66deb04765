//go:build linux

// Package e2e runs the built otelcol-sec binary the way users run it: a sensor instance with the
// embedded configurations, a second instance as the OTLP "backend" (otlp receiver -> file), real
// syscalls in between. Nothing is mocked; every test needs root (the sensor loads eBPF).
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"github.com/otelsec/otelsec/internal/testport"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

var binary string

func TestMain(m *testing.M) {
	if os.Geteuid() != 0 {
		fmt.Println("e2e: skipped, the sensor loads eBPF programs and needs root")
		os.Exit(0)
	}
	var err error
	if binary, err = findBinary(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// findBinary uses the binary `make test` built (OTELSEC_BINARY) or builds it with ocb once.
func findBinary() (string, error) {
	if b := os.Getenv("OTELSEC_BINARY"); b != "" {
		if _, err := os.Stat(b); err != nil {
			return "", fmt.Errorf("OTELSEC_BINARY: %w", err)
		}
		return b, nil
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		return "", err
	}
	cmd := exec.Command("make", "build")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("make build: %v\n%s", err, out)
	}
	return filepath.Join(root, "_build", "otelcol-sec"), nil
}

func freePort(t testing.TB) int {
	t.Helper()
	return testport.Free(t)
}

// collector is one running otelcol-sec process.
type collector struct {
	t       testing.TB
	name    string
	args    []string
	env     []string
	health  string
	metrics string
	logPath string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
}

// newCollector prepares an instance; config is an otelsec: URI or a YAML file path.
func newCollector(t testing.TB, name, config string, env ...string) *collector {
	hp, mp := freePort(t), freePort(t)
	c := &collector{
		t: t, name: name,
		args:    []string{"--config", config},
		health:  fmt.Sprintf("127.0.0.1:%d", hp),
		metrics: fmt.Sprintf("%d", mp),
		logPath: filepath.Join(t.TempDir(), name+".log"),
	}
	c.env = append(os.Environ(),
		"OTELSEC_HEALTH_ENDPOINT="+c.health,
		"OTELSEC_METRICS_PORT="+c.metrics)
	c.env = append(c.env, env...)
	t.Cleanup(func() {
		c.stop()
		if t.Failed() {
			b, _ := os.ReadFile(c.logPath)
			t.Logf("--- %s log ---\n%s", name, tail(b, 60))
		}
	})
	return c
}

func tail(b []byte, lines int) string {
	s := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(s) > lines {
		s = s[len(s)-lines:]
	}
	return strings.Join(s, "\n")
}

// start launches the process and waits until its health check answers.
func (c *collector) start() {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	logf, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.Command(binary, c.args...)
	cmd.Env = c.env
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	exited := make(chan struct{})
	c.cmd, c.exited = cmd, exited
	go func() { _ = cmd.Wait(); logf.Close(); close(exited) }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			b, _ := os.ReadFile(c.logPath)
			c.t.Fatalf("%s exited during start:\n%s", c.name, tail(b, 40))
		default:
		}
		resp, err := http.Get("http://" + c.health + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("%s not healthy after 60s", c.name)
}

// stop sends SIGTERM, as systemd or a user would, and waits for a clean exit.
func (c *collector) stop() {
	if took, ok := c.terminate(30 * time.Second); !ok {
		c.t.Errorf("%s did not stop within %v of SIGTERM", c.name, took.Round(time.Second))
	}
}

// terminate sends SIGTERM and waits up to timeout for the exit; past it the process is killed.
// It reports how long the process took and whether it exited by itself.
func (c *collector) terminate(timeout time.Duration) (time.Duration, bool) {
	return c.signal(syscall.SIGTERM, timeout)
}

// kill ends the process with SIGKILL, as the OOM killer or a crash would: no shutdown runs.
func (c *collector) kill() {
	c.signal(syscall.SIGKILL, 10*time.Second)
}

func (c *collector) signal(sig syscall.Signal, timeout time.Duration) (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil || c.cmd.Process == nil {
		return 0, true
	}
	start := time.Now()
	_ = c.cmd.Process.Signal(sig)
	exited := true
	select {
	case <-c.exited:
	case <-time.After(timeout):
		exited = false
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
	took := time.Since(start)
	c.cmd = nil
	return took, exited
}

func (c *collector) pid() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil {
		return 0
	}
	return c.cmd.Process.Pid
}

func (c *collector) log() string {
	b, _ := os.ReadFile(c.logPath)
	return string(b)
}

// metric scrapes the collector's own Prometheus endpoint and sums the samples of a metric family
// whose labels contain every given fragment.
func (c *collector) metric(name string, labelFragments ...string) (float64, bool) {
	resp, err := http.Get("http://127.0.0.1:" + c.metrics + "/metrics")
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	var sum float64
	found := false
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
next:
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) || (len(line) > len(name) && line[len(name)] != '{' && line[len(name)] != ' ') {
			continue
		}
		for _, f := range labelFragments {
			if !strings.Contains(line, f) {
				continue next
			}
		}
		var v float64
		if _, err := fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v); err == nil {
			sum += v
			found = true
		}
	}
	return sum, found
}

// backend is an otelcol-sec instance acting as the OTLP server: otlp receiver on loopback,
// fileexporter writing each received batch as one OTLP-JSON line.
type backend struct {
	*collector
	endpoint string
	file     string
}

func newBackend(t testing.TB) *backend {
	dir := t.TempDir()
	port := freePort(t)
	file := filepath.Join(dir, "received.jsonl")
	cfg := filepath.Join(dir, "backend.yaml")
	yaml := fmt.Sprintf(`receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%d
exporters:
  file:
    path: %s
    flush_interval: 10ms
extensions:
  health_check:
    endpoint: ${env:OTELSEC_HEALTH_ENDPOINT}
service:
  extensions: [health_check]
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [file]
`, port, file)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return &backend{collector: newCollector(t, "backend", cfg), endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), file: file}
}

// received is one log record as the backend stored it, flattened for assertions.
type received struct {
	EventName string
	Severity  string
	SevNum    plog.SeverityNumber
	Body      string
	Time      time.Time
	Attrs     map[string]any
	Resource  map[string]any
}

func (r received) str(k string) string { s, _ := r.Attrs[k].(string); return s }

// records reads everything the backend has written so far.
func (b *backend) records(t testing.TB) []received {
	t.Helper()
	data, err := os.ReadFile(b.file)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		t.Fatal(err)
	}
	var out []received
	var um plog.JSONUnmarshaler
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		ld, err := um.UnmarshalLogs(line)
		if err != nil {
			continue // a line still being written
		}
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			rl := ld.ResourceLogs().At(i)
			res := rl.Resource().Attributes().AsRaw()
			for j := 0; j < rl.ScopeLogs().Len(); j++ {
				lrs := rl.ScopeLogs().At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					lr := lrs.At(k)
					out = append(out, received{
						EventName: lr.EventName(), Severity: lr.SeverityText(), SevNum: lr.SeverityNumber(),
						Body: lr.Body().AsString(), Time: lr.Timestamp().AsTime(),
						Attrs: lr.Attributes().AsRaw(), Resource: res,
					})
				}
			}
		}
	}
	return out
}

// waitFor polls the backend until pred holds for the records received so far.
func (b *backend) waitFor(t testing.TB, timeout time.Duration, what func() string, pred func([]received) bool) []received {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		recs := b.records(t)
		if pred(recs) {
			return recs
		}
		if time.Now().After(deadline) {
			t.Fatalf("backend: %s after %v (%d records received)", what(), timeout, len(recs))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var _ = pcommon.NewMap
var _ = context.Background
