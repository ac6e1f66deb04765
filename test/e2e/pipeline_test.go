//go:build linux

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/schema"
)

// newSensor is the sensor as a user runs it: the embedded otelsec:otlp configuration pointed at
// the backend, with its persistent queue in a directory that survives restarts of the sensor.
func newSensor(t testing.TB, be *backend, storageDir string) *collector {
	return newCollector(t, "sensor", "otelsec:otlp",
		"OTELSEC_OTLP_ENDPOINT="+be.endpoint,
		"OTELSEC_STORAGE_DIR="+storageDir)
}

type sent struct {
	v   violation
	pid int
}

// cause performs each violation n times and returns who did what.
func cause(t testing.TB, vs []violation, n int) []sent {
	dir := t.TempDir()
	var out []sent
	for i := 0; i < n; i++ {
		for _, v := range vs {
			out = append(out, sent{v, v.run(t, dir)})
		}
	}
	return out
}

// expectEach waits until every violation arrived at the backend, then checks it arrived once,
// with its severity and the process attributes a responder needs.
func expectEach(t *testing.T, be *backend, want []sent, timeout time.Duration) {
	t.Helper()
	var missing []string
	recs := be.waitFor(t, timeout, func() string { return "missing " + strings.Join(missing, ", ") }, func(recs []received) bool {
		missing = missing[:0]
		for _, w := range want {
			if len(alertsFor(recs, w.v.rule, w.pid)) == 0 {
				missing = append(missing, fmt.Sprintf("%q by pid %d", w.v.rule, w.pid))
			}
		}
		return len(missing) == 0
	})
	time.Sleep(500 * time.Millisecond) // a duplicate would arrive with the same or the next batch
	recs = be.records(t)
	for _, w := range want {
		got := alertsFor(recs, w.v.rule, w.pid)
		if len(got) != 1 {
			t.Errorf("%q by pid %d arrived %d times, want once", w.v.rule, w.pid, len(got))
			continue
		}
		a := got[0]
		if a.Severity != w.v.severity {
			t.Errorf("%q: severity %q, want %q", w.v.rule, a.Severity, w.v.severity)
		}
		if a.SevNum < plog.SeverityNumberWarn {
			t.Errorf("%q: severity number %d below WARN", w.v.rule, a.SevNum)
		}
		if a.Body == "" || !strings.Contains(a.Body, fmt.Sprint(w.pid)) {
			t.Errorf("%q: body %q does not render the event (pid %d)", w.v.rule, a.Body, w.pid)
		}
		for _, k := range []string{schema.AttrProcessExecutablePath, schema.AttrProcessExecutableName,
			schema.AttrProcessCommandLine, schema.AttrProcessParentExecutableName,
			schema.AttrSecurityRuleDescription, schema.AttrSecurityRuleRulesetName} {
			if a.str(k) == "" {
				t.Errorf("%q: %s missing", w.v.rule, k)
			}
		}
		if a.Resource[schema.AttrServiceName] != schema.DefaultServiceName || a.Resource[schema.AttrHostName] == nil {
			t.Errorf("%q: resource %v lacks service.name=otelsec or host.name", w.v.rule, a.Resource)
		}
	}
}

// Scenario 1: violations of many rules reach the backend once each, with their attributes.
func TestViolationsReachBackend(t *testing.T) {
	be := newBackend(t)
	be.start()
	sensor := newSensor(t, be, t.TempDir())
	sensor.start()

	want := cause(t, violations, 1)
	expectEach(t, be, want, 30*time.Second)

	rules := map[string]bool{}
	for _, w := range want {
		rules[w.v.rule] = true
	}
	if len(rules) < 10 {
		t.Fatalf("only %d different rules exercised", len(rules))
	}
	// The collector never reports itself.
	for _, r := range be.records(t) {
		if p, _ := r.Attrs[schema.AttrProcessPID].(int64); int(p) == sensor.pid() {
			t.Errorf("the sensor reported its own activity: %s %s", r.EventName, r.Body)
		}
	}
}

// A small, fast subset for the outage scenarios: every one is a single exec.
var outageViolations = []violation{violations[0], violations[5]}

// Scenario 2: the backend goes away, violations happen, the backend comes back: all arrive.
func TestBackendOutageLosesNothing(t *testing.T) {
	be := newBackend(t)
	be.start()
	sensor := newSensor(t, be, t.TempDir())
	sensor.start()

	be.stop()
	want := cause(t, outageViolations, 5)
	waitAlertLines(t, sensor, want)
	time.Sleep(2 * time.Second) // let the exporter fail and back off at least once
	be.start()
	expectEach(t, be, want, 60*time.Second)
}

// Scenario 3: the backend is down and the sensor restarts; the persistent queue delivers after.
func TestSensorRestartKeepsQueuedAlerts(t *testing.T) {
	be := newBackend(t)
	storage := t.TempDir()
	sensor := newSensor(t, be, storage)
	sensor.start()

	want := cause(t, outageViolations, 5)
	waitAlertLines(t, sensor, want)
	sensor.stop()
	sensor.start()
	be.start()
	expectEach(t, be, want, 60*time.Second)
}

// waitAlertLines waits until the sensor's alert exporter printed every violation: by then the
// same records were handed to the OTLP exporter's queue in the same fan-out.
func waitAlertLines(t *testing.T, sensor *collector, want []sent) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		log := sensor.log()
		missing := 0
		for _, w := range want {
			if !strings.Contains(log, fmt.Sprintf("pid=%d ", w.pid)) && !strings.Contains(log, fmt.Sprintf("pid=%d)", w.pid)) {
				missing++
			}
		}
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sensor printed %d of %d alerts within 30s", len(want)-missing, len(want))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A burst of one violation from one process is one alert, not one per syscall: the processor
// suppresses the repeats within its window and counts them.
func TestBurstIsOneAlert(t *testing.T) {
	be := newBackend(t)
	be.start()
	sensor := newSensor(t, be, t.TempDir())
	sensor.start()

	const rule = "BPF program loaded by an unexpected process"
	pid := runHelper(t, "bpf-burst")
	be.waitFor(t, 30*time.Second, func() string { return "no alert for the burst" }, func(recs []received) bool {
		return len(alertsFor(recs, rule, pid)) > 0
	})
	time.Sleep(time.Second) // repeats, if they were let through, arrive with the same batches
	if got := alertsFor(be.records(t), rule, pid); len(got) != 1 {
		t.Fatalf("%d alerts for a burst of %d program loads by pid %d, want 1", len(got), burstSize, pid)
	}
	suppressed, _ := sensor.metric("otelcol_processor_security_rules_suppressed", `security_rule_name="`+rule+`"`)
	if suppressed != burstSize-1 {
		t.Errorf("suppressed repeats counted: %v, want %d", suppressed, burstSize-1)
	}
}
