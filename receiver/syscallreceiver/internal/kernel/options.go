package kernel

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/otelsec/otelsec/bpf"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/events"
)

// Compiled maxima of the bounds (bpf/lib/record.h, maps.h); Options values above them are
// clamped.
const (
	MaxPathBytesLimit = int(bpf.OtelsecRecLayoutSTR_MAX)
	MaxArgBytesLimit  = int(bpf.OtelsecRecLayoutSTR_MAX)
	MaxEnvBytesLimit  = int(bpf.OtelsecRecLayoutSTR_MAX)
	// MaxExcludePrefixes bounds Options.ExcludeExecutablePrefixes (the LPM trie's size).
	MaxExcludePrefixes = 64
	// MaxExcludePrefixBytes bounds one prefix (the LPM key's data).
	MaxExcludePrefixBytes = len(bpf.OtelsecLpmKey{}.Data)
)

// Defaults for zero Options fields.
const (
	DefaultRingBufferSize = 64 << 20
	DefaultMaxPathBytes   = 4096
	DefaultMaxArgBytes    = 4096
	DefaultMaxArgs        = 256
	DefaultPollInterval   = 5 * time.Millisecond
)

// Options configure a Tracer. The zero value traces every event with default bounds.
type Options struct {
	// Events are schema event names to capture; empty means all of schema.EventNames.
	Events []string
	// ExcludeExecutablePrefixes: processes whose executable path starts with one of these
	// produce no events (decided in the kernel, inherited by their children).
	ExcludeExecutablePrefixes []string
	// RingBufferSize in bytes; rounded up to a power of two >= the page size.
	RingBufferSize int
	// PriorityRingBufferSize is the size of the ring of the high-value kinds
	// (events.Spec.Priority), rounded like RingBufferSize; 0: an eighth of RingBufferSize, at
	// least 64 KiB. They are rare, so a small ring holds them through a flood of the others.
	PriorityRingBufferSize int
	// MaxArgs bounds the exec arguments Read passes on (Event.Argv is cut after MaxArgs and
	// marked truncated). MaxArgBytes bounds the argv bytes the kernel copies; MaxPathBytes every
	// path and string. Both are clamped to the compiled maxima.
	MaxArgs, MaxArgBytes, MaxPathBytes int
	// MaxEnvBytes bounds the environment a successful exec's record carries (Event.Env): 0
	// copies none, as environments hold secrets; clamped to MaxEnvBytesLimit.
	MaxEnvBytes int
	// SelfPID is the thread group the kernel never traces (the collector); 0 means none.
	SelfPID int
	// PollInterval is how often a busy reader looks at the rings when the kernel has not woken
	// it (records are submitted without wakeup; the kernel forces one when a ring fills past
	// WakeupFraction). It bounds the latency of a steady stream; an idle reader (a whole
	// interval without a record) is woken by the next record instead.
	PollInterval time.Duration
	// WakeupFraction: the kernel wakes the reader when more than this fraction of the ring
	// holds unread data. Default 1/16.
	WakeupFraction float64
}

// minPriorityRing: the default priority ring holds at least a few records of the largest size
// (a 120-byte header and up to 12 KiB of strings).
const minPriorityRing = 64 << 10

// ringSize rounds n up to a power of two of at least a page, as ring buffers must be.
func ringSize(n int) int {
	size := 4096
	for size < n {
		size <<= 1
	}
	return size
}

func (o Options) withDefaults() (Options, error) {
	if o.RingBufferSize == 0 {
		o.RingBufferSize = DefaultRingBufferSize
	}
	if o.RingBufferSize < 0 {
		return o, errors.New("ring buffer size must not be negative")
	}
	if o.PriorityRingBufferSize < 0 {
		return o, errors.New("priority ring buffer size must not be negative")
	}
	o.RingBufferSize = ringSize(o.RingBufferSize)
	if o.PriorityRingBufferSize == 0 {
		o.PriorityRingBufferSize = max(o.RingBufferSize/8, minPriorityRing)
	}
	o.PriorityRingBufferSize = ringSize(o.PriorityRingBufferSize)
	clamp := func(v *int, def, max int) {
		if *v <= 0 {
			*v = def
		}
		if *v > max {
			*v = max
		}
	}
	clamp(&o.MaxPathBytes, DefaultMaxPathBytes, MaxPathBytesLimit)
	clamp(&o.MaxArgBytes, DefaultMaxArgBytes, MaxArgBytesLimit)
	o.MaxEnvBytes = min(max(o.MaxEnvBytes, 0), MaxEnvBytesLimit)
	if o.MaxArgs <= 0 {
		o.MaxArgs = DefaultMaxArgs
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.WakeupFraction <= 0 || o.WakeupFraction > 1 {
		o.WakeupFraction = 1.0 / 16
	}
	for _, n := range o.Events {
		if events.ByName(n) == nil {
			return o, fmt.Errorf("unknown event name %q", n)
		}
	}
	if errs := CheckExcludePrefixes(o.ExcludeExecutablePrefixes, "excluded executable prefixes"); len(errs) > 0 {
		return o, errors.Join(errs...)
	}
	return o, nil
}

// CheckExcludePrefixes says what is wrong with exclusion prefixes: more than the kernel's
// table holds, one that is not an absolute path or longer than a key, or "/", which would
// blind the sensor. name is how the caller's user knows the list ("exclude.executable_path_prefixes").
func CheckExcludePrefixes(prefixes []string, name string) []error {
	var errs []error
	if n := len(prefixes); n > MaxExcludePrefixes {
		errs = append(errs, fmt.Errorf("%s: %d prefixes, at most %d are supported", name, n, MaxExcludePrefixes))
	}
	for i, p := range prefixes {
		switch {
		case !strings.HasPrefix(p, "/"):
			errs = append(errs, fmt.Errorf("%s[%d] %q: must be an absolute path prefix", name, i, p))
		case p == "/":
			errs = append(errs, fmt.Errorf("%s[%d] %q: excludes every process, the sensor would see nothing; list the programs or directories to leave out (/usr/sbin/chronyd, /opt/monitoring/)", name, i, p))
		}
		if len(p) > MaxExcludePrefixBytes {
			errs = append(errs, fmt.Errorf("%s[%d]: %d bytes, at most %d are supported", name, i, len(p), MaxExcludePrefixBytes))
		}
	}
	return errs
}
