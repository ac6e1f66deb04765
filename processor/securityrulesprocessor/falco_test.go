package securityrulesprocessor

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelsec/otelsec/internal/falcotest"
	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/processor/securityrulesprocessor/internal/metadata"
)

// TestFalcoRulesFile: `rules: [falco_rules.yaml]` with no other setting runs Falco's rules,
// and the violation carries Falco's rule name, priority and tags.
func TestFalcoRulesFile(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	set := processortest.NewNopSettings(metadata.Type)
	set.Logger = zap.New(core)
	cfg := &Config{Rules: []string{filepath.Join(falcotest.Dir(t), falcotest.Stable)}, Emit: EmitViolations, Match: MatchFirst}
	p, sink := newTestProcessor(t, cfg, set)

	require.NoError(t, p.ConsumeLogs(context.Background(), batch(func(lr plog.LogRecord) {
		lr.SetEventName(schema.EventFileOpen)
		a := lr.Attributes()
		a.PutStr(schema.AttrSyscallName, "openat")
		a.PutInt(schema.AttrSyscallReturn, 3)
		a.PutStr(schema.AttrFilePath, "/etc/shadow")
		a.PutEmptySlice(schema.AttrFileFlags).AppendEmpty().SetStr("O_RDONLY")
		a.PutStr(schema.AttrProcessExecutablePath, "/usr/bin/cat")
		a.PutStr(schema.AttrProcessCommandLine, "cat /etc/shadow")
		a.PutStr(schema.AttrProcessParentCommandLine, "bash")
		a.PutStr(schema.AttrProcessUserName, "root")
		a.PutInt(schema.AttrProcessUserID, 0)
	}, func(lr plog.LogRecord) {
		lr.SetEventName(schema.EventFileOpen) // /etc/passwd is not a sensitive file
		a := lr.Attributes()
		a.PutStr(schema.AttrSyscallName, "openat")
		a.PutStr(schema.AttrFilePath, "/etc/passwd")
		a.PutEmptySlice(schema.AttrFileFlags).AppendEmpty().SetStr("O_RDONLY")
		a.PutStr(schema.AttrProcessCommandLine, "cat /etc/passwd")
	})))
	got := records(sink)
	require.Len(t, got, 1)
	lr := got[0]
	assert.Equal(t, "Read sensitive file untrusted", strAttr(t, lr, schema.AttrSecurityRuleName))
	assert.Equal(t, "falco_rules", strAttr(t, lr, schema.AttrSecurityRuleRulesetName))
	assert.Equal(t, "Warning", lr.SeverityText())
	assert.Contains(t, strAttr(t, lr, schema.AttrSecurityRuleTags), `"mitre_credential_access"`)
	assert.True(t, strings.HasPrefix(lr.Body().Str(), "Sensitive file opened for reading by non-trusted program | file=/etc/shadow "), lr.Body().Str())
	// Falco's output_fields: the output's fields under Falco's names, typed as Falco's JSON
	// types them; our contract attributes stay on the record.
	ff, ok := lr.Attributes().Get(schema.AttrSecurityRuleFalcoOutputFields)
	require.True(t, ok, "no %s", schema.AttrSecurityRuleFalcoOutputFields)
	falcoFields := ff.Map().AsRaw()
	assert.Equal(t, "/etc/shadow", falcoFields["fd.name"])
	assert.Equal(t, "root", falcoFields["user.name"])
	assert.Equal(t, int64(0), falcoFields["user.uid"])
	assert.Equal(t, "/usr/bin/cat", falcoFields["proc.exepath"])
	assert.Equal(t, "openat", falcoFields["evt.type"])
	assert.Contains(t, falcoFields, "proc.aname[2]")
	assert.Nil(t, falcoFields["proc.aname[2]"], "an ancestor the record lacks is null, as Falco writes <NA>")
	assert.Len(t, falcoFields, 13, "every %%field of the output: %v", falcoFields)
	assert.Equal(t, "/etc/shadow", strAttr(t, lr, schema.AttrFilePath))

	summary := logs.FilterMessage("Falco rules loaded").All()
	require.Len(t, summary, 1)
	fields := summary[0].ContextMap()
	assert.EqualValues(t, 25, fields["running"].(int64)+fields["disabled_in_file"].(int64)+fields["disabled_missing_fields"].(int64)+
		fields["disabled_events_not_captured"].(int64)+fields["never_fire"].(int64))
	assert.Contains(t, fields["disabled_rules"], "Contact K8S API Server From Container")
	assert.NotEmpty(t, logs.FilterMessage("security rule warning").FilterField(zap.String("rule", "Contact K8S API Server From Container")).All(),
		"the rule the sensor cannot serve is named in a warning")
}

// TestFalcoBadFile: a Falco file that Falco would reject stops the collector at start with
// the file, line, column and reason.
func TestFalcoBadFile(t *testing.T) {
	cfg := &Config{Rules: []string{"testdata/bad/bad_falco.yaml"}, Emit: EmitViolations, Match: MatchFirst}
	assert.EqualError(t, cfg.Validate(), `rules: testdata/bad/bad_falco.yaml:7:40: rule "Broken": invalid condition: expected a ')' token`)
}
