package securityrulesprocessor

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/processor/securityrulesprocessor/internal/metadatatest"
)

var testRules = []string{"testdata/rules/base.yaml", "testdata/rules/local.yaml"}

// batch is one resource (host.name h1) with the given records.
func batch(recs ...func(plog.LogRecord)) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(schema.AttrHostName, "h1")
	sl := rl.ScopeLogs().AppendEmpty()
	for _, f := range recs {
		lr := sl.LogRecords().AppendEmpty()
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		f(lr)
	}
	return ld
}

func execRec(exe, parent string) func(plog.LogRecord) {
	return func(lr plog.LogRecord) {
		lr.SetEventName(schema.EventProcessExec)
		a := lr.Attributes()
		a.PutStr(schema.AttrProcessExecutableName, exe)
		a.PutStr(schema.AttrProcessExecutablePath, "/usr/bin/"+exe)
		a.PutStr(schema.AttrProcessParentExecutableName, parent)
		a.PutStr(schema.AttrProcessUserName, "www-data")
	}
}

func openRec(path string) func(plog.LogRecord) {
	return func(lr plog.LogRecord) {
		lr.SetEventName(schema.EventFileOpen)
		lr.Attributes().PutStr(schema.AttrFilePath, path)
		lr.Attributes().PutStr(schema.AttrProcessExecutableName, "cat")
	}
}

func authLine(lr plog.LogRecord) {
	lr.Body().SetStr("pam_unix(sudo:auth): authentication failure; logname=bob uid=1000")
	lr.Attributes().PutStr("log.file.name", "/var/log/auth.log")
}

func newTestProcessor(t *testing.T, cfg *Config, set processor.Settings) (processor.Logs, *consumertest.LogsSink) {
	t.Helper()
	require.NoError(t, cfg.Validate())
	sink := new(consumertest.LogsSink)
	p, err := NewFactory().CreateLogs(context.Background(), set, cfg, sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, p.Shutdown(context.Background())) })
	return p, sink
}

func records(sink *consumertest.LogsSink) []plog.LogRecord {
	var out []plog.LogRecord
	for _, ld := range sink.AllLogs() {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			sls := ld.ResourceLogs().At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				lrs := sls.At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					out = append(out, lrs.At(k))
				}
			}
		}
	}
	return out
}

func strAttr(t *testing.T, lr plog.LogRecord, k string) string {
	t.Helper()
	v, ok := lr.Attributes().Get(k)
	require.True(t, ok, "attribute %s missing", k)
	return v.AsString()
}

func TestEmitViolationsMatchFirst(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	cfg := &Config{Rules: testRules, Emit: EmitViolations, Match: MatchFirst}
	p, sink := newTestProcessor(t, cfg, metadatatest.NewSettings(tel))

	require.NoError(t, p.ConsumeLogs(context.Background(), batch(
		execRec("zsh", "nginx"), // zsh via the local override; the first rule in file order wins
		openRec("/etc/hosts"),
		execRec("ls", "bash"),
		authLine,
	)))
	got := records(sink)
	require.Len(t, got, 2)

	lr := got[0]
	assert.Equal(t, "Shell spawned", strAttr(t, lr, schema.AttrSecurityRuleName))
	assert.Equal(t, "A shell was started.", strAttr(t, lr, schema.AttrSecurityRuleDescription))
	assert.Equal(t, "test-base", strAttr(t, lr, schema.AttrSecurityRuleRulesetName))
	assert.Equal(t, `["process","mitre_execution","T1059.004"]`, strAttr(t, lr, schema.AttrSecurityRuleTags))
	assert.Equal(t, "process", strAttr(t, lr, schema.AttrSecurityRuleCategory))
	assert.Equal(t, `["process.user.name","process.executable.path","host.name"]`, strAttr(t, lr, schema.AttrSecurityRuleOutputFields))
	assert.Equal(t, "Notice", lr.SeverityText())
	assert.Equal(t, plog.SeverityNumberInfo2, lr.SeverityNumber())
	assert.Equal(t, "Shell spawned (user=www-data shell=/usr/bin/zsh host=h1)", lr.Body().Str())
	_, hasMatched := lr.Attributes().Get(schema.AttrSecurityRuleMatched)
	assert.False(t, hasMatched, "security_rule.matched is only set with match: all")

	// A record from another source: the body is kept as log.record.original.
	lr = got[1]
	assert.Equal(t, "Sudo failure in a log line", strAttr(t, lr, schema.AttrSecurityRuleName))
	assert.Equal(t, "sudo authentication failure in /var/log/auth.log", lr.Body().Str())
	assert.Equal(t, "pam_unix(sudo:auth): authentication failure; logname=bob uid=1000", strAttr(t, lr, schema.AttrLogRecordOriginal))
	assert.Equal(t, "Warning", lr.SeverityText())
	assert.Equal(t, plog.SeverityNumberWarn, lr.SeverityNumber())

	metadatatest.AssertEqualProcessorSecurityRulesRecordsProcessed(t, tel, []metricdata.DataPoint[int64]{{Value: 4}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorSecurityRulesRecordsDropped(t, tel, []metricdata.DataPoint[int64]{{Value: 2}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorSecurityRulesMatches(t, tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: attribute.NewSet(attribute.String(schema.AttrSecurityRuleName, "Shell spawned"))},
		{Value: 1, Attributes: attribute.NewSet(attribute.String(schema.AttrSecurityRuleName, "Sudo failure in a log line"))},
	}, metricdatatest.IgnoreTimestamp())
	m, err := tel.GetMetric("otelcol_processor_security_rules_evaluation_time")
	require.NoError(t, err)
	sum := m.Data.(metricdata.Sum[int64])
	assert.Positive(t, sum.DataPoints[0].Value)
}

func TestEmitAllMatchAll(t *testing.T) {
	cfg := &Config{Rules: testRules, Emit: EmitAll, Match: MatchAll}
	p, sink := newTestProcessor(t, cfg, metadatatest.NewSettings(componenttest.NewTelemetry()))
	require.NoError(t, p.ConsumeLogs(context.Background(), batch(execRec("bash", "nginx"), openRec("/etc/hosts"))))
	got := records(sink)
	require.Len(t, got, 2)
	// Both shell rules match; the Critical one names the violation.
	assert.Equal(t, "Shell spawned by a server", strAttr(t, got[0], schema.AttrSecurityRuleName))
	assert.Equal(t, `["Shell spawned","Shell spawned by a server"]`, strAttr(t, got[0], schema.AttrSecurityRuleMatched))
	assert.Equal(t, "Critical", got[0].SeverityText())
	assert.Equal(t, plog.SeverityNumberFatal, got[0].SeverityNumber())
	assert.Equal(t, "Shell below nginx (shell=/usr/bin/bash)", got[0].Body().Str())
	// Records that match nothing pass untouched.
	assert.Equal(t, plog.SeverityNumberInfo, got[1].SeverityNumber())
	assert.Equal(t, 2, got[1].Attributes().Len())
	assert.Equal(t, pcommon.ValueTypeEmpty, got[1].Body().Type())
}

func TestMinPriority(t *testing.T) {
	cfg := &Config{Rules: testRules, Emit: EmitViolations, Match: MatchAll, MinPriority: "critical"}
	p, sink := newTestProcessor(t, cfg, metadatatest.NewSettings(componenttest.NewTelemetry()))
	require.NoError(t, p.ConsumeLogs(context.Background(), batch(execRec("bash", "nginx"), execRec("bash", "sshd"), authLine)))
	got := records(sink)
	require.Len(t, got, 1)
	assert.Equal(t, `["Shell spawned by a server"]`, strAttr(t, got[0], schema.AttrSecurityRuleMatched))
}

func TestEmptyBatchIsSkipped(t *testing.T) {
	cfg := &Config{Rules: testRules, Emit: EmitViolations, Match: MatchFirst}
	p, sink := newTestProcessor(t, cfg, metadatatest.NewSettings(componenttest.NewTelemetry()))
	require.NoError(t, p.ConsumeLogs(context.Background(), batch(openRec("/etc/hosts"), execRec("ls", "bash"))))
	assert.Equal(t, 0, sink.LogRecordCount())
	assert.Empty(t, sink.AllLogs(), "an empty batch is not passed on")
}

func TestDefaultRuleset(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	p, sink := newTestProcessor(t, cfg, metadatatest.NewSettings(componenttest.NewTelemetry()))
	lr := func(lr plog.LogRecord) {
		execRec("bash", "nginx")(lr)
		a := lr.Attributes()
		s := a.PutEmptySlice(schema.AttrProcessAncestorsExecName)
		s.AppendEmpty().SetStr("nginx")
		s.AppendEmpty().SetStr("systemd")
		a.PutStr(schema.AttrProcessCommandLine, "bash -i")
	}
	require.NoError(t, p.ConsumeLogs(context.Background(), batch(lr, openRec("/usr/share/doc/readme"))))
	got := records(sink)
	require.Len(t, got, 1)
	assert.Equal(t, "Shell spawned by a server", strAttr(t, got[0], schema.AttrSecurityRuleName))
	assert.Equal(t, "otelsec-default", strAttr(t, got[0], schema.AttrSecurityRuleRulesetName))
	assert.Contains(t, got[0].Body().Str(), "shell=/usr/bin/bash")
}

func TestCreateFailsOnBadRules(t *testing.T) {
	cfg := &Config{Rules: []string{"testdata/bad/bad_cel.yaml"}, Emit: EmitViolations, Match: MatchFirst}
	_, err := NewFactory().CreateLogs(context.Background(), metadatatest.NewSettings(componenttest.NewTelemetry()), cfg, consumertest.NewNop())
	require.ErrorContains(t, err, `bad_cel.yaml:3:63: rule "Bad CEL"`)
}
