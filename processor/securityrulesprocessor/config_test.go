package securityrulesprocessor

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelsec/otelsec/processor/securityrulesprocessor/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	tests := []struct {
		id      component.ID
		want    *Config
		wantErr string
	}{
		{id: component.NewID(metadata.Type), want: &Config{Emit: EmitViolations, Match: MatchFirst}},
		{id: component.NewIDWithName(metadata.Type, "custom"), want: &Config{
			Rules: []string{"testdata/rules/base.yaml", "testdata/rules/local.yaml"},
			Emit:  EmitAll, Match: MatchAll, MinPriority: "warning",
		}},
		{id: component.NewIDWithName(metadata.Type, "extend_default"), want: &Config{
			// Files matched twice (and the default ruleset given twice) are loaded once.
			Rules: []string{"@default", "testdata/rules/local.yaml", "testdata/rules/l*.yaml", "@default"}, Emit: EmitViolations, Match: MatchFirst,
		}},
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
