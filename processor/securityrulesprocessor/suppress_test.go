package securityrulesprocessor

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processorhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelsec/otelsec/internal/ruleengine"
	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/processor/securityrulesprocessor/internal/metadatatest"
)

var suppressRules = []string{"testdata/rules/suppress.yaml"}

const (
	ruleBPF    = "BPF program loaded"
	ruleModule = "Kernel module loaded"
	ruleLost   = "Kernel events lost"
	ruleSudo   = "Sudo failure in a log line"
)

// suppressHarness runs the processor's batch function directly, so the test owns its clock.
type suppressHarness struct {
	t   *testing.T
	p   *rulesProcessor
	tel *componenttest.Telemetry
	now time.Time
}

func newSuppressHarness(t *testing.T, cfg *Config) *suppressHarness {
	t.Helper()
	require.NoError(t, cfg.Validate())
	h := &suppressHarness{t: t, tel: componenttest.NewTelemetry(), now: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)}
	t.Cleanup(func() { require.NoError(t, h.tel.Shutdown(context.Background())) })
	p, err := newRulesProcessor(cfg, metadatatest.NewSettings(h.tel))
	require.NoError(t, err)
	p.now, p.epoch = func() time.Time { return h.now }, h.now
	h.p = p
	return h
}

func suppressCfg(emit string, window time.Duration, maxKeys int, exclude ...string) *Config {
	return &Config{Rules: suppressRules, Emit: emit, Match: MatchFirst,
		Suppress: SuppressConfig{Window: window, MaxKeys: maxKeys, ExcludeRules: exclude}}
}

// run processes one batch and returns the records that left the processor.
func (h *suppressHarness) run(ld plog.Logs) []plog.LogRecord {
	h.t.Helper()
	out, err := h.p.processLogs(context.Background(), ld)
	if err != nil {
		require.True(h.t, errors.Is(err, processorhelper.ErrSkipProcessingData), err)
		return nil
	}
	var recs []plog.LogRecord
	for i := 0; i < out.ResourceLogs().Len(); i++ {
		sls := out.ResourceLogs().At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				recs = append(recs, lrs.At(k))
			}
		}
	}
	return recs
}

func (h *suppressHarness) advance(d time.Duration) { h.now = h.now.Add(d) }

func (h *suppressHarness) assertSuppressed(want map[string]int64) {
	h.t.Helper()
	var dps []metricdata.DataPoint[int64]
	for rule, n := range want {
		dps = append(dps, metricdata.DataPoint[int64]{Value: n, Attributes: attribute.NewSet(attribute.String(schema.AttrSecurityRuleName, rule))})
	}
	metadatatest.AssertEqualProcessorSecurityRulesSuppressed(h.t, h.tel, dps, metricdatatest.IgnoreTimestamp())
}

func bpfLoad(pid int64, exe string) func(plog.LogRecord) {
	return func(lr plog.LogRecord) {
		lr.SetEventName(schema.EventKernelBPF)
		a := lr.Attributes()
		a.PutInt(schema.AttrProcessPID, pid)
		a.PutStr(schema.AttrProcessExecutablePath, exe)
		a.PutStr(schema.AttrProcessExecutableName, exe[strings.LastIndexByte(exe, '/')+1:])
		a.PutStr(schema.AttrBPFCommand, "BPF_PROG_LOAD")
		a.PutStr(schema.AttrBPFProgramType, "BPF_PROG_TYPE_KPROBE")
	}
}

func moduleLoad(pid int64) func(plog.LogRecord) {
	return func(lr plog.LogRecord) {
		lr.SetEventName(schema.EventKernelModuleLoad)
		lr.Attributes().PutInt(schema.AttrProcessPID, pid)
		lr.Attributes().PutStr(schema.AttrProcessExecutablePath, "/usr/sbin/insmod")
		lr.Attributes().PutStr(schema.AttrKernelModuleName, "rootkit")
	}
}

// lossReport is the receiver's agent.events_dropped record: no process attributes at all.
func lossReport(count int64) func(plog.LogRecord) {
	return func(lr plog.LogRecord) {
		lr.SetEventName(schema.EventAgentEventsDropped)
		lr.Attributes().PutInt(schema.AttrDroppedCount, count)
		lr.Attributes().PutStr(schema.AttrDroppedReason, "ring_buffer_full")
	}
}

func repeat(n int, f func(plog.LogRecord)) []func(plog.LogRecord) {
	out := make([]func(plog.LogRecord), n)
	for i := range out {
		out[i] = f
	}
	return out
}

func ruleOf(t *testing.T, lr plog.LogRecord) string {
	t.Helper()
	v, ok := lr.Attributes().Get(schema.AttrSecurityRuleName)
	if !ok {
		return ""
	}
	return v.Str()
}

// suppressedCount is security_rule.suppressed.count, or -1 when the record lacks it.
func suppressedCount(lr plog.LogRecord) int64 {
	v, ok := lr.Attributes().Get(schema.AttrSecurityRuleSuppressedCount)
	if !ok {
		return -1
	}
	return v.Int()
}

// The measured case: a tool loads 60 BPF programs within a second. One alert, not 60; the
// repeats are counted and reported on the next alert of that process after the window.
func TestSuppressRepeatsWithinWindow(t *testing.T) {
	h := newSuppressHarness(t, suppressCfg(EmitViolations, time.Minute, 100))

	got := h.run(batch(repeat(60, bpfLoad(4242, "/opt/tool/loader"))...))
	require.Len(t, got, 1)
	assert.Equal(t, ruleBPF, ruleOf(t, got[0]))
	assert.Equal(t, "BPF program loaded (exe=/opt/tool/loader pid=4242)", got[0].Body().Str())
	assert.Equal(t, int64(-1), suppressedCount(got[0]), "the first violation carries no count")
	h.assertSuppressed(map[string]int64{ruleBPF: 59})

	// Still inside the window (it runs from the violation that passed): suppressed.
	h.advance(59 * time.Second)
	assert.Empty(t, h.run(batch(repeat(5, bpfLoad(4242, "/opt/tool/loader"))...)))
	h.assertSuppressed(map[string]int64{ruleBPF: 64})

	// The window has passed: the next one passes and says how many were hidden.
	h.advance(time.Second)
	got = h.run(batch(repeat(3, bpfLoad(4242, "/opt/tool/loader"))...))
	require.Len(t, got, 1)
	assert.Equal(t, int64(64), suppressedCount(got[0]))
	assert.Equal(t, "Warning", got[0].SeverityText())
	h.assertSuppressed(map[string]int64{ruleBPF: 66})

	// A new window started with that violation; after it, the count covers only its repeats.
	h.advance(time.Minute)
	got = h.run(batch(bpfLoad(4242, "/opt/tool/loader")))
	require.Len(t, got, 1)
	assert.Equal(t, int64(2), suppressedCount(got[0]))

	// A quiet key passes without a count.
	h.advance(2 * time.Minute)
	got = h.run(batch(bpfLoad(4242, "/opt/tool/loader")))
	require.Len(t, got, 1)
	assert.Equal(t, int64(-1), suppressedCount(got[0]))

	// Every violation still counts as a match; records_dropped stays "matched no rule".
	metadatatest.AssertEqualProcessorSecurityRulesMatches(t, h.tel, []metricdata.DataPoint[int64]{
		{Value: 70, Attributes: attribute.NewSet(attribute.String(schema.AttrSecurityRuleName, ruleBPF))},
	}, metricdatatest.IgnoreTimestamp())
	_, err := h.tel.GetMetric("otelcol_processor_security_rules_records_dropped")
	assert.Error(t, err, "no record was dropped for matching no rule")
}

func TestSuppressKeySeparatesProcesses(t *testing.T) {
	h := newSuppressHarness(t, suppressCfg(EmitViolations, time.Minute, 100))
	got := h.run(batch(
		bpfLoad(100, "/opt/a"), bpfLoad(101, "/opt/a"), // another pid
		bpfLoad(100, "/opt/b"),           // the same pid after an exec: another program
		moduleLoad(100), moduleLoad(100), // another rule, same pid
		bpfLoad(100, "/opt/a"), bpfLoad(101, "/opt/a"), // repeats
	))
	var names []string
	for _, lr := range got {
		names = append(names, ruleOf(t, lr)+" "+lr.Body().Str())
	}
	assert.Equal(t, []string{
		"BPF program loaded BPF program loaded (exe=/opt/a pid=100)",
		"BPF program loaded BPF program loaded (exe=/opt/a pid=101)",
		"BPF program loaded BPF program loaded (exe=/opt/b pid=100)",
		"Kernel module loaded Kernel module loaded (module=rootkit pid=100)",
	}, names)
	h.assertSuppressed(map[string]int64{ruleBPF: 2, ruleModule: 1})

	// The same pid and program on another host (a gateway collector) is another process.
	other := batch(bpfLoad(100, "/opt/a"))
	other.ResourceLogs().At(0).Resource().Attributes().PutStr(schema.AttrHostName, "h2")
	assert.Len(t, h.run(other), 1)
	assert.Empty(t, h.run(batch(bpfLoad(100, "/opt/a"))), "h1's key is still in its window")
}

// Records from other sources: the key is the rule plus whatever of pid, executable and host
// is present, on the record or its resource.
func TestSuppressKeyFromOtherSources(t *testing.T) {
	h := newSuppressHarness(t, suppressCfg(EmitViolations, time.Minute, 100))
	withHost := func(host string, recs ...func(plog.LogRecord)) plog.Logs {
		ld := batch(recs...)
		ld.ResourceLogs().At(0).Resource().Attributes().PutStr(schema.AttrHostName, host)
		return ld
	}
	// Log lines with only host.name (on the resource): one per rule and host.
	assert.Len(t, h.run(withHost("a", authLine, authLine, authLine)), 1)
	assert.Len(t, h.run(withHost("b", authLine)), 1)
	// Without any identifying attribute, repeats of the rule are still one key.
	noHost := batch(authLine, authLine)
	noHost.ResourceLogs().At(0).Resource().Attributes().Clear()
	assert.Len(t, h.run(noHost), 1)

	// process.pid on the resource (an application's OTLP logs) keys like a record attribute.
	fromApp := func(pid int64) plog.Logs {
		ld := withHost("a", authLine, authLine)
		ld.ResourceLogs().At(0).Resource().Attributes().PutInt(schema.AttrProcessPID, pid)
		return ld
	}
	assert.Len(t, h.run(fromApp(7)), 1)
	assert.Len(t, h.run(fromApp(8)), 1)
	assert.Empty(t, h.run(fromApp(7)))
	h.assertSuppressed(map[string]int64{ruleSudo: 7})
}

// The receiver's loss report carries its own count: hiding one would hide lost events.
func TestSuppressNeverHidesLossReports(t *testing.T) {
	h := newSuppressHarness(t, suppressCfg(EmitViolations, time.Minute, 100))
	got := h.run(batch(lossReport(10), lossReport(20), lossReport(30)))
	require.Len(t, got, 3)
	for i, lr := range got {
		assert.Equal(t, ruleLost, ruleOf(t, lr))
		assert.Equal(t, "Kernel events lost (count="+strconv.Itoa(10*(i+1))+")", lr.Body().Str())
		assert.Equal(t, int64(-1), suppressedCount(lr))
	}
	// Also when the event name is an attribute (records relayed from another collector).
	relayed := func(lr plog.LogRecord) {
		lossReport(5)(lr)
		lr.SetEventName("")
		lr.Attributes().PutStr(ruleengine.EventNameAttr, schema.EventAgentEventsDropped)
	}
	assert.Len(t, h.run(batch(relayed, relayed)), 2)
	_, err := h.tel.GetMetric("otelcol_processor_security_rules_suppressed")
	assert.Error(t, err, "nothing was suppressed")
	assert.Zero(t, h.p.sup.len(), "exempt records do not take table entries")
}

func TestSuppressExcludeRules(t *testing.T) {
	core, logs := observer.New(zapcore.WarnLevel)
	cfg := suppressCfg(EmitViolations, time.Minute, 100, ruleModule, "No such rule")
	require.NoError(t, cfg.Validate())
	set := metadatatest.NewSettings(componenttest.NewTelemetry())
	set.Logger = zap.New(core)
	p, err := newRulesProcessor(cfg, set)
	require.NoError(t, err)

	out, err := p.processLogs(context.Background(), batch(moduleLoad(9), moduleLoad(9), moduleLoad(9), bpfLoad(9, "/x"), bpfLoad(9, "/x")))
	require.NoError(t, err)
	recs := out.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	require.Equal(t, 4, recs.Len(), "three module loads (excluded) and the first BPF load")
	for i := 0; i < 3; i++ {
		assert.Equal(t, ruleModule, ruleOf(t, recs.At(i)))
	}
	assert.Equal(t, ruleBPF, ruleOf(t, recs.At(3)))

	warned := logs.FilterMessage("suppress.exclude_rules names rules that are not loaded").All()
	require.Len(t, warned, 1)
	assert.Equal(t, []any{"No such rule"}, warned[0].ContextMap()["rules"])
}

// emit: all passes every record; a suppressed repeat passes as one that violates nothing.
func TestSuppressEmitAll(t *testing.T) {
	h := newSuppressHarness(t, suppressCfg(EmitAll, time.Minute, 100))
	got := h.run(batch(bpfLoad(1, "/x"), bpfLoad(1, "/x"), openRec("/etc/hosts")))
	require.Len(t, got, 3)
	assert.Equal(t, ruleBPF, ruleOf(t, got[0]))
	assert.Equal(t, "Warning", got[0].SeverityText())
	for _, lr := range got[1:] {
		assert.Empty(t, ruleOf(t, lr))
		assert.Equal(t, plog.SeverityNumberInfo, lr.SeverityNumber())
		assert.Empty(t, lr.SeverityText())
		assert.Equal(t, pcommon.ValueTypeEmpty, lr.Body().Type())
	}
	assert.Equal(t, schema.EventKernelBPF, got[1].EventName())
	h.assertSuppressed(map[string]int64{ruleBPF: 1})

	h.advance(time.Minute)
	got = h.run(batch(bpfLoad(1, "/x")))
	require.Len(t, got, 1)
	assert.Equal(t, ruleBPF, ruleOf(t, got[0]))
	assert.Equal(t, int64(1), suppressedCount(got[0]))
}

// The table holds at most max_keys keys and evicts the least recently seen one.
func TestSuppressMaxKeys(t *testing.T) {
	h := newSuppressHarness(t, suppressCfg(EmitViolations, time.Minute, 2))
	assert.Len(t, h.run(batch(bpfLoad(1, "/x"), bpfLoad(2, "/x"))), 2)
	assert.Empty(t, h.run(batch(bpfLoad(1, "/x"))), "pid 1 seen again: now the most recent")
	_, err := h.tel.GetMetric("otelcol_processor_security_rules_suppress_evictions")
	require.Error(t, err, "no eviction while the table has room")

	assert.Len(t, h.run(batch(bpfLoad(3, "/x"))), 1, "evicts pid 2, the least recently seen")
	assert.Equal(t, 2, h.p.sup.len())
	assert.Empty(t, h.run(batch(bpfLoad(1, "/x"), bpfLoad(3, "/x"))), "pids 1 and 3 are kept")
	got := h.run(batch(bpfLoad(2, "/x")))
	require.Len(t, got, 1, "pid 2 was evicted: it passes as a first violation")
	assert.Equal(t, int64(-1), suppressedCount(got[0]))
	assert.Equal(t, 2, h.p.sup.len())
	metadatatest.AssertEqualProcessorSecurityRulesSuppressEvictions(t, h.tel, []metricdata.DataPoint[int64]{{Value: 2}}, metricdatatest.IgnoreTimestamp())

	// Many keys through a small table: it never grows past max_keys.
	var recs []func(plog.LogRecord)
	for pid := int64(1000); pid < 1500; pid++ {
		recs = append(recs, bpfLoad(pid, "/x"))
	}
	assert.Len(t, h.run(batch(recs...)), 500)
	assert.Equal(t, 2, h.p.sup.len())
	metadatatest.AssertEqualProcessorSecurityRulesSuppressEvictions(t, h.tel, []metricdata.DataPoint[int64]{{Value: 502}}, metricdatatest.IgnoreTimestamp())
}

func TestSuppressOff(t *testing.T) {
	h := newSuppressHarness(t, suppressCfg(EmitViolations, 0, 0))
	assert.Nil(t, h.p.sup)
	assert.Len(t, h.run(batch(repeat(10, bpfLoad(1, "/x"))...)), 10)
}

// Batches processed concurrently share the table: exactly one violation of a key passes.
func TestSuppressConcurrentBatches(t *testing.T) {
	h := newSuppressHarness(t, suppressCfg(EmitViolations, time.Minute, 100))
	const workers, batches, perBatch = 4, 25, 20
	var passed sync.Map
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := 0; b < batches; b++ {
				out, err := h.p.processLogs(context.Background(), batch(repeat(perBatch, bpfLoad(77, "/x"))...))
				if err == nil {
					passed.Store(w*batches+b, out.LogRecordCount())
				}
			}
		}()
	}
	wg.Wait()
	total := 0
	passed.Range(func(_, v any) bool { total += v.(int); return true })
	assert.Equal(t, 1, total)
	h.assertSuppressed(map[string]int64{ruleBPF: workers*batches*perBatch - 1})
}

// The common path of a repeat (key built, table hit) allocates nothing.
func TestSuppressObserveDoesNotAllocate(t *testing.T) {
	rs := newSuppressHarness(t, suppressCfg(EmitViolations, time.Minute, 100)).p
	ld := batch(bpfLoad(5, "/opt/tool/loader"))
	res := ld.ResourceLogs().At(0).Resource().Attributes()
	lr := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	rule := rs.engine.Rules()[0]
	now := time.Now().UnixNano()
	rs.sup.observe(rs.sup.key(rule, res, lr.Attributes()), recordID(lr), now)
	allocs := testing.AllocsPerRun(100, func() {
		if rs.sup.exempt(rule, lr) {
			t.Fatal("exempt")
		}
		if v, _, _ := rs.sup.observe(rs.sup.key(rule, res, lr.Attributes()), recordID(lr), now); v != verdictSuppress {
			t.Fatal("not suppressed")
		}
	})
	assert.Zero(t, allocs)
}

// With the default configuration and ruleset, the measured burst gives one alert.
func TestSuppressDefaultConfigBPFBurst(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	p, sink := newTestProcessor(t, cfg, metadatatest.NewSettings(componenttest.NewTelemetry()))
	load := func(lr plog.LogRecord) {
		bpfLoad(31337, "/tmp/.x/loader")(lr)
		lr.Attributes().PutInt(schema.AttrSyscallReturn, 3)
	}
	require.NoError(t, p.ConsumeLogs(context.Background(), batch(repeat(60, load)...)))
	require.NoError(t, p.ConsumeLogs(context.Background(), batch(repeat(30, load)...)))
	got := records(sink)
	require.Len(t, got, 1)
	assert.Contains(t, ruleOf(t, got[0]), "BPF program loaded")
	assert.Contains(t, got[0].Body().Str(), "pid=31337")
}
