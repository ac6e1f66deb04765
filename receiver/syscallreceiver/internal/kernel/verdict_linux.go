//go:build linux

package kernel

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"sync/atomic"

	"github.com/cilium/ebpf"

	"github.com/otelsec/otelsec/bpf"
)

// Remembered opens (bpf/lib/verdict.h): the caller, having found that no rule can match an
// open from attributes that are functions of an OpenKey, has the kernel leave out later opens
// with the same key. A key names a lineage class: a number the caller gives the lineage values
// (executable, ancestors, container) a thread group has, set per thread group with SetClass.

// OpenKey is what a remembered open is looked up by.
type OpenKey = bpf.OtelsecOpenKey

// MaxRememberedPath bounds the paths an OpenKey is made for.
const MaxRememberedPath = 256

// verdicts holds the path-hash seeds and the lineage count (in the .bss the rings map).
type verdicts struct {
	seed1, seed2 uint64
	gen          *uint64
}

func newVerdictSeeds() (v verdicts, err error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return v, fmt.Errorf("path hash seeds: %w", err)
	}
	v.seed1, v.seed2 = binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])
	return v, nil
}

// pathHash is the kernel's path_hash: two seeded hashes of p, 8 bytes at a time.
func (v *verdicts) pathHash(p []byte) (uint64, uint64) {
	a, b := v.seed1, v.seed2
	for i := 0; i < len(p); i += 8 {
		var word [8]byte
		copy(word[:], p[i:])
		w := binary.LittleEndian.Uint64(word[:])
		a = (a ^ w) * 0x100000001b3
		a ^= a >> 32
		b = (b + w) * 0x9e3779b97f4a7c15
		b ^= b >> 29
	}
	return a, b
}

// OpenKeyOf is the key of an open of path (as the call gave it) by syscall nr with flags and
// mode that returned errno (0: success), for a thread group of class. ok is false for a path
// the kernel never looks up: empty, relative, or longer than MaxRememberedPath.
func (t *Tracer) OpenKeyOf(class uint32, nr uint16, flags uint64, mode uint32, errno uint32, path []byte) (k OpenKey, ok bool) {
	if len(path) == 0 || len(path) > MaxRememberedPath || path[0] != '/' {
		return k, false
	}
	k = OpenKey{Flags: flags, Class: class, Mode: mode, Err: errno, Nr: nr, Len: uint16(len(path))}
	k.H1, k.H2 = t.verdicts.pathHash(path)
	return k, true
}

// SetClass gives thread group pid (the one that started at start) lineage class, for as long
// as the lineage count is gen and the group has not exec'd since its self_exec_id was execID
// (all as its record carried them).
func (t *Tracer) SetClass(pid, class uint32, gen uint64, execID uint32, start uint64) error {
	m, err := t.startedMap(func(m *bpf.OtelsecMaps) *ebpf.Map { return m.OpenClass })
	if err != nil {
		return err
	}
	return m.Put(pid, &bpf.OtelsecLineageClass{Gen: gen, Start: start, Class: class, ExecId: execID})
}

// RememberOpen has the kernel leave out opens with key k.
func (t *Tracer) RememberOpen(k *OpenKey) error {
	m, err := t.startedMap(func(m *bpf.OtelsecMaps) *ebpf.Map { return m.OpenVerdict })
	if err != nil {
		return err
	}
	return m.Put(k, uint8(1))
}

// LineageChanged makes every class set so far stale: the caller's process table changed a
// lineage without a kernel event saying so.
func (t *Tracer) LineageChanged() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.verdicts.gen != nil {
		atomic.AddUint64(t.verdicts.gen, 1)
	}
}

// RememberedOpens returns how many opens the kernel has left out so.
func (t *Tracer) RememberedOpens() (uint64, error) {
	m, err := t.startedMap(func(m *bpf.OtelsecMaps) *ebpf.Map { return m.RememberedCount })
	if err != nil {
		return 0, err
	}
	return perCPUSum(m, "remembered opens")
}
