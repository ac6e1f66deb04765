//go:build linux

package e2e

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otelsec/otelsec/internal/schema"
)

// Overrides of the embedded otelsec:otlp configuration, as a user would pass them: a queue that
// holds only ten alerts (its batches no larger), and loss reports every second rather than every
// ten.
const (
	tinyQueue        = "yaml:exporters::otlp_http::sending_queue: {queue_size: 10, batch: {min_size: 1, max_size: 10}}"
	fastDropReports  = "yaml:receivers::syscall::drop_report_interval: 1s"
	noSuppression    = "yaml:processors::security_rules::suppress::window: 0s"
	lossRule         = "Kernel events lost by the sensor"
	refusedMetric    = "otelcol_receiver_syscall_events_dropped"
	refusedLabel     = `reason="pipeline_refused"`
	enqueueFailed    = "otelcol_exporter_enqueue_failed_log_records"
	otlpExporter     = `exporter="otlp_http"`
	suppressedMetric = "otelcol_processor_security_rules_suppressed"
)

// newOverriddenSensor is otelsec:otlp with the given overrides, its backend down until started.
func newOverriddenSensor(t *testing.T, be *backend, storage string, overrides ...string) *collector {
	c := newSensor(t, be, storage)
	for _, o := range overrides {
		c.args = append(c.args, "--config", o)
	}
	return c
}

// alertLines counts the sensor's stdout alert lines that name pid.
func alertLines(sensor *collector, pid int) int {
	n := 0
	for _, line := range strings.Split(sensor.log(), "\n") {
		if strings.Contains(line, fmt.Sprintf("pid=%d ", pid)) || strings.Contains(line, fmt.Sprintf("pid=%d)", pid)) {
			n++
		}
	}
	return n
}

// alertsNamed returns the alerts of rule the backend received.
func alertsNamed(recs []received, rule string) []received {
	var out []received
	for _, r := range recs {
		if r.str(schema.AttrSecurityRuleName) == rule {
			out = append(out, r)
		}
	}
	return out
}

// lossReports returns the loss alerts for pipeline refusals the backend received.
func lossReports(recs []received) []received {
	var out []received
	for _, r := range recs {
		if r.EventName == schema.EventAgentEventsDropped && r.str(schema.AttrDroppedReason) == "pipeline_refused" &&
			r.str(schema.AttrSecurityRuleName) == lossRule {
			out = append(out, r)
		}
	}
	return out
}

// A full exporter queue loses alerts: every one of them is counted where it was lost and raised
// as the loss alert, none is taken for a repeat of itself, and none is printed twice.
func TestFullQueueLossIsCountedAndAlerted(t *testing.T) {
	be := newBackend(t)
	sensor := newOverriddenSensor(t, be, t.TempDir(), tinyQueue, fastDropReports)
	sensor.start()

	want := cause(t, outageViolations, 20)
	waitAlertLines(t, sensor, want)
	time.Sleep(2 * time.Second) // loss reports of the refusals, refused in turn while the queue is full
	be.start()

	// The queue drains once the backend is back; the next loss report then reaches it.
	recs := be.waitFor(t, 60*time.Second, func() string { return "no loss alert for pipeline_refused" }, func(recs []received) bool {
		return len(lossReports(recs)) > 0
	})
	time.Sleep(3 * time.Second) // the reports and alerts still in flight
	recs = be.records(t)

	// The exporter's queue also refused loss alerts: a refused loss report is not a lost
	// event (the next report carries its counts), so the receiver does not count it. Each was
	// printed by the alert exporter and never reached the backend.
	refusedReports := func() float64 {
		printed := strings.Count(sensor.log(), lossRule+" (")
		return float64(printed - len(alertsNamed(be.records(t), lossRule)))
	}
	// The exporter counts a refusal before the receiver hears of it: read the counters once
	// no refusal is between them.
	var refused, failed float64
	for deadline := time.Now().Add(10 * time.Second); ; {
		refused, _ = sensor.metric(refusedMetric, refusedLabel)
		failed, _ = sensor.metric(enqueueFailed, otlpExporter)
		if again, _ := sensor.metric(refusedMetric, refusedLabel); refused+refusedReports() == failed && again == refused || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	suppressed, _ := sensor.metric(suppressedMetric)
	arrived := 0
	for _, w := range want {
		n := len(alertsFor(recs, w.v.rule, w.pid))
		if n > 1 {
			t.Errorf("%q by pid %d arrived %d times", w.v.rule, w.pid, n)
		}
		arrived += n
		if lines := alertLines(sensor, w.pid); lines != 1 {
			t.Errorf("pid %d: %d alert lines on stdout, want 1", w.pid, lines)
		}
	}
	var reported int64
	for _, r := range lossReports(recs) {
		reported = max(reported, asInt(r.Attrs[schema.AttrDroppedTotal]))
	}
	t.Logf("%d violations: %d arrived; queue refused %v records, receiver counted %v refused (and %v loss alerts), last loss alert total %d; %v suppressed",
		len(want), arrived, failed, refused, refusedReports(), reported, suppressed)
	if failed == 0 {
		t.Fatal("the queue refused nothing: the test did not fill it")
	}
	if reports := refusedReports(); refused+reports != failed {
		t.Errorf("receiver counted %v records refused and %v loss alerts were refused, the exporter's queue refused %v", refused, reports, failed)
	}
	if suppressed != 0 {
		t.Errorf("%v violations suppressed: distinct processes are no repeats, and a retry is no repeat of itself", suppressed)
	}
	// Every violation either arrived or is in the count (which also holds refused loss reports).
	if float64(arrived)+refused < float64(len(want)) {
		t.Errorf("%d arrived + %v counted lost < %d violations", arrived, refused, len(want))
	}
	if reported <= 0 || float64(reported) > refused {
		t.Errorf("loss alert total %d, receiver counted %v", reported, refused)
	}
}

// With suppression off, refused batches are neither repeated without end nor retried past
// shutdown: every alert is printed once and SIGTERM stops the sensor promptly.
func TestRefusalsNeitherRepeatNorHang(t *testing.T) {
	be := newBackend(t)
	sensor := newOverriddenSensor(t, be, t.TempDir(), tinyQueue, noSuppression)
	sensor.start()

	want := cause(t, outageViolations, 10)
	waitAlertLines(t, sensor, want)
	time.Sleep(5 * time.Second) // retries, if any, print again
	for _, w := range want {
		if lines := alertLines(sensor, w.pid); lines != 1 {
			t.Errorf("pid %d: %d alert lines on stdout, want 1", w.pid, lines)
		}
	}
	took, ok := sensor.terminate(20 * time.Second)
	t.Logf("SIGTERM to exit: %v", took)
	if !ok {
		t.Fatalf("the sensor was still running %v after SIGTERM", took)
	}
	if took > 10*time.Second {
		t.Errorf("the sensor took %v to stop", took)
	}
}

func asInt(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	}
	return 0
}

const uncleanRule = "Sensor restarted after an unclean stop"

func uncleanAlerts(recs []received) []received {
	var out []received
	for _, r := range recs {
		if r.EventName == schema.EventAgentUncleanStop && r.str(schema.AttrSecurityRuleName) == uncleanRule {
			out = append(out, r)
		}
	}
	return out
}

// started is a violation and when the test started it.
type started struct {
	pid int
	at  time.Time
}

// A killed sensor loses what it had read but not delivered; the next start says so, once, with
// the window that may be missing. Each round also measures the crash window: how long before
// the SIGKILL the earliest violation that never arrived was started.
func TestSIGKILLIsReportedAfterRestart(t *testing.T) {
	be := newBackend(t)
	be.start()
	storage := t.TempDir()
	sensor := newSensor(t, be, storage)
	sensor.start()
	rule := outageViolations[0].rule // cat /etc/shadow: one alert per process

	const rounds = 3
	var windows []time.Duration
	for round := 1; round <= rounds; round++ {
		time.Sleep(1500 * time.Millisecond) // a heartbeat or more
		var (
			mu   sync.Mutex
			runs []started
		)
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				default:
				}
				at := time.Now()
				pid := runCmd(t, "cat", "/etc/shadow")
				mu.Lock()
				runs = append(runs, started{pid, at})
				mu.Unlock()
			}
		}()
		time.Sleep(time.Second)
		killedAt := time.Now()
		sensor.kill()
		time.Sleep(100 * time.Millisecond)
		close(stop)
		<-done
		sensor.start()

		recs := be.waitFor(t, 60*time.Second, func() string { return fmt.Sprintf("round %d: no %q alert", round, uncleanRule) },
			func(recs []received) bool { return len(uncleanAlerts(recs)) >= round })
		time.Sleep(3 * time.Second) // what the queue held before the kill
		recs = be.records(t)
		alerts := uncleanAlerts(recs)
		if len(alerts) != round {
			t.Fatalf("round %d: %d %q alerts in all, want one per kill", round, len(alerts), uncleanRule)
		}
		a := alerts[round-1]
		from, err1 := time.Parse(time.RFC3339Nano, a.str(schema.AttrUncleanStopWindowStart))
		to, err2 := time.Parse(time.RFC3339Nano, a.str(schema.AttrUncleanStopWindowEnd))
		if err1 != nil || err2 != nil {
			t.Fatalf("round %d: window %v", round, a.Attrs)
		}
		// Every violation started before the kill that did not arrive lies in the window.
		lost, before := 0, 0
		var earliest time.Time
		for _, r := range runs {
			if !r.at.Before(killedAt) {
				continue
			}
			before++
			if len(alertsFor(recs, rule, r.pid)) > 0 {
				continue
			}
			lost++
			if earliest.IsZero() || r.at.Before(earliest) {
				earliest = r.at
			}
			if r.at.Before(from) {
				t.Errorf("round %d: violation by pid %d at %v lost, before the reported window %v – %v",
					round, r.pid, r.at.Format(time.RFC3339Nano), from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano))
			}
		}
		if !to.After(killedAt) {
			t.Errorf("round %d: the window ends %v, before the kill at %v", round, to, killedAt)
		}
		var window time.Duration
		if lost > 0 {
			window = killedAt.Sub(earliest)
		}
		windows = append(windows, window)
		t.Logf("round %d: %d violations started before SIGKILL, %d lost, the earliest lost %v before it; reported window %v before the kill to %v after",
			round, before, lost, window.Round(time.Millisecond), killedAt.Sub(from).Round(time.Millisecond), to.Sub(killedAt).Round(time.Millisecond))
	}
	t.Logf("crash window (events lost before a SIGKILL): %v", windows)

	// A clean stop and start reports nothing more.
	sensor.stop()
	sensor.start()
	time.Sleep(3 * time.Second)
	if n := len(uncleanAlerts(be.records(t))); n != rounds {
		t.Errorf("%d %q alerts after a clean restart, want %d", n, uncleanRule, rounds)
	}
}

// A backend that accepts connections and never answers: SIGTERM still stops the sensor (the
// OTLP exporter's 10 s timeout bounds its last request), and the persistent queue keeps the
// alerts for the real backend after the restart.
func TestSIGTERMWithAHungBackend(t *testing.T) {
	hung, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := hung.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never read, never answered
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		hung.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})

	storage := t.TempDir()
	sensor := newCollector(t, "sensor", "otelsec:otlp",
		"OTELSEC_OTLP_ENDPOINT=http://"+hung.Addr().String(), "OTELSEC_STORAGE_DIR="+storage)
	sensor.start()
	want := cause(t, outageViolations, 5)
	waitAlertLines(t, sensor, want)
	time.Sleep(time.Second) // the exporter's request is hanging
	took, ok := sensor.terminate(30 * time.Second)
	t.Logf("SIGTERM to exit with a hung backend: %v", took)
	if !ok {
		t.Fatalf("the sensor was still running %v after SIGTERM", took)
	}
	if took > 20*time.Second {
		t.Errorf("the sensor took %v to stop", took)
	}

	be := newBackend(t)
	be.start()
	sensor = newSensor(t, be, storage)
	sensor.start()
	expectEach(t, be, want, 60*time.Second)
}
