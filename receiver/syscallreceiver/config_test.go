package syscallreceiver

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/metadata"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cfg, err := unmarshalConfig(t, name)
	require.NoError(t, err)
	return cfg
}

func unmarshalConfig(t *testing.T, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig()
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	return cfg.(*Config), sub.Unmarshal(cfg)
}

func TestLoadConfig(t *testing.T) {
	def := loadConfig(t, "")
	require.NoError(t, confmap.Validate(def))
	assert.Equal(t, createDefaultConfig(), def)
	all, err := selectEvents(def.Events)
	require.NoError(t, err)
	assert.Equal(t, schema.EventNames, all, "the default captures every event of the contract")
	assert.Equal(t, 32<<20, def.RingBufferSize)
	assert.Equal(t, 0, def.PriorityRingBufferSize)
	assert.Equal(t, 16<<20, def.priorityRingSize(), "the priority ring is half the main one unless set")
	assert.Equal(t, 10*time.Second, def.DropReportInterval)
	assert.Equal(t, 2048, def.MaxEnvBytes)
	assert.Equal(t, "otelsec", def.ServiceName)

	custom := loadConfig(t, "custom")
	require.NoError(t, confmap.Validate(custom))
	assert.Equal(t, []string{"/usr/sbin/chronyd", "/opt/monitoring/"}, custom.Exclude.ExecutablePathPrefixes)
	assert.Equal(t, 16<<20, custom.RingBufferSize)
	assert.Equal(t, 1<<20, custom.PriorityRingBufferSize)
	assert.Equal(t, 1<<20, custom.priorityRingSize(), "a configured priority ring is taken as it is")
	assert.Equal(t, 64, custom.MaxArgs)
	assert.Equal(t, 2048, custom.MaxArgBytes)
	assert.Equal(t, 0, custom.MaxEnvBytes, "0 is valid: the capture is off")
	assert.Equal(t, 1024, custom.MaxPathBytes)
	assert.Equal(t, 4096, custom.ProcessTableSize)
	assert.Equal(t, 30*time.Second, custom.DropReportInterval)
	assert.Equal(t, 256, custom.MaxBatchSize)
	assert.Equal(t, 20*time.Millisecond, custom.FlushInterval)
	assert.Equal(t, "otelsec-edge", custom.ServiceName)
	sel, err := selectEvents(custom.Events)
	require.NoError(t, err)
	assert.Equal(t, []string{schema.EventProcessExec, schema.EventProcessFork, schema.EventProcessExit,
		schema.EventProcessPtrace, schema.EventProcessChdir, schema.EventFileOpen, schema.EventNetworkConnect}, sel)
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		want []string
	}{
		{"unknown_event", []string{
			`events[1] "file.teleport": not an event name or domain`,
			`events[2] "networking": not an event name or domain`,
		}},
		{"bad_ring", []string{"ring_buffer_size 100000: must be a power of two"}},
		{"ring_not_pow2", []string{"ring_buffer_size 12288: must be a power of two"}},
		{"bad_prio_ring", []string{"priority_ring_buffer_size 12288: must be a power of two"}},
		{"bad_bounds", []string{
			"max_args 0: must be between 1 and 1024",
			"max_arg_bytes 1000000: must be between 64 and 4096",
			"max_env_bytes 8192: must be between 0 and 4096",
			"max_path_bytes 8192: must be between 64 and 4096",
			"process_table_size 10: must be between 64 and 4194304",
		}},
		{"bad_exclude", []string{`exclude.executable_path_prefixes[0] "usr/bin/": must be an absolute path prefix`}},
		{"bad_intervals", []string{"drop_report_interval 10ms: must be at least 1s", "flush_interval 0s: must be between 1ms and 1m"}},
		{"exclude_all", []string{`exclude.executable_path_prefixes[1] "/": excludes every process, the sensor would see nothing`}},
		{"timeouts", []string{"retry_timeout -1s: must be between 0s (no retry) and 10m", "shutdown_timeout 10ms: must be between 100ms and 5m"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := confmap.Validate(loadConfig(t, tt.name))
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	// A valid entry next to a bad one is not reported.
	err := confmap.Validate(loadConfig(t, "unknown_event"))
	assert.NotContains(t, err.Error(), `"file.open"`)
}

func TestConfigMoreBounds(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.RingBufferSize = 2048
	cfg.ServiceName = " "
	cfg.Exclude.ExecutablePathPrefixes = make([]string, 65)
	for i := range cfg.Exclude.ExecutablePathPrefixes {
		cfg.Exclude.ExecutablePathPrefixes[i] = "/opt/x"
	}
	err := cfg.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ring_buffer_size 2048: must be a multiple of the page size (4096)")
	assert.Contains(t, err.Error(), "service_name: must not be empty")
	assert.Contains(t, err.Error(), "exclude.executable_path_prefixes: 65 prefixes, at most 64 are supported")

	cfg = createDefaultConfig()
	cfg.RingBufferSize = 2 << 30
	assert.ErrorContains(t, cfg.Validate(), "must be at most 1073741824")

	cfg = createDefaultConfig()
	cfg.PriorityRingBufferSize = -4096
	assert.ErrorContains(t, cfg.Validate(), "priority_ring_buffer_size -4096: must be a power of two")
	cfg.PriorityRingBufferSize = 2 << 30
	assert.ErrorContains(t, cfg.Validate(), "priority_ring_buffer_size 2147483648: must be at most 1073741824")

	// The derived priority ring: half the main one, never under 64 KiB.
	cfg = createDefaultConfig()
	cfg.RingBufferSize = 64 << 10
	assert.Equal(t, 64<<10, cfg.priorityRingSize())
	cfg.RingBufferSize = 256 << 20
	assert.Equal(t, 128<<20, cfg.priorityRingSize())

	cfg = createDefaultConfig()
	cfg.Events = []string{"kernel", "fd"}
	require.NoError(t, cfg.Validate())
	sel, _ := selectEvents(cfg.Events)
	assert.Equal(t, []string{schema.EventFdDup, schema.EventKernelModuleLoad, schema.EventKernelModuleUnload, schema.EventKernelBPF}, sel)

	// A domain name is not a prefix match on arbitrary strings.
	_, err = selectEvents([]string{"file.op"})
	require.Error(t, err)
	_, err = selectEvents([]string{"process.exec", "process"})
	require.NoError(t, err, "overlapping selections are fine")
}

// A number no int holds was decoded into another one (1e+23 into the lowest int, reported as
// "-9223372036854775808: must be positive"): the error now says what was given and the range.
func TestConfigNumbersOutOfRange(t *testing.T) {
	_, err := unmarshalConfig(t, "overflow")
	require.Error(t, err)
	for _, w := range []string{
		"ring_buffer_size 1e+23: not a whole number between 4096 and 1073741824",
		"max_args 1.5: not a whole number between 1 and 1024",
		"max_batch_size 18446744073709551615: not a whole number between 1 and 65536",
		"process_table_size -1e+20: not a whole number between 64 and 4194304",
	} {
		assert.Contains(t, err.Error(), w)
	}
	assert.NotContains(t, err.Error(), "-9223372036854775808")

	// In range but not a power of two: the range is in the message too.
	cfg := createDefaultConfig()
	cfg.RingBufferSize = -5
	assert.ErrorContains(t, cfg.Validate(), "ring_buffer_size -5: must be a power of two between 4096 and 1073741824")
}

func TestConfigStorageAndTimeouts(t *testing.T) {
	cfg := loadConfig(t, "storage")
	require.NoError(t, confmap.Validate(cfg))
	require.NotNil(t, cfg.Storage)
	assert.Equal(t, "file_storage/queue", cfg.Storage.String())
	assert.Equal(t, time.Duration(0), cfg.RetryTimeout)
	assert.Equal(t, 30*time.Second, cfg.ShutdownTimeout)
	def := createDefaultConfig()
	assert.Nil(t, def.Storage)
	assert.Equal(t, 30*time.Second, def.RetryTimeout)
	assert.Equal(t, 5*time.Second, def.ShutdownTimeout)
}

// A prefix that leaves out a whole system directory is allowed, with a warning at start.
func TestBroadExcludes(t *testing.T) {
	assert.Equal(t, [][2]string{{"/usr/", "/usr"}, {"/tmp", "/tmp"}, {"/usr/b", "/usr/bin"}, {"/o", "/opt"}},
		broadExcludes([]string{"/usr/", "/usr/sbin/chronyd", "/tmp", "/opt/monitoring/", "/usr/b", "/o"}))
	assert.Empty(t, broadExcludes([]string{"/usr/bin/python3", "/usr/lib/jvm/", "/opt/agent/bin/"}))
}

func TestConfigRulesFilter(t *testing.T) {
	cfg := loadConfig(t, "rules_filter")
	require.NoError(t, confmap.Validate(cfg))
	require.NotNil(t, cfg.RulesFilter)
	assert.Equal(t, "security_rules/strict", cfg.RulesFilter.String())
	assert.Nil(t, createDefaultConfig().RulesFilter, "the receiver alone builds every event")
	cfg = loadConfig(t, "rules_filter_not_rules")
	assert.EqualError(t, confmap.Validate(cfg), `rules_filter "batch": must name a security_rules processor`)
}
