package alertexporter

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelsec/otelsec/exporter/alertexporter/internal/metadatatest"
	"github.com/otelsec/otelsec/internal/schema"
)

// testConfig is the default config with the queue off, so ConsumeLogs returns once the
// alerts are delivered (or definitively not), and fast retries.
func testConfig(mutate func(*Config)) *Config {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	cfg.RetryConfig.InitialInterval = 10 * time.Millisecond
	cfg.RetryConfig.MaxInterval = 20 * time.Millisecond
	cfg.RetryConfig.MaxElapsedTime = 5 * time.Second
	cfg.RetryConfig.RandomizationFactor = 0
	if mutate != nil {
		mutate(cfg)
	}
	return cfg
}

func startExporter(t *testing.T, cfg *Config, tt *componenttest.Telemetry) exporter.Logs {
	t.Helper()
	return startExporterWithLogger(t, cfg, tt, nil)
}

// startExporterWithLogger is startExporter logging to logger (nil: the test settings' own).
func startExporterWithLogger(t *testing.T, cfg *Config, tt *componenttest.Telemetry, logger *zap.Logger) exporter.Logs {
	t.Helper()
	require.NoError(t, cfg.Validate())
	set := metadatatest.NewSettings(tt)
	if logger != nil {
		set.Logger = logger
	}
	exp, err := NewFactory().CreateLogs(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	return exp
}

func newTelemetry(t *testing.T) *componenttest.Telemetry {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	return tt
}

// mixedLogs holds n violations, each named "rule-<i>", interleaved with n plain events
// that carry no security_rule.name.
func mixedLogs(n int) plog.Logs {
	return newTestLogs("web-1", 2*n, func(i int, rec plog.LogRecord) {
		violation(rec)
		if i%2 == 1 {
			rec.Attributes().Remove(schema.AttrSecurityRuleName)
			rec.SetSeverityText("INFO")
			rec.Body().SetStr("plain event")
			return
		}
		rec.Attributes().PutStr(schema.AttrSecurityRuleName, fmt.Sprintf("rule-%d", i/2))
	})
}

func assertCounter(t *testing.T, tt *componenttest.Telemetry,
	assertFn func(*testing.T, *componenttest.Telemetry, []metricdata.DataPoint[int64], ...metricdatatest.Option), want int64,
) {
	t.Helper()
	assertFn(t, tt, []metricdata.DataPoint[int64]{{Value: want}}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	if len(b) == 0 {
		return nil
	}
	require.Equal(t, byte('\n'), b[len(b)-1], "every alert ends with a newline")
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func TestFileDestination(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.json")
	tt := newTelemetry(t)
	cfg := testConfig(func(c *Config) { c.Path = path; c.Format = FormatJSON })

	exp := startExporter(t, cfg, tt)
	require.NoError(t, exp.ConsumeLogs(context.Background(), mixedLogs(2)))
	require.NoError(t, exp.Shutdown(context.Background()))

	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "alerts name users and commands: owner-only")
	lines := readLines(t, path)
	require.Len(t, lines, 2, "only the violations are written")
	for i, l := range lines {
		var a map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &a))
		assert.Equal(t, fmt.Sprintf("rule-%d", i), a["rule"])
		assert.Equal(t, "web-1", a["hostname"])
	}
	assertCounter(t, tt, metadatatest.AssertEqualExporterAlertAlertsSent, 2)
	assertCounter(t, tt, metadatatest.AssertEqualExporterAlertRecordsIgnored, 2)

	// A restart appends to what is there.
	exp = startExporter(t, cfg, newTelemetry(t))
	require.NoError(t, exp.ConsumeLogs(context.Background(), mixedLogs(1)))
	require.NoError(t, exp.Shutdown(context.Background()))
	lines = readLines(t, path)
	require.Len(t, lines, 3)
	assert.Contains(t, lines[2], `"rule":"rule-0"`)
}

func TestFileRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "alerts.log")
	line := func(i int) []byte { return fmt.Appendf(nil, "alert %03d %s\n", i, strings.Repeat("x", 40)) } // 50 bytes
	const maxBytes, backups = 120, 2                                                                      // two alerts per file

	s := newFileSink(path, maxBytes, backups)
	require.NoError(t, s.open())
	for i := range 9 {
		require.NoError(t, s.send(context.Background(), line(i)))
	}
	require.NoError(t, s.close(context.Background()))

	read := func(name string) string {
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		return string(b)
	}
	// 9 alerts, 2 per file: 0-1, 2-3, 4-5, 6-7 rotated out, 8 current. Two backups kept.
	assert.Equal(t, string(line(8)), read(path))
	assert.Equal(t, string(line(6))+string(line(7)), read(path+".1"))
	assert.Equal(t, string(line(4))+string(line(5)), read(path+".2"))
	_, err := os.Stat(path + ".3")
	assert.ErrorIs(t, err, os.ErrNotExist, "only max_backups rotated files are kept")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 3)
	for _, e := range entries {
		info, err := e.Info()
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), e.Name())
	}

	// The size survives a restart: the reopened file is rotated when it would cross the limit.
	s = newFileSink(path, maxBytes, backups)
	require.NoError(t, s.open())
	require.NoError(t, s.send(context.Background(), line(9)))  // 100 bytes: fits
	require.NoError(t, s.send(context.Background(), line(10))) // 150: rotates first
	require.NoError(t, s.close(context.Background()))
	assert.Equal(t, string(line(10)), read(path))
	assert.Equal(t, string(line(8))+string(line(9)), read(path+".1"))
	assert.Equal(t, string(line(6))+string(line(7)), read(path+".2"))

	// An alert larger than the limit is written whole, alone, never dropped or cut.
	big := append(bytes.Repeat([]byte("y"), 3*maxBytes), '\n')
	s = newFileSink(path, maxBytes, 0)
	require.NoError(t, s.open())
	require.NoError(t, s.send(context.Background(), big))
	require.NoError(t, s.close(context.Background()))
	assert.Equal(t, string(big), read(path))
	assert.Equal(t, string(line(8))+string(line(9)), read(path+".1"), "max_backups 0 discards the rotated file")
}

// falcoPayload is how Falcosidekick decodes what Falco posts (types.FalcoPayload).
type falcoPayload struct {
	Output       string         `json:"output"`
	Priority     string         `json:"priority"`
	Rule         string         `json:"rule"`
	Time         time.Time      `json:"time"`
	OutputFields map[string]any `json:"output_fields"`
	Source       string         `json:"source"`
	Tags         []string       `json:"tags"`
	Hostname     string         `json:"hostname"`
}

// alertServer is a real HTTP server that decodes every request as Falco's alert JSON and
// answers each request with the next status from a script (then 200).
type alertServer struct {
	*httptest.Server
	mu       sync.Mutex
	script   []int
	attempts []string // rule of every request, in arrival order
	accepted []falcoPayload
	problems []string
}

func newAlertServer(t *testing.T, script ...int) *alertServer {
	s := &alertServer{script: script}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("X-Api-Key") != "s3cret" {
			s.problems = append(s.problems, fmt.Sprintf("%s %q key=%q", r.Method, r.Header.Get("Content-Type"), r.Header.Get("X-Api-Key")))
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			s.problems = append(s.problems, err.Error())
		}
		var p falcoPayload
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil || dec.More() {
			s.problems = append(s.problems, fmt.Sprintf("not one Falco alert: %v: %s", err, body))
		}
		s.attempts = append(s.attempts, p.Rule)
		status := http.StatusOK
		if len(s.script) > 0 {
			status, s.script = s.script[0], s.script[1:]
		}
		if status == http.StatusOK {
			s.accepted = append(s.accepted, p)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, http.StatusText(status))
	}))
	t.Cleanup(s.Close)
	return s
}

func httpConfig(url string) *Config {
	return testConfig(func(c *Config) {
		c.ClientConfig.Endpoint = url
		c.ClientConfig.Headers = configopaque.MapList{{Name: "X-Api-Key", Value: "s3cret"}}
	})
}

func TestHTTPDestinationSendsFalcoJSON(t *testing.T) {
	srv := newAlertServer(t)
	tt := newTelemetry(t)
	exp := startExporter(t, httpConfig(srv.URL), tt)
	require.NoError(t, exp.ConsumeLogs(context.Background(), mixedLogs(2)))
	require.NoError(t, exp.Shutdown(context.Background()))

	srv.mu.Lock()
	defer srv.mu.Unlock()
	assert.Empty(t, srv.problems)
	require.Len(t, srv.accepted, 2, "one request per alert, plain events not sent")
	p := srv.accepted[0]
	assert.Equal(t, "rule-0", p.Rule)
	assert.Equal(t, "Warning", p.Priority)
	assert.Equal(t, "syscall", p.Source)
	assert.Equal(t, "web-1", p.Hostname)
	assert.True(t, p.Time.Equal(eventTime), "time %v", p.Time)
	assert.Equal(t, []string{"T1059", "container", "mitre_execution", "shell"}, p.Tags)
	assert.True(t, strings.HasSuffix(p.Output, ": Warning Shell spawned in a container (user=root command=bash -i container=abc123)"), p.Output)
	assert.Equal(t, float64(eventTime.UnixNano()), p.OutputFields["evt.time"])
	assert.Equal(t, "bash -i", p.OutputFields[schema.AttrProcessCommandLine])
	assert.Equal(t, "rule-1", srv.accepted[1].Rule)
	assertCounter(t, tt, metadatatest.AssertEqualExporterAlertAlertsSent, 2)
	assertCounter(t, tt, metadatatest.AssertEqualExporterAlertRecordsIgnored, 2)
}

func TestHTTPDestinationRetriesWithoutDuplicates(t *testing.T) {
	// The second alert of the batch meets a 500, then a 503; the retry resends only what
	// was not delivered yet.
	srv := newAlertServer(t, http.StatusOK, http.StatusInternalServerError, http.StatusServiceUnavailable)
	tt := newTelemetry(t)
	exp := startExporter(t, httpConfig(srv.URL), tt)
	require.NoError(t, exp.ConsumeLogs(context.Background(), mixedLogs(3)))
	require.NoError(t, exp.Shutdown(context.Background()))

	srv.mu.Lock()
	defer srv.mu.Unlock()
	assert.Empty(t, srv.problems)
	assert.Equal(t, []string{"rule-0", "rule-1", "rule-1", "rule-1", "rule-2"}, srv.attempts)
	var got []string
	for _, p := range srv.accepted {
		got = append(got, p.Rule)
	}
	assert.Equal(t, []string{"rule-0", "rule-1", "rule-2"}, got, "each alert delivered exactly once")
	assertCounter(t, tt, metadatatest.AssertEqualExporterAlertAlertsSent, 3)
	assertCounter(t, tt, metadatatest.AssertEqualExporterAlertSendFailures, 2)
}

// A failing destination is said once, at WARN, and its recovery at INFO; the retries between
// are exporterhelper's INFO lines.
func TestHTTPDestinationFailureIsLoggedOnce(t *testing.T) {
	srv := newAlertServer(t, http.StatusInternalServerError, http.StatusServiceUnavailable, http.StatusOK)
	core, logs := observer.New(zapcore.InfoLevel)
	set := metadatatest.NewSettings(newTelemetry(t))
	set.Logger = zap.New(core)
	cfg := httpConfig(srv.URL)
	require.NoError(t, cfg.Validate())
	exp, err := NewFactory().CreateLogs(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, exp.ConsumeLogs(context.Background(), mixedLogs(1)))
	require.NoError(t, exp.Shutdown(context.Background()))

	warned := logs.FilterMessage("The alert destination fails; alerts wait in the queue and are retried").All()
	require.Len(t, warned, 1)
	assert.Equal(t, zapcore.WarnLevel, warned[0].Level)
	assert.Contains(t, warned[0].ContextMap()["error"], "HTTP 500")
	assert.Len(t, logs.FilterMessage("The alert destination accepts alerts again").All(), 1)
}

func TestHTTPDestinationPermanentRejection(t *testing.T) {
	srv := newAlertServer(t, http.StatusBadRequest)
	tt := newTelemetry(t)
	exp := startExporter(t, httpConfig(srv.URL), tt)
	err := exp.ConsumeLogs(context.Background(), mixedLogs(2))
	require.Error(t, err)
	assert.True(t, consumererror.IsPermanent(err), "a 400 is not retried: %v", err)
	assert.Contains(t, err.Error(), "1 alert(s) rejected and dropped, 1 sent")
	assert.Contains(t, err.Error(), "HTTP 400")
	require.NoError(t, exp.Shutdown(context.Background()))

	srv.mu.Lock()
	defer srv.mu.Unlock()
	assert.Empty(t, srv.problems)
	assert.Equal(t, []string{"rule-0", "rule-1"}, srv.attempts, "the rejected alert is not resent; the next one still goes")
	assertCounter(t, tt, metadatatest.AssertEqualExporterAlertAlertsRejected, 1)
	assertCounter(t, tt, metadatatest.AssertEqualExporterAlertSendFailures, 1)
	assertCounter(t, tt, metadatatest.AssertEqualExporterAlertAlertsSent, 1)
}

func TestHTTPDestinationUnreachableIsRetryable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	cfg := httpConfig(url)
	cfg.RetryConfig.Enabled = false
	exp := startExporter(t, cfg, newTelemetry(t))
	err := exp.ConsumeLogs(context.Background(), mixedLogs(1))
	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err), "a network error is worth retrying: %v", err)
	require.NoError(t, exp.Shutdown(context.Background()))
}

func TestRetryAfter(t *testing.T) {
	d, ok := retryAfter("7")
	assert.True(t, ok)
	assert.Equal(t, 7*time.Second, d)
	d, ok = retryAfter(time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
	assert.True(t, ok)
	assert.InDelta(t, time.Hour.Seconds(), d.Seconds(), 5)
	_, ok = retryAfter("soon")
	assert.False(t, ok)
	_, ok = retryAfter("")
	assert.False(t, ok)
}

// TestStdoutDestination runs the exporter in a child process whose real stdout is a pipe
// and checks what came out of it.
func TestStdoutDestination(t *testing.T) {
	if os.Getenv("ALERTEXPORTER_STDOUT_CHILD") == "1" {
		exp := startExporter(t, testConfig(nil), newTelemetry(t))
		require.NoError(t, exp.ConsumeLogs(context.Background(), mixedLogs(2)))
		require.NoError(t, exp.Shutdown(context.Background()))
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestStdoutDestination$", "-test.count=1")
	cmd.Env = append(os.Environ(), "ALERTEXPORTER_STDOUT_CHILD=1", "TZ=UTC")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "child: %s\n%s", out, stderr.String())

	var alerts []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "09:12:03.123456789: ") {
			alerts = append(alerts, sc.Text())
		}
	}
	assert.Equal(t, []string{
		"09:12:03.123456789: Warning Shell spawned in a container (user=root command=bash -i container=abc123)",
		"09:12:03.123456789: Warning Shell spawned in a container (user=root command=bash -i container=abc123)",
	}, alerts, "child stdout:\n%s", out)
	assert.NotContains(t, string(out), "plain event")
}

func TestResourceWithoutHostNameUsesOSHostname(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.json")
	exp := startExporter(t, testConfig(func(c *Config) { c.Path = path; c.Format = FormatJSON }), newTelemetry(t))
	require.NoError(t, exp.ConsumeLogs(context.Background(), newTestLogs("", 1, func(_ int, rec plog.LogRecord) { violation(rec) })))
	require.NoError(t, exp.Shutdown(context.Background()))
	host, err := os.Hostname()
	require.NoError(t, err)
	lines := readLines(t, path)
	require.Len(t, lines, 1)
	var a map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &a))
	assert.Equal(t, host, a["hostname"])
}

func TestNonViolationsAreIgnored(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.log")
	tt := newTelemetry(t)
	exp := startExporter(t, testConfig(func(c *Config) { c.Path = path }), tt)
	plain := newTestLogs("web-1", 5, func(_ int, rec plog.LogRecord) {
		violation(rec)
		rec.Attributes().Remove(schema.AttrSecurityRuleName)
	})
	require.NoError(t, exp.ConsumeLogs(context.Background(), plain))
	require.NoError(t, exp.Shutdown(context.Background()))
	assert.Empty(t, readLines(t, path))
	assertCounter(t, tt, metadatatest.AssertEqualExporterAlertRecordsIgnored, 5)
}

func TestShutdownWithoutStart(t *testing.T) {
	exp, err := NewFactory().CreateLogs(context.Background(), metadatatest.NewSettings(newTelemetry(t)), testConfig(nil))
	require.NoError(t, err)
	require.NoError(t, exp.Shutdown(context.Background()))
}

func TestStartFailsOnUnwritablePath(t *testing.T) {
	cfg := testConfig(func(c *Config) { c.Path = filepath.Join(t.TempDir(), "missing-dir", "alerts.log") })
	exp, err := NewFactory().CreateLogs(context.Background(), metadatatest.NewSettings(newTelemetry(t)), cfg)
	require.NoError(t, err)
	err = exp.Start(context.Background(), componenttest.NewNopHost())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "open alert file")
	require.NoError(t, exp.Shutdown(context.Background()))
}

// With the default queue, several consumers write at once; every alert must land whole on
// its own line.
func TestFileDestinationConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.json")
	tt := newTelemetry(t)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.Path = path
	cfg.Format = FormatJSON
	q := cfg.QueueConfig.Get()
	q.NumConsumers = 8
	q.BlockOnOverflow = true
	exp := startExporter(t, cfg, tt)

	const producers, batches, perBatch = 4, 25, 10
	var wg sync.WaitGroup
	for range producers {
		wg.Go(func() {
			for range batches {
				assert.NoError(t, exp.ConsumeLogs(context.Background(), mixedLogs(perBatch)))
			}
		})
	}
	wg.Wait()
	require.NoError(t, exp.Shutdown(context.Background())) // drains the queue first

	lines := readLines(t, path)
	require.Len(t, lines, producers*batches*perBatch)
	for _, l := range lines {
		var a map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &a), "torn or interleaved alert: %q", l)
	}
	assertCounter(t, tt, metadatatest.AssertEqualExporterAlertAlertsSent, producers*batches*perBatch)
}

func TestHTTPSDestinationWithCA(t *testing.T) {
	var got []falcoPayload
	var mu sync.Mutex
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p falcoPayload
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, p)
		mu.Unlock()
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted handshake below is expected
	srv.StartTLS()
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))

	// Without the CA the server is not trusted: retryable (the operator may fix trust).
	cfg := httpConfig(srv.URL)
	cfg.RetryConfig.Enabled = false
	exp := startExporter(t, cfg, newTelemetry(t))
	err := exp.ConsumeLogs(context.Background(), mixedLogs(1))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "certificate")
	require.NoError(t, exp.Shutdown(context.Background()))

	cfg = httpConfig(srv.URL)
	cfg.ClientConfig.TLS.CAFile = caFile
	exp = startExporter(t, cfg, newTelemetry(t))
	require.NoError(t, exp.ConsumeLogs(context.Background(), mixedLogs(1)))
	require.NoError(t, exp.Shutdown(context.Background()))
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, 1)
	assert.Equal(t, "rule-0", got[0].Rule)
}

func TestHTTPDestinationDoesNotFollowRedirects(t *testing.T) {
	srv := newAlertServer(t)
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, srv.URL, http.StatusFound)
	}))
	defer redirect.Close()
	tt := newTelemetry(t)
	exp := startExporter(t, httpConfig(redirect.URL), tt)
	err := exp.ConsumeLogs(context.Background(), mixedLogs(1))
	require.Error(t, err)
	assert.True(t, consumererror.IsPermanent(err), "%v", err)
	assert.Contains(t, err.Error(), "HTTP 302")
	require.NoError(t, exp.Shutdown(context.Background()))
	srv.mu.Lock()
	defer srv.mu.Unlock()
	assert.Empty(t, srv.attempts, "the alert was not turned into a GET elsewhere")
	assertCounter(t, tt, metadatatest.AssertEqualExporterAlertAlertsRejected, 1)
}

// On a full disk a write fails part-way; the torn alert must not stay in the file, and the
// retry after space comes back must append it whole. Uses a real, tiny tmpfs (needs root).
func TestFileSinkDiskFull(t *testing.T) {
	dir := t.TempDir()
	if err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir).Run(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v); needs root", err)
	}
	t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
	filler := filepath.Join(dir, "filler")
	require.NoError(t, os.WriteFile(filler, make([]byte, 24<<10), 0o600))

	alert := func(i int) []byte { return fmt.Appendf(nil, "%04d %s\n", i, strings.Repeat("a", 1494)) } // 1500 bytes
	path := filepath.Join(dir, "alerts.log")
	s := newFileSink(path, 0, 0)
	require.NoError(t, s.open())
	var i int
	var err error
	for i = 0; i < 1000; i++ {
		if err = s.send(context.Background(), alert(i)); err != nil {
			break
		}
	}
	require.Error(t, err, "the tmpfs never filled up")
	assert.Contains(t, err.Error(), "no space left on device")
	b, rerr := os.ReadFile(path)
	require.NoError(t, rerr)
	assert.Zero(t, len(b)%1500, "a torn alert was left behind (%d bytes)", len(b))

	require.NoError(t, os.Remove(filler))
	require.NoError(t, s.send(context.Background(), alert(i)), "the retry succeeds once there is space")
	require.NoError(t, s.close(context.Background()))
	b, rerr = os.ReadFile(path)
	require.NoError(t, rerr)
	require.Zero(t, len(b)%1500)
	assert.Equal(t, i+1, len(b)/1500)
	assert.Equal(t, string(alert(i)), string(b[len(b)-1500:]))
}
