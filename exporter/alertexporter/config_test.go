package alertexporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelsec/otelsec/exporter/alertexporter/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	load := func(t *testing.T, name string) *Config {
		t.Helper()
		cfg := NewFactory().CreateDefaultConfig().(*Config)
		id := component.NewIDWithName(metadata.Type, name)
		if name == "" {
			id = component.NewID(metadata.Type)
		}
		sub, err := cm.Sub(id.String())
		require.NoError(t, err)
		require.NoError(t, sub.Unmarshal(cfg))
		return cfg
	}

	t.Run("defaults", func(t *testing.T) {
		cfg := load(t, "")
		require.NoError(t, confmap.Validate(cfg))
		assert.Equal(t, NewFactory().CreateDefaultConfig(), cfg)
		assert.Equal(t, FormatText, cfg.format(), "stdout defaults to Falco's text line")
		assert.True(t, cfg.QueueConfig.HasValue())
		assert.True(t, cfg.RetryConfig.Enabled)
	})
	t.Run("file", func(t *testing.T) {
		cfg := load(t, "file")
		require.NoError(t, confmap.Validate(cfg))
		assert.Equal(t, "/var/log/otelsec/alerts.json", cfg.Path)
		assert.Equal(t, FormatJSON, cfg.format())
		assert.True(t, cfg.TimeFormatISO8601)
		assert.Equal(t, 10, cfg.Rotation.MaxMegabytes)
		assert.Equal(t, 2, cfg.Rotation.MaxBackups)
	})
	t.Run("sidekick", func(t *testing.T) {
		cfg := load(t, "sidekick")
		require.NoError(t, confmap.Validate(cfg))
		assert.Equal(t, "http://falcosidekick:2801/", cfg.ClientConfig.Endpoint)
		assert.Equal(t, FormatJSON, cfg.format(), "an endpoint defaults to Falco's JSON")
		assert.Equal(t, 3*time.Second, cfg.ClientConfig.Timeout)
		v, ok := cfg.ClientConfig.Headers.Get("X-Otelsec")
		require.True(t, ok)
		assert.Equal(t, configopaque.String("1"), v)
		assert.Equal(t, time.Second, cfg.RetryConfig.InitialInterval)
		assert.Equal(t, time.Minute, cfg.RetryConfig.MaxElapsedTime)
		require.True(t, cfg.QueueConfig.HasValue())
		assert.EqualValues(t, 5000, cfg.QueueConfig.Get().QueueSize)
	})
	t.Run("text", func(t *testing.T) {
		cfg := load(t, "text")
		require.NoError(t, confmap.Validate(cfg))
		assert.Equal(t, FormatText, cfg.format())
	})

	bad := []struct {
		name string
		msgs []string
	}{
		{"both_destinations", []string{"path and endpoint are both set: an alert exporter writes to one destination"}},
		{"text_to_endpoint", []string{`format "text" cannot be sent to an endpoint: HTTP receivers such as Falcosidekick take Falco's JSON; set format: json or leave it empty`}},
		{"bad_format", []string{`format "yaml" is not supported: use "text" or "json"`}},
		{"bad_scheme", []string{`endpoint "ftp://localhost:2801/" must be an http:// or https:// URL`}},
		{"no_host", []string{`endpoint "http:///path" has no host`}},
		{"port_out_of_range", []string{`endpoint "http://127.0.0.1:99999/": port 99999 is out of range, must be 1-65535`}},
		{"port_zero", []string{`endpoint "http://[::1]:0/alerts": port 0 is out of range, must be 1-65535`}},
		{"port_empty", []string{`endpoint "http://sidekick:/": empty port, must be 1-65535`}},
		{"port_only", []string{`endpoint "http://:2801/" has no host`}},
		{"negative_rotation", []string{
			"rotation.max_megabytes must be 0 (no rotation) or positive, got -1",
			"rotation.max_backups must be 0 or positive, got -2",
		}},
		{"bad_queue", []string{"sending_queue: `queue_size` must be positive"}},
	}
	for _, tc := range bad {
		t.Run("bad/"+tc.name, func(t *testing.T) {
			err := confmap.Validate(load(t, tc.name))
			require.Error(t, err)
			for _, m := range tc.msgs {
				assert.Contains(t, err.Error(), m)
			}
		})
	}
}
