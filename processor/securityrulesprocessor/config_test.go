package securityrulesprocessor

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelsec/otelsec/processor/securityrulesprocessor/internal/metadata"
)

var defaultSuppress = SuppressConfig{Window: time.Minute, MaxKeys: 10000}

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	tests := []struct {
		id      component.ID
		want    *Config
		wantErr string
	}{
		{id: component.NewID(metadata.Type), want: &Config{Emit: EmitViolations, Match: MatchFirst, Suppress: defaultSuppress}},
		{id: component.NewIDWithName(metadata.Type, "custom"), want: &Config{
			Rules: []string{"testdata/rules/base.yaml", "testdata/rules/local.yaml"},
			Emit:  EmitAll, Match: MatchAll, MinPriority: "warning", Suppress: defaultSuppress,
		}},
		{id: component.NewIDWithName(metadata.Type, "extend_default"), want: &Config{
			// Files matched twice (and the default ruleset given twice) are loaded once.
			Rules: []string{"@default", "testdata/rules/local.yaml", "testdata/rules/l*.yaml", "@default"}, Emit: EmitViolations, Match: MatchFirst,
			Suppress: defaultSuppress,
		}},
		{id: component.NewIDWithName(metadata.Type, "suppress"), want: &Config{Emit: EmitViolations, Match: MatchFirst,
			Suppress: SuppressConfig{Window: 30 * time.Second, MaxKeys: 500, ExcludeRules: []string{"Shell spawned"}}}},
		// window 0 turns suppression off, so max_keys does not matter.
		{id: component.NewIDWithName(metadata.Type, "suppress_off"), want: &Config{Emit: EmitViolations, Match: MatchFirst}},
		{id: component.NewIDWithName(metadata.Type, "bad_suppress_window"),
			wantErr: `suppress.window must not be negative (0 disables suppression), got -1s`},
		{id: component.NewIDWithName(metadata.Type, "bad_suppress_max_keys"),
			wantErr: `suppress.max_keys must be at least 1 when suppress.window is set, got 0`},
		{id: component.NewIDWithName(metadata.Type, "bad_emit"), wantErr: `emit must be "violations" or "all", got "sometimes"`},
		{id: component.NewIDWithName(metadata.Type, "bad_match"), wantErr: `match must be "first" or "all", got "most"`},
		{id: component.NewIDWithName(metadata.Type, "bad_min_priority"), wantErr: `min_priority: unknown priority "loud"`},
		{id: component.NewIDWithName(metadata.Type, "bad_priority"),
			wantErr: `rules: testdata/bad/bad_priority.yaml:5:13: rule "Bad": unknown priority "SEVERE"`},
		{id: component.NewIDWithName(metadata.Type, "bad_cel"),
			wantErr: `rules: testdata/bad/bad_cel.yaml:3:63: rule "Bad CEL": invalid condition: found no matching overload for 'startsWith' applied to 'string.(int)' (condition column 50)`},
		{id: component.NewIDWithName(metadata.Type, "no_files"), wantErr: `rules glob "testdata/nonexistent/*.yaml" matches no file`},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig()
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			require.NoError(t, sub.Unmarshal(cfg))
			err = confmap.Validate(cfg)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg)
		})
	}
}
