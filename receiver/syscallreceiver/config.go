package syscallreceiver // import "github.com/otelsec/otelsec/receiver/syscallreceiver"

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

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

	// MaxArgs bounds the number of exec arguments kept; MaxArgBytes the bytes of the whole
	// argv the kernel copies. They bound process.command_args and process.command_line.
	MaxArgs     int `mapstructure:"max_args"`
	MaxArgBytes int `mapstructure:"max_arg_bytes"`
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

var _ confmap.Validator = (*Config)(nil)

const (
	defaultRingBufferSize     = 64 << 20
	defaultMaxArgs            = kernel.DefaultMaxArgs
	defaultMaxArgBytes        = kernel.DefaultMaxArgBytes
	defaultMaxPathBytes       = kernel.DefaultMaxPathBytes
	defaultProcessTableSize   = 32768
	defaultDropReportInterval = 10 * time.Second
	defaultMaxBatchSize       = 1024
	defaultFlushInterval      = 10 * time.Millisecond

	maxProcessTableSize = 1 << 22
	maxMaxBatchSize     = 1 << 16
	maxRingBufferSize   = 1 << 30
)

func createDefaultConfig() *Config {
	return &Config{
		RingBufferSize:     defaultRingBufferSize,
		MaxArgs:            defaultMaxArgs,
		MaxArgBytes:        defaultMaxArgBytes,
		MaxPathBytes:       defaultMaxPathBytes,
		ProcessTableSize:   defaultProcessTableSize,
		DropReportInterval: defaultDropReportInterval,
		MaxBatchSize:       defaultMaxBatchSize,
		FlushInterval:      defaultFlushInterval,
		ServiceName:        schema.DefaultServiceName,
	}
}

// Validate reports every problem of the configuration at once.
func (cfg *Config) Validate() error {
	var errs []error
	if _, err := selectEvents(cfg.Events); err != nil {
		errs = append(errs, err)
	}
	if n := len(cfg.Exclude.ExecutablePathPrefixes); n > kernel.MaxExcludePrefixes {
		errs = append(errs, fmt.Errorf("exclude.executable_path_prefixes: %d prefixes, at most %d are supported", n, kernel.MaxExcludePrefixes))
	}
	for i, p := range cfg.Exclude.ExecutablePathPrefixes {
		if !strings.HasPrefix(p, "/") {
			errs = append(errs, fmt.Errorf("exclude.executable_path_prefixes[%d] %q: must be an absolute path prefix", i, p))
		}
		if len(p) > kernel.MaxExcludePrefixBytes {
			errs = append(errs, fmt.Errorf("exclude.executable_path_prefixes[%d]: %d bytes, at most %d are supported", i, len(p), kernel.MaxExcludePrefixBytes))
		}
	}
	page := os.Getpagesize()
	switch {
	case cfg.RingBufferSize <= 0:
		errs = append(errs, fmt.Errorf("ring_buffer_size %d: must be positive", cfg.RingBufferSize))
	case cfg.RingBufferSize&(cfg.RingBufferSize-1) != 0:
		errs = append(errs, fmt.Errorf("ring_buffer_size %d: must be a power of two", cfg.RingBufferSize))
	case cfg.RingBufferSize%page != 0:
		errs = append(errs, fmt.Errorf("ring_buffer_size %d: must be a multiple of the page size (%d)", cfg.RingBufferSize, page))
	case cfg.RingBufferSize > maxRingBufferSize:
		errs = append(errs, fmt.Errorf("ring_buffer_size %d: must be at most %d (1 GiB)", cfg.RingBufferSize, maxRingBufferSize))
	}
	errs = append(errs, bound("max_args", cfg.MaxArgs, 1, maxMaxArgs))
	errs = append(errs, bound("max_arg_bytes", cfg.MaxArgBytes, 64, maxMaxArgBytes))
	errs = append(errs, bound("max_path_bytes", cfg.MaxPathBytes, 64, maxMaxPathBytes))
	errs = append(errs, bound("process_table_size", cfg.ProcessTableSize, 64, maxProcessTableSize))
	errs = append(errs, bound("max_batch_size", cfg.MaxBatchSize, 1, maxMaxBatchSize))
	if cfg.DropReportInterval < time.Second {
		errs = append(errs, fmt.Errorf("drop_report_interval %s: must be at least 1s", cfg.DropReportInterval))
	}
	if cfg.FlushInterval < time.Millisecond || cfg.FlushInterval > time.Minute {
		errs = append(errs, fmt.Errorf("flush_interval %s: must be between 1ms and 1m", cfg.FlushInterval))
	}
	if strings.TrimSpace(cfg.ServiceName) == "" {
		errs = append(errs, errors.New("service_name: must not be empty"))
	}
	return errors.Join(errs...)
}

func bound(name string, v, lo, hi int) error {
	if v < lo || v > hi {
		return fmt.Errorf("%s %d: must be between %d and %d", name, v, lo, hi)
	}
	return nil
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
