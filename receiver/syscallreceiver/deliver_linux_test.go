//go:build linux

package syscallreceiver

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/metadata"
)

func isLossReport(ld plog.Logs) bool {
	return ld.LogRecordCount() > 0 &&
		ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).EventName() == schema.EventAgentEventsDropped
}

// refusals refuses, with err, the batches that hold an exec whose command line carries mark,
// and counts the attempts to deliver them; the machine's other events and loss reports pass.
type refusals struct {
	mark     string
	err      error
	mu       sync.Mutex
	attempts int
	records  int
}

func (f *refusals) fail(ld plog.Logs) error {
	if isLossReport(ld) || !holds(ld, f.mark) {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts++
	f.records += ld.LogRecordCount()
	return f.err
}

func holds(ld plog.Logs, mark string) bool {
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				if strings.Contains(str(lrs.At(k), schema.AttrProcessCommandLine), mark) {
					return true
				}
			}
		}
	}
	return false
}

func refusedReports(rec *recorder) (count int64, n int) {
	for _, lr := range rec.all(func(lr plog.LogRecord) bool {
		return lr.EventName() == schema.EventAgentEventsDropped && str(lr, schema.AttrDroppedReason) == reasonPipelineRefused
	}) {
		count += num(lr, schema.AttrDroppedCount)
		n++
	}
	return count, n
}

// An exporter's full queue is a loss, not something to retry: a retry hands the batch again to
// the exporters that took it. Counted, and reported as pipeline_refused.
func TestFullQueueIsCountedNotRetried(t *testing.T) {
	requireRoot(t)
	_, self := selfName(t)
	f := &refusals{mark: "queue-full", err: fmt.Errorf("otlp_http: %w", exporterhelper.ErrQueueIsFull)}
	rec := &recorder{self: self, fail: f.fail}
	cfg := testConfig()
	cfg.Events = []string{schema.EventProcessExec}
	cfg.DropReportInterval = time.Second
	rcv := startReceiver(t, cfg, rec, receivertest.NewNopSettings(metadata.Type))
	require.NoError(t, exec.Command("/bin/true", "queue-full").Run())

	lr := rcv.(*logsReceiver)
	require.Eventually(t, func() bool { c, _ := refusedReports(rec); return c > 0 }, 10*time.Second, 20*time.Millisecond)
	time.Sleep(200 * time.Millisecond) // a retry, if there were one, would come within this
	f.mu.Lock()
	defer f.mu.Unlock()
	count, _ := refusedReports(rec)
	assert.Equal(t, 1, f.attempts, "not retried")
	assert.Equal(t, uint64(f.records), lr.refused.Load(), "every refused record is counted")
	assert.Equal(t, int64(f.records), count, "and reported")
}

// A refusal that may pass later is retried for retry_timeout, then counted and reported.
func TestRetryTimeoutEndsInReportedLoss(t *testing.T) {
	requireRoot(t)
	_, self := selfName(t)
	f := &refusals{mark: "retry-timeout", err: errors.New("data refused due to high memory usage")}
	rec := &recorder{self: self, fail: f.fail}
	cfg := testConfig()
	cfg.Events = []string{schema.EventProcessExec}
	cfg.DropReportInterval = time.Second
	cfg.RetryTimeout = 300 * time.Millisecond
	startReceiver(t, cfg, rec, receivertest.NewNopSettings(metadata.Type))
	require.NoError(t, exec.Command("/bin/true", "retry-timeout").Run())

	require.Eventually(t, func() bool { c, _ := refusedReports(rec); return c > 0 }, 10*time.Second, 20*time.Millisecond)
	f.mu.Lock()
	defer f.mu.Unlock()
	// 10 ms doubling: attempts at 0, 10, 30, 70, 150 ms, then the deadline at 300 ms.
	assert.GreaterOrEqual(t, f.attempts, 2, "retried")
	assert.LessOrEqual(t, f.attempts, 6, "within retry_timeout")
}

// The collector calls Shutdown without a deadline: shutdown_timeout bounds it, whatever the
// pipeline does, and what was not delivered is counted.
func TestShutdownTimeoutWithoutDeadline(t *testing.T) {
	requireRoot(t)
	_, self := selfName(t)
	rec := &recorder{self: self, fail: func(plog.Logs) error { return errors.New("refused, try later") }}
	cfg := testConfig()
	cfg.Events = []string{schema.EventProcessExec}
	cfg.ShutdownTimeout = 500 * time.Millisecond
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, rec)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, exec.Command("/bin/true").Run())
	lr := rcv.(*logsReceiver)
	require.Eventually(t, func() bool { return lr.received.Load() > 0 }, 5*time.Second, 10*time.Millisecond)
	time.Sleep(50 * time.Millisecond) // let the batch reach the retrying sender

	start := time.Now()
	err = rcv.Shutdown(context.Background())
	took := time.Since(start)
	t.Logf("Shutdown took %v", took)
	assert.Less(t, took, 3*time.Second)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Positive(t, lr.refused.Load(), "what could not be delivered is counted")
}

// A pipeline that ignores the cancellation is left behind after the deadline: the sensor still
// stops.
func TestShutdownLeavesAStuckPipelineBehind(t *testing.T) {
	requireRoot(t)
	_, self := selfName(t)
	release := make(chan struct{})
	var once sync.Once
	blocked := make(chan struct{})
	rec := &recorder{self: self, fail: func(plog.Logs) error {
		once.Do(func() { close(blocked) })
		<-release
		return nil
	}}
	t.Cleanup(func() { close(release) })
	cfg := testConfig()
	cfg.Events = []string{schema.EventProcessExec}
	cfg.ShutdownTimeout = 300 * time.Millisecond
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, rec)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, exec.Command("/bin/true").Run())
	<-blocked

	start := time.Now()
	err = rcv.Shutdown(context.Background())
	assert.Less(t, time.Since(start), 3*time.Second)
	assert.ErrorContains(t, err, "stopped waiting for it")
}
