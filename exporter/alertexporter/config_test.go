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

	t.Run("syslog", func(t *testing.T) {
		cfg := load(t, "syslog")
		require.NoError(t, confmap.Validate(cfg))
		sc := cfg.Syslog.Get()
		require.NotNil(t, sc, "an empty syslog section enables syslog")
		assert.Equal(t, NetworkUnixgram, sc.Network)
		assert.Equal(t, "/dev/log", sc.address())
		assert.Equal(t, SyslogRFC3164, sc.format(), "the local socket takes what syslog(3) writes")
		assert.Equal(t, FramingNonTransparent, sc.framing(false))
		assert.Equal(t, "user", sc.Facility, "Falco's syslog(3) facility")
		assert.Equal(t, "otelsec", sc.AppName)
		assert.False(t, sc.StructuredData)
		assert.Equal(t, 5*time.Second, sc.Timeout)
		assert.Equal(t, FormatText, cfg.format(), "Falco's text line as MSG")
		assert.True(t, cfg.QueueConfig.HasValue(), "syslog is queued and retried like the other destinations")
		assert.False(t, load(t, "").Syslog.HasValue(), "no syslog section, no syslog")
	})
	t.Run("syslog_tcp", func(t *testing.T) {
		cfg := load(t, "syslog_tcp")
		require.NoError(t, confmap.Validate(cfg))
		sc := cfg.Syslog.Get()
		require.NotNil(t, sc)
		assert.Equal(t, NetworkTCP, sc.Network)
		assert.Equal(t, "[::1]:6514", sc.address())
		assert.Equal(t, SyslogRFC3164, sc.format())
		assert.Equal(t, FramingNonTransparent, sc.framing(true))
		assert.Equal(t, "local3", sc.Facility)
		assert.Equal(t, "falco", sc.AppName)
		assert.True(t, sc.StructuredData)
		assert.Equal(t, 2*time.Second, sc.Timeout)
		assert.Equal(t, FormatJSON, cfg.format())
	})
	t.Run("syslog_udp", func(t *testing.T) {
		cfg := load(t, "syslog_udp")
		require.NoError(t, confmap.Validate(cfg))
		sc := cfg.Syslog.Get()
		require.NotNil(t, sc)
		assert.Equal(t, SyslogRFC5424, sc.format(), "the network takes RFC 5424")
		assert.Equal(t, FramingOctetCounting, sc.framing(true), "tcp defaults to octet counting")
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
		{"syslog_and_path", []string{"path and syslog are both set: an alert exporter writes to one destination"}},
		{"three_destinations", []string{"path, endpoint and syslog are all set: an alert exporter writes to one destination"}},
		{"syslog_bad_network", []string{`syslog.network "tls" is not supported: use unixgram, unix, udp or tcp`}},
		{"syslog_no_port", []string{`syslog.address "loghost" for syslog.network tcp: want host:port: address loghost: missing port in address`}},
		{"syslog_no_address", []string{"syslog.address is required for syslog.network udp: the daemon's host:port"}},
		{"syslog_bad_port", []string{`syslog.address "127.0.0.1:70000" for syslog.network udp: port "70000" must be a number 1-65535`}},
		{"syslog_no_host", []string{`syslog.address ":514" for syslog.network tcp: no host`}},
		{"syslog_host_port_on_unix", []string{`syslog.address "10.0.0.1:514" is not a socket path for syslog.network unixgram: use an absolute path, or set syslog.network to udp or tcp for host:port`}},
		{"syslog_relative_socket", []string{`syslog.address "run/log" is not a socket path for syslog.network unix`}},
		{"syslog_bad_format", []string{`syslog.format "rfc5425" is not supported: use rfc5424 or rfc3164`}},
		{"syslog_bad_framing", []string{`syslog.framing "lf" is not supported: use octet_counting or non_transparent`}},
		{"syslog_framing_on_udp", []string{`syslog.framing "octet_counting" applies to streams (tcp, unix); a udp datagram is one message: remove it`}},
		{"syslog_bad_facility", []string{`syslog.facility "local8" is not a syslog facility: use one of kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, ntp, audit, alert, clock, local0, local1, local2, local3, local4, local5, local6, local7`}},
		{"syslog_bad_app_name", []string{`syslog.app_name "otel sec" must be 1-32 letters, digits, '.', '_' or '-', starting with a letter or digit`}},
		{"syslog_bad_timeout", []string{"syslog.timeout must be positive, got 0s"}},
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
