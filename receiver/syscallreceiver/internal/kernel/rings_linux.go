//go:build linux

package kernel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// rings reads the kernel's rings as one stream. One epoll set holds both rings (edge-triggered:
// it reports a ring's wakeups, not that it holds data) and an eventfd that close and kick
// signal; the set itself waits in Go's netpoller (a goroutine parked there holds no thread and
// keeps the runtime's sysmon asleep, where a blocking epoll_wait made it spin every 20 µs). The
// reader sleeps until either ring's program forces a wakeup, it is kicked or closed, or the
// timeout passes; it then takes records without blocking (ringMap, which maps each ring's data
// once, and its available, two atomic loads, to see a ring is empty without a syscall). An
// idle reader sleeps with the kernel's reader_asleep flag set (bpf/lib/submit.h), so the next
// record wakes it and nothing polls.
//
// Order: the process table needs a process's records in the order they happened (the opens a
// shell makes before it execs belong to the shell; those after, to the new program), but they
// travel in two rings read at different lags. So the stream is the merge of the two rings
// by the records' BootNs, holding one record (the head) of each ring: of two heads the older
// goes first; a lone head goes once the other ring has been seen empty after that head was read.
// That is exact for every pair of records where one happened before the other: the earlier
// record's program committed it before the later one's program started (for one thread, and
// across processes through fork, exec and exit, whose hooks run before the kernel lets the
// effect be seen), so the earlier one's BootNs is smaller, and it is already visible in its ring
// when the later one is read: it is a head, or behind a head with a smaller BootNs still (a
// ring's records are in reservation order, and a record reserved before the earlier one was
// committed took its BootNs before the later one's program started). Records that raced on
// different CPUs keep the order of their rings.
type rings struct {
	rd   [NumRings]*ringMap
	head [NumRings]head

	// mu: next and wait hold it for reading while they use the rings' memory and descriptors;
	// close takes it for writing before freeing them, so neither ever touches a freed mapping
	// or a closed (or reused) descriptor. The callback of Read runs without it.
	mu     sync.RWMutex
	closed atomic.Bool
	ep     *os.File // the epoll set, in the netpoller
	epc    syscall.RawConn
	evfd   int
	events [NumRings + 1]unix.EpollEvent
	// asleep is the kernel's reader_asleep, in the object's .bss mapped here (bss, which
	// holds the lineage count too: Tracer.LineageChanged).
	asleep *uint32
	bss    []byte
}

type head struct {
	rd   *ringMap
	rec  []byte // the record read, when have
	have bool
	ts   uint64
}

var errRingsClosed = errors.New("ring readers closed")

// openRings opens the readers of maps (indexed by Ring). flag is the map holding the kernel's
// reader_asleep (the .bss, mmapable), flagOffset its offset in the map's value.
func openRings(flag *ebpf.Map, flagOffset uint32, maps ...*ebpf.Map) (*rings, error) {
	r := &rings{evfd: -1}
	fail := func(err error) (*rings, error) {
		r.close()
		return nil, err
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return fail(fmt.Errorf("epoll_create1: %w", err))
	}
	// Non-blocking, so that os.NewFile puts it in the netpoller.
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		return fail(fmt.Errorf("epoll: %w", err))
	}
	r.ep = os.NewFile(uintptr(epfd), "ring epoll")
	if r.epc, err = r.ep.SyscallConn(); err != nil {
		return fail(fmt.Errorf("ring epoll: %w", err))
	}
	if r.evfd, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		return fail(fmt.Errorf("eventfd: %w", err))
	}
	if err := r.mapFlag(flag, flagOffset); err != nil {
		return fail(err)
	}
	if err := epollAdd(epfd, r.evfd, unix.EPOLLIN); err != nil {
		return fail(err)
	}
	for i, m := range maps {
		rd, err := openRingMap(m)
		if err != nil {
			return fail(fmt.Errorf("opening the %s ring buffer reader: %w", Ring(i), err))
		}
		r.rd[i] = rd
		r.head[i].rd = rd
		if err := epollAdd(epfd, m.FD(), unix.EPOLLIN|unix.EPOLLET); err != nil {
			return fail(err)
		}
	}
	return r, nil
}

func epollAdd(epfd, fd int, events uint32) error {
	ev := unix.EpollEvent{Events: events, Fd: int32(fd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return fmt.Errorf("epoll_ctl: %w", err)
	}
	return nil
}

// mapFlag maps the page of m's value that holds the flag at off, for atomic access (cilium's
// Variable writes with a plain copy, and the flag needs a full barrier before the reader
// looks at the rings).
func (r *rings) mapFlag(m *ebpf.Map, off uint32) error {
	page := uint32(os.Getpagesize())
	size := (m.ValueSize() + page - 1) / page * page
	if off%4 != 0 || off+4 > m.ValueSize() {
		return fmt.Errorf("reader_asleep at %d in a %d-byte map", off, m.ValueSize())
	}
	b, err := unix.Mmap(m.FD(), 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("mapping reader_asleep: %w", err)
	}
	r.bss = b
	r.asleep = (*uint32)(unsafe.Pointer(&b[off]))
	return nil
}

// bssWord is the 64-bit variable at off in the mapped .bss, for atomic access while the
// rings are open.
func (r *rings) bssWord(off uint32) (*uint64, error) {
	if off%8 != 0 || int(off)+8 > len(r.bss) {
		return nil, fmt.Errorf("a 64-bit variable at %d in a %d-byte .bss", off, len(r.bss))
	}
	return (*uint64)(unsafe.Pointer(&r.bss[off])), nil
}

// next returns the next record of the merged stream, or nil when both rings are empty. The
// record stays valid until the following call. err is errRingsClosed after close.
func (r *rings) next() ([]byte, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed.Load() {
		return nil, errRingsClosed
	}
	b, p := &r.head[RingBulk], &r.head[RingPriority]
	if err := b.fill(); err != nil {
		return nil, err
	}
	if err := p.fill(); err != nil {
		return nil, err
	}
	// A lone head: look at the other ring again, after that head was read (see rings).
	var err error
	switch {
	case b.have && !p.have:
		err = p.fill()
	case p.have && !b.have:
		err = b.fill()
	}
	if err != nil {
		return nil, err
	}
	h := b
	switch {
	case b.have && p.have:
		if p.ts < b.ts {
			h = p
		}
	case p.have:
		h = p
	case !b.have:
		return nil, nil
	}
	h.have = false
	return h.rec, nil
}

// fill reads the ring's next record into h unless it holds one already or the ring is empty.
func (h *head) fill() error {
	if h.have || h.rd.available() == 0 {
		return nil
	}
	rec, ok, err := h.rd.next(h.rec)
	h.rec = rec
	switch {
	case err != nil:
		return fmt.Errorf("reading the ring buffer: %w", err)
	case !ok:
		return nil // only discarded records, or the next one is still being written
	}
	h.have = true
	h.ts = 0 // too short for a header: a decode error, delivered at once
	if len(rec) >= 8 {
		h.ts = binary.NativeEndian.Uint64(rec) // rec_hdr.ts
	}
	return nil
}

// wait sleeps until a ring's program forces a wakeup, kick or close is called, or timeout
// passes. idle: the rings were empty for a while; the kernel is asked to wake the reader at the
// next record (reader_asleep), and timeout is only a backstop. Without idle, the wakeups are
// those of a ring's fill mark, and a busy reader polls every timeout.
func (r *rings) wait(timeout time.Duration, idle bool) error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed.Load() {
		return errRingsClosed
	}
	if idle {
		// An atomic store is a full barrier: the kernel sees the flag, or the record it wrote
		// before reading the flag is seen here (bpf/lib/submit.h).
		atomic.StoreUint32(r.asleep, 1)
		defer atomic.StoreUint32(r.asleep, 0)
		for _, rd := range r.rd {
			if rd.available() > 0 {
				return nil
			}
		}
	}
	if err := r.ep.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return fmt.Errorf("waiting for the ring buffers: %w", err)
	}
	var werr error
	err := r.epc.Read(func(fd uintptr) bool {
		n, err := unix.EpollWait(int(fd), r.events[:], 0)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				return false
			}
			werr = err
			return true
		}
		for _, ev := range r.events[:max(n, 0)] {
			if int(ev.Fd) == r.evfd {
				var b [8]byte
				_, _ = unix.Read(r.evfd, b[:]) // reset: it is level-triggered
			}
		}
		return n > 0
	})
	if err == nil {
		err = werr
	}
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("waiting for the ring buffers: %w", err)
	}
	if r.closed.Load() {
		return errRingsClosed
	}
	return nil
}

// kick ends a wait under way (or the next one), as a record would.
func (r *rings) kick() {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if !r.closed.Load() {
		r.signal()
	}
}

func (r *rings) signal() {
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	_, _ = unix.Write(r.evfd, one[:])
}

// close ends a wait under way and frees the readers. Safe to call more than once.
func (r *rings) close() error {
	if r.closed.Swap(true) {
		return nil
	}
	if r.evfd >= 0 {
		r.signal()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for _, rd := range r.rd {
		if rd != nil {
			errs = append(errs, rd.close())
		}
	}
	if r.ep != nil {
		errs = append(errs, r.ep.Close())
	}
	if r.evfd >= 0 {
		unix.Close(r.evfd)
	}
	if r.bss != nil {
		errs = append(errs, unix.Munmap(r.bss))
	}
	r.ep, r.evfd, r.asleep, r.bss = nil, -1, nil, nil
	return errors.Join(errs...)
}
