//go:build linux

package syscallreceiver // import "github.com/otelsec/otelsec/receiver/syscallreceiver"

import (
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/otelsec/otelsec/internal/ruleengine"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kernel"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/record"
)

// Bounds of what openMemory keeps (the kernel's maps are bounded as well: bpf/lib/verdict.h).
const (
	maxClasses    = 4096  // lineage values numbered; past it the numbering starts over
	maxClassesSet = 8192  // thread groups whose class was given to the kernel
	maxOpenKeys   = 32768 // keys given to the kernel, per generation
)

// openMemory gives the kernel opens the rules decided no rule can match, when the decision
// depended only on what the kernel looks opens up by (record.OpenKeyed): later opens with the
// same key are left out in the kernel (bpf/lib/verdict.h) and counted there. Shared by the
// builders.
type openMemory struct {
	tracer *kernel.Tracer

	mu      sync.Mutex
	classes map[string]uint32 // lineage values -> class
	next    uint32            // the next class number; never re-used
	set     map[uint32]classSet
	keys    seenSet[kernel.OpenKey]
	buf     []byte
	// warned: a kernel map update failed (the maps are LRU, so not for lack of room); the
	// opens are then only not left out, and the first failure is logged.
	warned bool
	logger *zap.Logger
}

// classSet is what SetClass was given for a thread group.
type classSet struct {
	class  uint32
	gen    uint64
	execID uint32
	start  uint64
}

var (
	keyedOK     = func(attr string) bool { return record.OpenKeyed(attr, false) }
	keyedFailed = func(attr string) bool { return record.OpenKeyed(attr, true) }
)

func newOpenMemory(t *kernel.Tracer, logger *zap.Logger) *openMemory {
	return &openMemory{tracer: t, logger: logger, classes: map[string]uint32{}, next: 1, set: map[uint32]classSet{}, keys: seenSet[kernel.OpenKey]{limit: maxOpenKeys}}
}

// minAge: younger processes are not remembered. A compiler lives for milliseconds and makes
// most of its opens before the kernel could know its class; working on its opens here would
// cost more than it saves. Servers, daemons and shells live long.
const minAge = 50 * time.Millisecond

// decided is called for a file.open job the view decided no rule can match.
func (m *openMemory) decided(job *record.Job, view *ruleengine.View) {
	ev := &job.Ev
	if ev.Kind != kevent.KindFileOpen || ev.Path.Truncated || len(ev.Path.B) == 0 || ev.Path.B[0] != '/' {
		return
	}
	if job.StartBootNs <= 0 || int64(ev.BootNs)-job.StartBootNs < int64(minAge) {
		return
	}
	errno := ev.Errno()
	ok := keyedOK
	if errno != 0 {
		ok = keyedFailed
	}
	if !view.DecidedBy(ok) {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.buf = record.Lineage(m.buf[:0], job)
	class, known := m.classes[string(m.buf)]
	if !known {
		if len(m.classes) >= maxClasses {
			clear(m.classes)
		}
		if m.next == 0 { // wrapped: numbers could mean two lineages
			return
		}
		class = m.next
		m.next++
		m.classes[string(m.buf)] = class
	}
	k, keyable := m.tracer.OpenKeyOf(class, ev.Syscall, ev.Flags, ev.Mode, uint32(errno), ev.Path.B)
	if !keyable {
		return
	}
	want := classSet{class: class, gen: ev.LineageGen, execID: ev.ExecID, start: ev.GroupStart}
	if m.set[ev.PID] != want {
		if len(m.set) >= maxClassesSet {
			clear(m.set)
		}
		if err := m.tracer.SetClass(ev.PID, class, ev.LineageGen, ev.ExecID, ev.GroupStart); err != nil {
			m.failedOnce(err)
			return
		}
		m.set[ev.PID] = want
	}
	if m.keys.add(k) {
		if err := m.tracer.RememberOpen(&k); err != nil {
			m.failedOnce(err)
		}
	}
}

func (m *openMemory) failedOnce(err error) {
	if !m.warned {
		m.warned = true
		m.logger.Warn("The kernel could not be given a decided open; such opens keep coming to the receiver", zap.Error(err))
	}
}
