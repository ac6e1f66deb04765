package syscallreceiver // import "github.com/otelsec/otelsec/receiver/syscallreceiver"

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"

	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kernel"
)

// Bounds of what the kernel side copies. A configured bound may lower the kernel's compiled
// maxima, never raise them: the BPF programs copy into fixed-size buffers.
const (
	maxMaxArgs      = 1024
	maxMaxArgBytes  = kernel.MaxArgBytesLimit
	maxMaxPathBytes = kernel.MaxPathBytesLimit
)

// Config configures the syscall receiver. The zero-config default captures every event of
// the contract.
type Config struct {
	// Events selects what to capture: event names ("file.open") and/or domains ("network").
	// Empty means every event.
	Events []string `mapstructure:"events"`

	// Exclude drops events in the kernel, before they cost a ring-buffer slot.
	Exclude ExcludeConfig `mapstructure:"exclude"`

	// RingBufferSize is the size in bytes of the kernel ring buffer: a power of two and a
	// multiple of the page size. A larger ring rides out longer bursts before the kernel drops.
	RingBufferSize int `mapstructure:"ring_buffer_size"`
	// PriorityRingBufferSize is the size in bytes of the ring of the high-value events (exec,
	// fork, exit, privilege and namespace changes, listen, module loads, ...), with the same
	// rules; 0: half of RingBufferSize, at least 64 KiB.
	PriorityRingBufferSize int `mapstructure:"priority_ring_buffer_size"`

	// MaxArgs bounds the number of exec arguments kept; MaxArgBytes the bytes of the whole
	// argv the kernel copies. They bound process.command_args and process.command_line.
	MaxArgs     int `mapstructure:"max_args"`
	MaxArgBytes int `mapstructure:"max_arg_bytes"`
	// MaxEnvBytes bounds the environment (NAME=VALUE strings) a successful exec's record
	// carries as process.environment; 0 turns the capture off. Environments hold secrets:
	// see the README.
	MaxEnvBytes int `mapstructure:"max_env_bytes"`
	// MaxPathBytes bounds every captured path.
	MaxPathBytes int `mapstructure:"max_path_bytes"`

	// ProcessTableSize bounds the number of processes whose context (executable, command
	// line, parent, container) the receiver remembers.
	ProcessTableSize int `mapstructure:"process_table_size"`

	// DropReportInterval is how often an agent.events_dropped record is emitted when events
	// were lost since the previous one.
	DropReportInterval time.Duration `mapstructure:"drop_report_interval"`

	// MaxBatchSize and FlushInterval shape the batches handed to the pipeline: a batch is sent
	// when it holds MaxBatchSize records or FlushInterval after its first record.
	MaxBatchSize  int           `mapstructure:"max_batch_size"`
	FlushInterval time.Duration `mapstructure:"flush_interval"`

	// ServiceName is the service.name resource attribute of every record.
	ServiceName string `mapstructure:"service_name"`

	// RetryTimeout is how long a batch the pipeline refused for now (memory_limiter) is
	// retried before its events are counted lost (pipeline_refused) and reported.
	RetryTimeout time.Duration `mapstructure:"retry_timeout"`

	// ShutdownTimeout bounds how long Shutdown keeps delivering what was read before the stop
	// (or the collector's shutdown deadline, when it sets an earlier one); what is left is
	// counted lost.
	ShutdownTimeout time.Duration `mapstructure:"shutdown_timeout"`

	// RulesFilter names a security_rules processor ("security_rules", "security_rules/strict")
	// whose rules decide which events become records: an event that none of its rules could
	// match is counted (receiver_syscall_events_filtered) and never built, and an event kind
	// none of its rules reads is not captured. Only for a receiver every pipeline of which runs
	// that processor with emit: violations; unset, every event becomes a record.
	RulesFilter *component.ID `mapstructure:"rules_filter"`

	// Storage is a storage extension (file_storage) in which the receiver keeps a marker while it
	// runs. A start that finds the marker of a run that never shut down emits one
	// agent.unclean_stop record with the window whose events may be missing. Unset: no marker.
	Storage *component.ID `mapstructure:"storage"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// ExcludeConfig lists what the kernel never reports.
type ExcludeConfig struct {
	// ExecutablePathPrefixes: events of processes whose executable path starts with one of
	// these prefixes are dropped in the kernel.
	ExecutablePathPrefixes []string `mapstructure:"executable_path_prefixes"`

	// prevent unkeyed literal initialization
	_ struct{}
}

var (
	_ confmap.Validator   = (*Config)(nil)
	_ confmap.Unmarshaler = (*Config)(nil)
)

const (
	// 32 MiB (and 16 MiB for the priority ring) absorb a burst of about 200 k events that the
	// reader cannot take (with the reader starved of CPU, a 200 k burst of 1-2 M events/s lost
	// nothing, 400 k lost 21-30 %; 16 MiB lost 19-27 % of 200 k), and most of a two-second
	// overload at 500 k events/s. The rings are in the process's RSS once (ringMap maps them
	// once) and in its memory cgroup once. See the README for the figures.
	defaultRingBufferSize = 32 << 20
	defaultMaxArgs        = kernel.DefaultMaxArgs
	defaultMaxArgBytes    = kernel.DefaultMaxArgBytes
	// 2 KiB holds a container's whole environment and the start of a login shell's; the
	// Falco rules look for one variable's name anywhere in it. Bigger costs ring and
	// pipeline bytes on every exec, and carries more secrets.
	defaultMaxEnvBytes        = 2048
	defaultMaxPathBytes       = kernel.DefaultMaxPathBytes
	defaultProcessTableSize   = 32768
	defaultDropReportInterval = 10 * time.Second
	defaultMaxBatchSize       = 1024
	defaultFlushInterval      = 10 * time.Millisecond
	defaultRetryTimeout       = 30 * time.Second
	defaultShutdownTimeout    = 5 * time.Second

	maxProcessTableSize = 1 << 22
	maxMaxBatchSize     = 1 << 16
	maxRingBufferSize   = 1 << 30
)

// rulesProcessorType is the type of the processor rules_filter names.
const rulesProcessorType = "security_rules"

func createDefaultConfig() *Config {
	return &Config{
		RingBufferSize:     defaultRingBufferSize,
		MaxArgs:            defaultMaxArgs,
		MaxArgBytes:        defaultMaxArgBytes,
		MaxEnvBytes:        defaultMaxEnvBytes,
		MaxPathBytes:       defaultMaxPathBytes,
		ProcessTableSize:   defaultProcessTableSize,
		DropReportInterval: defaultDropReportInterval,
		MaxBatchSize:       defaultMaxBatchSize,
		FlushInterval:      defaultFlushInterval,
		ServiceName:        schema.DefaultServiceName,
		RetryTimeout:       defaultRetryTimeout,
		ShutdownTimeout:    defaultShutdownTimeout,
	}
}

// intSetting is an integer setting and its valid range.
type intSetting struct {
	key    string
	v      *int
	lo, hi int
}

// ints lists the integer settings with their ranges, for Validate and for Unmarshal, which
// must see a number before decoding changes it. The ring sizes have further rules (Validate).
func (cfg *Config) ints() []intSetting {
	return []intSetting{
		{"ring_buffer_size", &cfg.RingBufferSize, os.Getpagesize(), maxRingBufferSize},
		{"priority_ring_buffer_size", &cfg.PriorityRingBufferSize, 0, maxRingBufferSize},
		{"max_args", &cfg.MaxArgs, 1, maxMaxArgs},
		{"max_arg_bytes", &cfg.MaxArgBytes, 64, maxMaxArgBytes},
		{"max_env_bytes", &cfg.MaxEnvBytes, 0, kernel.MaxEnvBytesLimit},
		{"max_path_bytes", &cfg.MaxPathBytes, 64, maxMaxPathBytes},
		{"process_table_size", &cfg.ProcessTableSize, 64, maxProcessTableSize},
		{"max_batch_size", &cfg.MaxBatchSize, 1, maxMaxBatchSize},
	}
}

func (s intSetting) check() error {
	if *s.v < s.lo || *s.v > s.hi {
		return fmt.Errorf("%s %d: must be between %d and %d", s.key, *s.v, s.lo, s.hi)
	}
	return nil
}

// Unmarshal decodes the configuration after checking that every integer setting holds a whole
// number an int can hold. YAML reads 99999999999999999999999 as the float 1e+23 and
// 18446744073709551615 as a uint64; decoding would turn both into other numbers (the lowest
// int, -1) and 1.5 into 1, and the error would then name a value nobody gave.
func (cfg *Config) Unmarshal(conf *confmap.Conf) error {
	var errs []error
	for _, s := range cfg.ints() {
		given := conf.Get(s.key)
		bad := false
		switch v := given.(type) {
		case float64:
			bad = v != math.Trunc(v) || v < math.MinInt64 || v >= math.MaxInt64
		case float32:
			bad = float64(v) != math.Trunc(float64(v)) || float64(v) < math.MinInt64 || float64(v) >= math.MaxInt64
		case uint64:
			bad = v > math.MaxInt64
		}
		if bad {
			errs = append(errs, fmt.Errorf("%s %v: not a whole number between %d and %d", s.key, given, s.lo, s.hi))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return conf.Unmarshal(cfg)
}

// Validate reports every problem of the configuration at once.
func (cfg *Config) Validate() error {
	var errs []error
	if _, err := selectEvents(cfg.Events); err != nil {
		errs = append(errs, err)
	}
	if id := cfg.RulesFilter; id != nil && id.Type().String() != rulesProcessorType {
		errs = append(errs, fmt.Errorf("rules_filter %q: must name a %s processor", id.String(), rulesProcessorType))
	}
	errs = append(errs, kernel.CheckExcludePrefixes(cfg.Exclude.ExecutablePathPrefixes, "exclude.executable_path_prefixes")...)
	errs = append(errs, checkRing("ring_buffer_size", cfg.RingBufferSize))
	if cfg.PriorityRingBufferSize != 0 {
		errs = append(errs, checkRing("priority_ring_buffer_size", cfg.PriorityRingBufferSize))
	}
	for _, s := range cfg.ints()[2:] { // the ring sizes, the first two, have checkRing's rules
		errs = append(errs, s.check())
	}
	if cfg.DropReportInterval < time.Second {
		errs = append(errs, fmt.Errorf("drop_report_interval %s: must be at least 1s", cfg.DropReportInterval))
	}
	if cfg.FlushInterval < time.Millisecond || cfg.FlushInterval > time.Minute {
		errs = append(errs, fmt.Errorf("flush_interval %s: must be between 1ms and 1m", cfg.FlushInterval))
	}
	if strings.TrimSpace(cfg.ServiceName) == "" {
		errs = append(errs, errors.New("service_name: must not be empty"))
	}
	if cfg.RetryTimeout < 0 || cfg.RetryTimeout > 10*time.Minute {
		errs = append(errs, fmt.Errorf("retry_timeout %s: must be between 0s (no retry) and 10m", cfg.RetryTimeout))
	}
	if cfg.ShutdownTimeout < 100*time.Millisecond || cfg.ShutdownTimeout > 5*time.Minute {
		errs = append(errs, fmt.Errorf("shutdown_timeout %s: must be between 100ms and 5m", cfg.ShutdownTimeout))
	}
	return errors.Join(errs...)
}

// priorityRingSize is the priority ring's size: the one configured, or half the main ring (at
// least 64 KiB). The high-value events are rare but large (an exec carries its arguments and
// environment) and they are the ones the rules look for, so their ring is not an eighth of the
// main one, as the kernel package's default is, but half.
func (cfg *Config) priorityRingSize() int {
	if cfg.PriorityRingBufferSize > 0 {
		return cfg.PriorityRingBufferSize
	}
	return max(cfg.RingBufferSize/2, minPriorityRingSize)
}

// minPriorityRingSize: the smallest derived priority ring holds a few of the largest records
// (a header and up to 12 KiB of strings).
const minPriorityRingSize = 64 << 10

// checkRing says what is wrong with a ring size: the kernel wants a power of two and a multiple
// of the page size.
func checkRing(key string, rb int) error {
	page := os.Getpagesize()
	switch {
	case rb <= 0 || rb&(rb-1) != 0:
		return fmt.Errorf("%s %d: must be a power of two between %d and %d (1 GiB)", key, rb, page, maxRingBufferSize)
	case rb%page != 0:
		return fmt.Errorf("%s %d: must be a multiple of the page size (%d)", key, rb, page)
	case rb > maxRingBufferSize:
		return fmt.Errorf("%s %d: must be at most %d (1 GiB)", key, rb, maxRingBufferSize)
	}
	return nil
}

// systemDirs are directories whose programs a sensor must see: an attacker's tools run from
// them (or are staged in them).
var systemDirs = []string{
	"/bin", "/sbin", "/lib", "/lib64", "/usr", "/usr/bin", "/usr/sbin", "/usr/lib", "/usr/lib64",
	"/usr/libexec", "/usr/local", "/usr/local/bin", "/usr/local/sbin", "/etc", "/tmp", "/var",
	"/var/tmp", "/dev", "/dev/shm", "/run", "/home", "/root", "/opt", "/srv", "/snap", "/memfd:",
}

// broadExcludes returns the exclusion prefixes that leave out a whole system directory, each
// with the directory: allowed (a host may run only trusted programs from /opt), but worth a
// warning at start.
func broadExcludes(prefixes []string) (out [][2]string) {
	for _, p := range prefixes {
		for _, d := range systemDirs {
			if strings.HasPrefix(d+"/", p) {
				out = append(out, [2]string{p, d})
				break
			}
		}
	}
	return out
}

// selectEvents expands event names and domains into the set of event names to capture, in
// contract order. An empty selection means every event.
func selectEvents(sel []string) ([]string, error) {
	if len(sel) == 0 {
		return append([]string(nil), schema.EventNames...), nil
	}
	want := make(map[string]bool, len(schema.EventNames))
	var errs []error
	for i, s := range sel {
		s = strings.TrimSpace(s)
		matched := false
		for _, name := range schema.EventNames {
			if name == s || strings.HasPrefix(name, s+".") && isDomain(s) {
				want[name] = true
				matched = true
			}
		}
		if !matched {
			errs = append(errs, fmt.Errorf("events[%d] %q: not an event name or domain (domains: %s; names: %s)",
				i, s, strings.Join(schema.Domains, ", "), strings.Join(schema.EventNames, ", ")))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	out := make([]string, 0, len(want))
	for _, name := range schema.EventNames {
		if want[name] {
			out = append(out, name)
		}
	}
	return out, nil
}

func isDomain(s string) bool {
	for _, d := range schema.Domains {
		if d == s {
			return true
		}
	}
	return false
}
