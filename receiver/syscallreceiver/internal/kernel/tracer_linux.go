//go:build linux

package kernel

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/otelsec/otelsec/bpf"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/events"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

// Tracer owns the loaded programs, their links and the ring-buffer readers.
type Tracer struct {
	opts Options

	mu          sync.Mutex
	started     bool
	closed      bool
	maps        bpf.OtelsecMaps
	progs       *ebpf.Collection
	links       []link.Link
	rings       *rings
	unavailable []string
	fallbacks   []string
	verdicts    verdicts

	decodeErrors atomic.Uint64
	// Detach: the programs are gone, so the rings only empty; Read drains them, delivering
	// until drainUntil (unix ns), counting the rest in unread.
	detached   atomic.Bool
	drainUntil atomic.Int64
	unread     atomic.Uint64
	bootOffset int64 // wall-clock ns minus CLOCK_BOOTTIME ns, taken at Start
}

// New validates opts and returns a Tracer that is not yet running.
func New(opts Options) (*Tracer, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("syscall receiver options: %w", err)
	}
	return &Tracer{opts: o}, nil
}

// Start probes the kernel, loads the programs and attaches those of the selected events.
// It fails with one sentence naming what is missing (privileges, BTF, ring buffers) and
// leaves nothing attached; hooks missing for some events only are reported by Unavailable.
func (t *Tracer) Start() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return errors.New("tracer is closed")
	}
	if t.started {
		return errors.New("tracer already started")
	}
	if err := t.load(); err != nil {
		_ = t.closeLocked()
		t.closed = false
		t.unavailable = nil
		t.fallbacks = nil
		return err
	}
	t.bootOffset = bootOffset()
	t.started = true
	return nil
}

// Unavailable lists the selected event names none of whose hooks exist on this kernel.
func (t *Tracer) Unavailable() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.unavailable...)
}

// Fallbacks lists, one sentence each, what the programs do the slower way on this kernel
// because a feature they prefer is missing (nothing is lost: the records are the same).
func (t *Tracer) Fallbacks() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.fallbacks...)
}

// Read decodes records and calls fn for each until ctx is done or the Tracer is closed; it
// returns nil then. After Detach, a done ctx makes Read drain the rings first: it returns once
// they are empty, having passed records to fn until Detach's deadline and counted the rest
// (Unread). fn runs on the calling goroutine; ev and its strings are only valid during
// the call. Records come from both rings merged in the order they happened (see rings).
// Malformed records are counted (DecodeErrors) and skipped. Only one Read may run.
func (t *Tracer) Read(ctx context.Context, fn func(ev *kevent.Event)) error {
	t.mu.Lock()
	rs := t.rings
	t.mu.Unlock()
	if rs == nil {
		return errors.New("tracer is not started")
	}
	var (
		ev  kevent.Event
		dec events.Decoder
	)
	poll := t.opts.PollInterval
	maxArgs := t.opts.MaxArgs
	// The reader sleeps without a timeout worth the name once idle (see rings.wait), so a
	// done ctx must wake it.
	defer context.AfterFunc(ctx, rs.kick)()
	// got: records read since the last wait; a whole poll interval without one makes the
	// reader idle.
	got := 0
	offset, offsetAt := t.bootOffset, time.Now()
	n := 0
	// draining: ctx is done after Detach; looked at with ctx, not per record.
	draining := ctx.Err() != nil && t.detached.Load()
	for {
		// Rings that never run dry (forced wakeups keep coming) never make the reader wait:
		// look at ctx every 64 records as well.
		if n++; n&63 == 0 {
			if ctx.Err() != nil {
				if !t.detached.Load() {
					return nil
				}
				draining = true
			}
			if n&4095 == 0 {
				if now := time.Now(); now.Sub(offsetAt) > time.Second {
					offset, offsetAt = bootOffset(), now
				}
			}
		}
		raw, err := rs.next()
		if err == nil && raw == nil {
			if ctx.Err() != nil {
				return nil
			}
			// The wall clock is stepped and slewed (NTP), CLOCK_BOOTTIME is not: refresh
			// the offset now and then so timestamps follow the wall clock.
			if now := time.Now(); now.Sub(offsetAt) > time.Second {
				offset, offsetAt = bootOffset(), now
			}
			if got == 0 {
				err = rs.wait(idleWait, true)
			} else {
				err = rs.wait(poll, false)
			}
			got = 0
			if err == nil {
				continue
			}
		}
		if err != nil {
			if errors.Is(err, errRingsClosed) {
				return nil
			}
			return err
		}
		got++
		if err := dec.Decode(raw, &ev); err != nil {
			t.decodeErrors.Add(1)
			continue
		}
		if draining && time.Now().UnixNano() > t.drainUntil.Load() {
			t.unread.Add(1) // draining past Detach's deadline
			continue
		}
		ev.UnixNano = int64(ev.BootNs) + offset
		if ev.Kind == kevent.KindProcessExec {
			capArgs(&ev.Argv, maxArgs)
		}
		fn(&ev)
	}
}

// idleWait bounds an idle reader's sleep: the kernel wakes it at the next record, so this is
// only a backstop, and the wall-clock offset is refreshed at least this often.
const idleWait = time.Second

// Detach removes the programs, so nothing more is written to the rings, and makes a Read whose
// ctx is done drain what they hold: records go to its callback until deliverUntil, the rest are
// only counted (Unread). Close still frees everything.
func (t *Tracer) Detach(deliverUntil time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.drainUntil.Store(deliverUntil.UnixNano())
	err := t.detachLocked()
	t.detached.Store(true)
	return err
}

// Unread counts the records Read consumed without passing them on, draining after Detach's
// deadline: events lost at shutdown.
func (t *Tracer) Unread() uint64 { return t.unread.Load() }

// capArgs cuts a NUL-separated argv after max arguments and marks it truncated.
func capArgs(argv *kevent.Str, max int) {
	n := 0
	for i, c := range argv.B {
		if c == 0 {
			n++
			if n == max && i+1 < len(argv.B) {
				argv.B = argv.B[:i+1]
				argv.Truncated = true
				return
			}
		}
	}
}

// Drops returns how many records the kernel could not write because their ring was full, since
// Start (the per-CPU counters of both rings summed).
func (t *Tracer) Drops() (uint64, error) {
	per, err := t.DropsByRing()
	var sum uint64
	for _, v := range per {
		sum += v
	}
	return sum, err
}

// DropsByRing is Drops for each ring (indexed by Ring).
func (t *Tracer) DropsByRing() ([NumRings]uint64, error) {
	var out [NumRings]uint64
	t.mu.Lock()
	m := t.maps.Drops
	t.mu.Unlock()
	if m == nil {
		return out, errors.New("tracer is not started")
	}
	var per []uint64
	for r := range out {
		if err := m.Lookup(uint32(r), &per); err != nil {
			return out, fmt.Errorf("reading the drop counters: %w", err)
		}
		for _, v := range per {
			out[r] += v
		}
	}
	return out, nil
}

// MaxQuietErrno bounds the errnos QuietOpens takes.
const MaxQuietErrno = 255

// QuietOpens has the kernel leave out failed opens, with one of errnos, of a whole absolute
// path without an empty element, a trailing slash or an element that starts with a dot (its
// record would have no file.path_as_given): the caller has made sure no rule can match them.
// Each is counted (QuietOpened). An empty list leaves nothing out.
func (t *Tracer) QuietOpens(errnos []int) error {
	var q bpf.OtelsecQuietErrnos
	for _, e := range errnos {
		if e <= 0 || e > MaxQuietErrno {
			return fmt.Errorf("errno %d is not between 1 and %d", e, MaxQuietErrno)
		}
		q.Bits[e/64] |= 1 << (e % 64)
	}
	m, err := t.startedMap(func(m *bpf.OtelsecMaps) *ebpf.Map { return m.QuietOpen })
	if err != nil {
		return err
	}
	if err := m.Put(uint32(0), &q); err != nil {
		return fmt.Errorf("setting the opens left out: %w", err)
	}
	return nil
}

// QuietOpened returns how many opens QuietOpens has had the kernel leave out since Start.
func (t *Tracer) QuietOpened() (uint64, error) {
	m, err := t.startedMap(func(m *bpf.OtelsecMaps) *ebpf.Map { return m.QuietCount })
	if err != nil {
		return 0, err
	}
	return perCPUSum(m, "opens left out")
}

// startedMap returns the map pick chooses from the loaded ones, or an error before Start.
func (t *Tracer) startedMap(pick func(*bpf.OtelsecMaps) *ebpf.Map) (*ebpf.Map, error) {
	t.mu.Lock()
	m := pick(&t.maps)
	t.mu.Unlock()
	if m == nil {
		return nil, errors.New("tracer is not started")
	}
	return m, nil
}

// perCPUSum is the sum over CPUs of the per-CPU counter m holds at key 0 (what names it).
func perCPUSum(m *ebpf.Map, what string) (uint64, error) {
	var per []uint64
	if err := m.Lookup(uint32(0), &per); err != nil {
		return 0, fmt.Errorf("reading the count of %s: %w", what, err)
	}
	var sum uint64
	for _, v := range per {
		sum += v
	}
	return sum, nil
}

// DecodeErrors returns how many records were malformed and skipped.
func (t *Tracer) DecodeErrors() uint64 { return t.decodeErrors.Load() }

// Close detaches every program and frees the maps; a running Read returns. Safe to call more
// than once and before Start.
func (t *Tracer) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closeLocked()
}

func (t *Tracer) closeLocked() error {
	errs := []error{t.detachLocked()}
	if t.rings != nil {
		if err := t.rings.close(); err != nil {
			errs = append(errs, err)
		}
		t.rings = nil
	}
	t.verdicts.gen = nil // in the rings' mapping of the .bss, gone with them
	if t.progs != nil {
		t.progs.Close()
		t.progs = nil
	}
	if err := t.maps.Close(); err != nil {
		errs = append(errs, err)
	}
	t.maps = bpf.OtelsecMaps{}
	t.closed = true
	return errors.Join(errs...)
}

// detachLocked closes the links: nothing writes into the rings once they are gone. Each detach
// waits for an RCU grace period (~30 ms); closing them concurrently lets those overlap.
func (t *Tracer) detachLocked() error {
	var errs []error
	var (
		wg    sync.WaitGroup
		errMu sync.Mutex
	)
	for _, l := range t.links {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.Close(); err != nil {
				errMu.Lock()
				errs = append(errs, err)
				errMu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.links = nil
	return errors.Join(errs...)
}

// bootOffset returns wall-clock minus CLOCK_BOOTTIME, both in ns, taken back to back.
func bootOffset() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts)
	return time.Now().UnixNano() - ts.Nano()
}
