package securityrulesprocessor

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelsec/otelsec/processor/securityrulesprocessor/internal/metadatatest"
)

const oneRule = `
- rule: r
  desc: d
  condition: event.name == "process.exec"
  output: o
  priority: WARNING
`

func writeRules(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
		require.NoError(t, os.WriteFile(p, []byte(data), 0o600))
	}
	return dir
}

func validate(rules ...string) error {
	cfg := createDefaultConfig().(*Config)
	cfg.Rules = rules
	return confmap.Validate(cfg)
}

// A rule set with no enabled rule would run a sensor that detects nothing: a config error.
func TestNoEnabledRuleIsAnError(t *testing.T) {
	dir := writeRules(t, map[string]string{
		"empty.yaml":    "# nothing here yet\n",
		"disabled.yaml": oneRule + "  enabled: false\n",
		"lists.yaml":    "- list: l\n  items: [a]\n",
	})
	err := validate(filepath.Join(dir, "empty.yaml"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "rules: no enabled rule in "+filepath.Join(dir, "empty.yaml")+": the processor would detect nothing; "+
		filepath.Join(dir, "empty.yaml")+": the file defines no rule, macro or list (it is empty or only comments): it adds nothing")
	err = validate(filepath.Join(dir, "disabled.yaml"), filepath.Join(dir, "lists.yaml"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "rules: no enabled rule in "+filepath.Join(dir, "disabled.yaml")+", "+filepath.Join(dir, "lists.yaml")+": the processor would detect nothing")

	cfg := createDefaultConfig().(*Config)
	cfg.Rules = []string{"testdata/rules/base.yaml"}
	cfg.MinPriority = "emergency"
	err = confmap.Validate(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no enabled rule in testdata/rules/base.yaml at min_priority emergency or above")
}

// An empty file among others starts the processor, with a warning naming the file.
func TestEmptyFileWarns(t *testing.T) {
	dir := writeRules(t, map[string]string{"empty.yaml": "", "one.yaml": oneRule})
	cfg := createDefaultConfig().(*Config)
	cfg.Rules = []string{filepath.Join(dir, "*.yaml")}
	require.NoError(t, confmap.Validate(cfg))
	core, logs := observer.New(zapcore.WarnLevel)
	set := metadatatest.NewSettings(componenttest.NewTelemetry())
	set.Logger = zap.New(core)
	_, err := newRulesProcessor(cfg, set)
	require.NoError(t, err)
	warned := logs.FilterMessage("security rule warning").All()
	require.Len(t, warned, 1)
	assert.Equal(t, filepath.Join(dir, "empty.yaml"), warned[0].ContextMap()["file"])
	assert.Contains(t, warned[0].ContextMap()["warning"], "defines no rule, macro or list")
}

// A file named twice, two ways, is loaded once (twice would define its rule twice).
func TestFileNamedTwoWaysLoadedOnce(t *testing.T) {
	dir := writeRules(t, map[string]string{"a/x.yaml": "- list: l\n  items: [a]\n" + oneRule})
	require.NoError(t, os.Symlink(filepath.Join(dir, "a", "x.yaml"), filepath.Join(dir, "link.yaml")))
	require.NoError(t, validate(filepath.Join(dir, "a", "x.yaml"), filepath.Join(dir, "a", "..", "a", "x.yaml"), filepath.Join(dir, "link.yaml")))
}
