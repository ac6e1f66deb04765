package securityrulesprocessor

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelsec/otelsec/internal/ruleengine"
	"github.com/otelsec/otelsec/processor/securityrulesprocessor/internal/metadatatest"
)

// Validate compiles the rules; the processors the factory makes for it (one per pipeline)
// reuse that compile, and a changed configuration compiles anew.
func TestRulesCompiledOnce(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Rules = testRules
	require.NoError(t, confmap.Validate(cfg))
	srcs, err := cfg.sources()
	require.NoError(t, err)
	validated := cachedRules(keyOf(srcs, ruleengineOptions(t, cfg)), false)
	require.NotNil(t, validated, "Validate keeps what it compiled")

	set := metadatatest.NewSettings(componenttest.NewTelemetry())
	p1, err := newRulesProcessor(cfg, set)
	require.NoError(t, err)
	p2, err := newRulesProcessor(cfg, set)
	require.NoError(t, err)
	assert.Same(t, validated.engine, p1.engine, "the factory reuses Validate's compile")
	assert.Same(t, validated.engine, p2.engine, "and so does a second pipeline")

	cfg.MinPriority = "critical"
	p3, err := newRulesProcessor(cfg, set)
	require.NoError(t, err)
	assert.NotSame(t, validated.engine, p3.engine, "a changed configuration recompiles")
	assert.Less(t, len(p3.engine.Rules()), len(p1.engine.Rules()))
}

func ruleengineOptions(t *testing.T, cfg *Config) ruleengine.Options {
	t.Helper()
	o, err := cfg.engineOptions()
	require.NoError(t, err)
	return o
}

// A compile that takes longer than the progress interval reports on the collector's logger.
func TestLongCompileLogsProgress(t *testing.T) {
	old := progressInterval
	progressInterval = time.Millisecond
	t.Cleanup(func() { progressInterval = old })
	var b strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&b, "- rule: r%d\n  desc: d\n  condition: event.name == \"process.exec\" && process.executable.name == \"x%d\"\n  output: o\n  priority: WARNING\n", i, i)
	}
	file := filepath.Join(t.TempDir(), "many.yaml")
	require.NoError(t, os.WriteFile(file, []byte(b.String()), 0o600))
	cfg := createDefaultConfig().(*Config)
	cfg.Rules = []string{file}

	core, logs := observer.New(zapcore.InfoLevel)
	set := metadatatest.NewSettings(componenttest.NewTelemetry())
	set.Logger = zap.New(core)
	p, err := newRulesProcessor(cfg, set)
	require.NoError(t, err)
	require.Len(t, p.engine.Rules(), 3000)
	progress := logs.FilterMessage("compiling security rules").All()
	require.NotEmpty(t, progress)
	f := progress[len(progress)-1].ContextMap()
	assert.Equal(t, int64(3000), f["rules"])
	assert.Contains(t, []any{"reading", "parsing", "checking", "compiling"}, f["stage"])
	loaded := logs.FilterMessage("security rules loaded").All()
	require.Len(t, loaded, 1)
	assert.Equal(t, int64(3000), loaded[0].ContextMap()["rules"])
}
