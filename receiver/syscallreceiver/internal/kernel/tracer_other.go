//go:build !linux

package kernel

import (
	"context"
	"errors"

	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

var errNotLinux = errors.New("the syscall receiver needs Linux: it traces the kernel with eBPF")

// Tracer is unavailable on this OS; every method reports errNotLinux.
type Tracer struct{}

// New returns an error on this OS.
func New(Options) (*Tracer, error) { return nil, errNotLinux }

// Start returns an error on this OS.
func (*Tracer) Start() error { return errNotLinux }

// Unavailable returns nil on this OS.
func (*Tracer) Unavailable() []string { return nil }

// Missing returns nil on this OS.
func (*Tracer) Missing() []string { return nil }

// Read returns an error on this OS.
func (*Tracer) Read(context.Context, func(*kevent.Event)) error { return errNotLinux }

// Drops returns an error on this OS.
func (*Tracer) Drops() (uint64, error) { return 0, errNotLinux }

// DropsByRing returns an error on this OS.
func (*Tracer) DropsByRing() ([NumRings]uint64, error) { return [NumRings]uint64{}, errNotLinux }

// DecodeErrors returns 0 on this OS.
func (*Tracer) DecodeErrors() uint64 { return 0 }

// Close does nothing on this OS.
func (*Tracer) Close() error { return nil }
