//go:build linux

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/otelsec/otelsec/internal/schema"
)

func writeConfig(t testing.TB, yaml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sensor.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const selfTelemetry = `
extensions:
  health_check:
    endpoint: ${env:OTELSEC_HEALTH_ENDPOINT}
`

func serviceTelemetry() string {
	return `  extensions: [health_check]
  telemetry:
    metrics:
      level: detailed
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: ${env:OTELSEC_METRICS_PORT}
`
}

// sensorConfig writes a sensor's configuration: components (receivers, processors and
// exporters sections), the self-telemetry, and one logs pipeline from the syscall receiver
// through processors to exporters (YAML flow lists).
func sensorConfig(t testing.TB, components, processors, exporters string) string {
	return writeConfig(t, components+selfTelemetry+`
service:
`+serviceTelemetry()+`  pipelines:
    logs:
      receivers: [syscall]
      processors: [`+processors+`]
      exporters: [`+exporters+`]
`)
}

// falcoAlert is the shape Falcosidekick's input decodes.
type falcoAlert struct {
	Time         time.Time      `json:"time"`
	Rule         string         `json:"rule"`
	Priority     string         `json:"priority"`
	Source       string         `json:"source"`
	Hostname     string         `json:"hostname"`
	Output       string         `json:"output"`
	OutputFields map[string]any `json:"output_fields"`
	Tags         []string       `json:"tags"`
}

// sidekick is an HTTP endpoint that takes Falco's JSON alerts as Falcosidekick's input does:
// each POST one alert, decoded with no unknown field.
type sidekick struct {
	*httptest.Server
	mu  sync.Mutex
	got []falcoAlert
	bad atomic.Value // the first request that was not Falco's alert
}

func newSidekick(t *testing.T) *sidekick {
	s := &sidekick{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			s.bad.Store(fmt.Sprintf("%s with Content-Type %q", r.Method, r.Header.Get("Content-Type")))
		}
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		dec.UseNumber()
		var a falcoAlert
		if err := dec.Decode(&a); err != nil {
			s.bad.Store(fmt.Sprintf("not Falco's alert shape: %v: %s", err, body))
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.got = append(s.got, a)
		s.mu.Unlock()
	}))
	t.Cleanup(s.Close)
	return s
}

// wait returns the first alert posted that match accepts, failing t after 30s or on a
// request that was not Falco's alert.
func (s *sidekick) wait(t *testing.T, what string, match func(falcoAlert) bool) falcoAlert {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if b := s.bad.Load(); b != nil {
			t.Fatal(b)
		}
		s.mu.Lock()
		for _, a := range s.got {
			if match(a) {
				s.mu.Unlock()
				return a
			}
		}
		s.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no alert for %s posted within 30s", what)
	return falcoAlert{}
}

// Scenario 4: the alert exporter posts Falco's JSON to an HTTP endpoint (Falcosidekick's input).
func TestAlertExporterPostsFalcoJSON(t *testing.T) {
	srv := newSidekick(t)
	cfg := sensorConfig(t, `
receivers:
  syscall: {}
processors:
  security_rules: {}
exporters:
  alert/sidekick:
    endpoint: `+srv.URL+`
    format: json
`, "security_rules", "alert/sidekick")
	sensor := newCollector(t, "sensor", cfg)
	sensor.start()
	v := violations[0] // cat /etc/shadow
	pid := v.run(t, t.TempDir())
	alert := srv.wait(t, fmt.Sprintf("%q by pid %d", v.rule, pid), func(a falcoAlert) bool {
		return a.Rule == v.rule && strings.Contains(a.Output, "pid="+strconv.Itoa(pid))
	})
	host, _ := os.Hostname()
	if alert.Priority != "Warning" || alert.Source != "syscall" || alert.Hostname != host {
		t.Errorf("priority/source/hostname = %q/%q/%q", alert.Priority, alert.Source, alert.Hostname)
	}
	if time.Since(alert.Time) > time.Minute || alert.Time.After(time.Now()) {
		t.Errorf("time %v is not the event's", alert.Time)
	}
	if alert.OutputFields["file.path"] != "/etc/shadow" || alert.OutputFields["process.executable.path"] != "/usr/bin/cat" {
		t.Errorf("output_fields = %v", alert.OutputFields)
	}
	if _, ok := alert.OutputFields["evt.time"]; !ok {
		t.Errorf("output_fields lacks evt.time: %v", alert.OutputFields)
	}
	hasMitre := false
	for _, tag := range alert.Tags {
		hasMitre = hasMitre || strings.HasPrefix(tag, "T1")
	}
	if !hasMitre {
		t.Errorf("tags %v carry no MITRE id", alert.Tags)
	}
}

// Scenario 5: events come faster than the pipeline drains. The kernel drops what the ring buffer
// cannot hold, the receiver reports the count downstream as an agent.events_dropped record, and
// the sensor's memory stays within the memory_limiter's bound.
func TestFloodDropsAreCountedAndReported(t *testing.T) {
	be := newBackend(t)
	be.start()
	const limitMiB = 200
	cfg := sensorConfig(t, fmt.Sprintf(`
receivers:
  syscall:
    events: [file.open]
    ring_buffer_size: 262144
    drop_report_interval: 1s
processors:
  memory_limiter:
    check_interval: 100ms
    limit_mib: %d
    spike_limit_mib: 40
  security_rules:
    emit: all
exporters:
  otlp_http:
    endpoint: %s
    sending_queue:
      enabled: true
      sizer: items
      queue_size: 20000
`, limitMiB, be.endpoint), "memory_limiter, security_rules", "otlp_http")
	sensor := newCollector(t, "sensor", cfg)
	sensor.start()

	// Flood: openat as fast as two threads can, for a few seconds.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var opens atomic.Int64
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for j := 0; j < 1000; j++ {
					if fd, err := unix.Open("/etc/hostname", unix.O_RDONLY, 0); err == nil {
						unix.Close(fd)
					}
				}
				opens.Add(1000)
			}
		}()
	}
	var peakRSS int64
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); {
		peakRSS = max(peakRSS, rssKiB(sensor.pid()))
		time.Sleep(100 * time.Millisecond)
	}
	close(stop)
	wg.Wait()

	t.Logf("flood: %d opens in 5s, sensor peak RSS %d MiB", opens.Load(), peakRSS/1024)

	recs := be.waitFor(t, 60*time.Second, func() string { return "no agent.events_dropped record" }, func(recs []received) bool {
		for _, r := range recs {
			if r.EventName == schema.EventAgentEventsDropped {
				return true
			}
		}
		return false
	})
	var reported int64
	for _, r := range recs {
		if r.EventName != schema.EventAgentEventsDropped {
			continue
		}
		c, _ := r.Attrs[schema.AttrDroppedCount].(int64)
		if r.str(schema.AttrDroppedReason) == "" || c <= 0 {
			t.Errorf("drop record without reason or count: %v", r.Attrs)
		}
		// The default ruleset turns the report into an alert, so it also survives emit: violations.
		if rule := r.str(schema.AttrSecurityRuleName); rule != "Kernel events lost by the sensor" || r.Severity != "Warning" {
			t.Errorf("drop record raised rule %q at %q, want the sensor's own Warning", rule, r.Severity)
		}
		reported += c
	}
	if reported <= 0 {
		t.Fatalf("drops reported downstream: %d", reported)
	}
	// The receiver's own metric counts the same losses (it may already include a later report).
	counted, ok := sensor.metric("otelcol_receiver_syscall_events_dropped")
	t.Logf("drops reported downstream: %d; counted in the sensor's metric: %v", reported, counted)
	if !ok || counted < float64(reported) {
		t.Errorf("metric otelcol_receiver_syscall_events_dropped = %v (present %v), below the %d reported", counted, ok, reported)
	}
	// memory_limiter bounds the Go heap; allow for the runtime, the mapped ring and the binary.
	if bound := int64(limitMiB+100) * 1024; peakRSS > bound {
		t.Errorf("sensor RSS peaked at %d MiB, above the %d MiB limit plus 100 MiB of overhead", peakRSS/1024, limitMiB)
	}
}

// rssKiB reads a process's resident set size.
func rssKiB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			v, _ := strconv.ParseInt(f[1], 10, 64)
			return v
		}
	}
	return 0
}
