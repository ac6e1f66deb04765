package alertexporter

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelsec/otelsec/exporter/alertexporter/internal/metadatatest"
	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/processor/securityrulesprocessor"
)

// TestAlertsFromTheRulesProcessor runs the real security_rules processor in front of the
// exporter: the processor's marks (name, priority, tags, rendered Body and
// security_rule.output_fields) must come out as the Falco alert the README promises.
func TestAlertsFromTheRulesProcessor(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.json")
	tt := newTelemetry(t)
	exp := startExporter(t, testConfig(func(c *Config) { c.Path = path; c.Format = FormatJSON }), tt)

	pf := securityrulesprocessor.NewFactory()
	pcfg := pf.CreateDefaultConfig().(*securityrulesprocessor.Config)
	pcfg.Rules = []string{filepath.Join("testdata", "rules", "shell.yaml")}
	pcfg.Emit = securityrulesprocessor.EmitAll
	require.NoError(t, pcfg.Validate())
	proc, err := pf.CreateLogs(context.Background(), processortest.NewNopSettings(pf.Type()), pcfg, exp)
	require.NoError(t, err)
	require.NoError(t, proc.Start(context.Background(), componenttest.NewNopHost()))

	// One event the rule matches, and one it does not (no terminal); both as the receiver
	// emits them, without any security_rule.* attribute.
	ld := newTestLogs("web-1", 2, func(i int, rec plog.LogRecord) {
		violation(rec)
		for _, k := range []string{schema.AttrSecurityRuleName, schema.AttrSecurityRuleDescription, schema.AttrSecurityRuleRulesetName, schema.AttrSecurityRuleTags} {
			rec.Attributes().Remove(k)
		}
		rec.SetSeverityText("INFO")
		rec.SetSeverityNumber(plog.SeverityNumberInfo)
		rec.Body().SetStr("")
		if i == 1 {
			rec.Attributes().PutBool(schema.AttrProcessInteractive, false)
		}
	})
	require.NoError(t, proc.ConsumeLogs(context.Background(), ld))
	require.NoError(t, proc.Shutdown(context.Background()))
	require.NoError(t, exp.Shutdown(context.Background()))

	lines := readLines(t, path)
	require.Len(t, lines, 1)
	assertCounter(t, tt, metadatatest.AssertEqualExporterAlertRecordsIgnored, 1)
	var alert struct {
		Output       string                     `json:"output"`
		OutputFields map[string]json.RawMessage `json:"output_fields"`
		Priority     string                     `json:"priority"`
		Rule         string                     `json:"rule"`
		Tags         []string                   `json:"tags"`
		Hostname     string                     `json:"hostname"`
	}
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &alert))
	assert.Equal(t, "Shell with a terminal", alert.Rule)
	assert.Equal(t, "Warning", alert.Priority)
	assert.Equal(t, []string{"mitre_execution", "process", "shell"}, alert.Tags)
	assert.Equal(t, "web-1", alert.Hostname)
	// The prefix is local time; the rest is fixed.
	assert.Regexp(t, `^\d\d:\d\d:\d\d\.123456789: Warning Shell with a terminal \(user=root pid=4242 cmd=bash -i host=web-1 evt=process.exec missing=<NA>\)$`, alert.Output)
	fields := map[string]string{}
	for k, v := range alert.OutputFields {
		fields[k] = string(v)
	}
	assert.Equal(t, map[string]string{
		schema.AttrProcessUserName:    `"root"`,
		schema.AttrProcessPID:         `4242`,
		schema.AttrProcessCommandLine: `"bash -i"`,
		schema.AttrHostName:           `"web-1"`,
		"event.name":                  `"process.exec"`,
		schema.AttrFilePath:           `null`,
		"evt.time":                    `1795857123123456789`,
	}, fields)
}
