package ruleengine

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/schema"
)

// proc.env is process.environment joined with spaces, as Falco shows it; a record without it
// (the capture off, a failed exec) has an empty one, which contains nothing.
func TestFalcoProcEnv(t *testing.T) {
	withEnv := func(env ...string) plog.LogRecord {
		return execRec(shellUser, schema.AttrProcessEnvironment, env)
	}
	e, warns := falcoCompile(t, "- required_engine_version: 0.50.0\n- rule: r\n  desc: d\n"+
		"  condition: evt.type = execve and proc.env icontains http_proxy\n  output: \"env=%proc.env\"\n  priority: WARNING\n")
	approx := false
	for _, w := range warns {
		approx = approx || strings.Contains(w.Msg, "approximately") && strings.Contains(w.Msg, "proc.env")
	}
	assert.True(t, approx, "proc.env is said to be approximate (a failed exec has none): %v", warns)
	require.NotNil(t, e.Rules()[0].fast, e.Rules()[0].slowReason)

	fires := withEnv("HOME=/root", "HTTP_PROXY=http://proxy.invalid:3128")
	rules := e.Match(pcommon.NewMap(), fires, nil)
	require.Equal(t, []string{"r"}, names(rules))
	assert.Equal(t, "env=HOME=/root HTTP_PROXY=http://proxy.invalid:3128", rules[0].Render(pcommon.NewMap(), fires))
	assert.Empty(t, matchAll(e, withEnv("HOME=/root", "NO_PROXY=localhost")), "near miss: another variable")
	assert.Empty(t, matchAll(e, execRec(shellUser)), "no environment recorded")
}
