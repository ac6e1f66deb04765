//go:build linux

package kernel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"
)

// rings reads the kernel's rings as one stream. One epoll set holds both rings (and an eventfd
// that Close signals), so the reader sleeps until either ring's program forces a wakeup, Close
// is called, or the poll interval passes; it then takes records without blocking
// (ringbuf.Reader with a deadline in the past, and AvailableBytes, two atomic loads, to see a
// ring is empty without a syscall).
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
	rd   [NumRings]*ringbuf.Reader
	head [NumRings]head

	// mu: next and wait hold it for reading while they use the rings' memory and descriptors;
	// close takes it for writing before freeing them, so neither ever touches a freed mapping
	// or a closed (or reused) descriptor. The callback of Read runs without it.
	mu     sync.RWMutex
	closed atomic.Bool
	epfd   int
	evfd   int
	events [NumRings + 1]unix.EpollEvent
}

type head struct {
	rd   *ringbuf.Reader
	rec  ringbuf.Record
	have bool
	ts   uint64
}

var errRingsClosed = errors.New("ring readers closed")

func openRings(maps ...*ebpf.Map) (*rings, error) {
	r := &rings{epfd: -1, evfd: -1}
	fail := func(err error) (*rings, error) {
		r.close()
		return nil, err
	}
	var err error
	if r.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return fail(fmt.Errorf("epoll_create1: %w", err))
	}
	if r.evfd, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		return fail(fmt.Errorf("eventfd: %w", err))
	}
	fds := []int{r.evfd}
	for i, m := range maps {
		rd, err := ringbuf.NewReader(m)
		if err != nil {
			return fail(fmt.Errorf("opening the %s ring buffer reader: %w", Ring(i), err))
		}
		rd.SetDeadline(time.Unix(1, 0)) // never block: rings.wait does the waiting
		r.rd[i] = rd
		r.head[i].rd = rd
		fds = append(fds, m.FD())
	}
	for _, fd := range fds {
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
		if err := unix.EpollCtl(r.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			return fail(fmt.Errorf("epoll_ctl: %w", err))
		}
	}
	return r, nil
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
	return h.rec.RawSample, nil
}

// fill reads the ring's next record into h unless it holds one already or the ring is empty.
func (h *head) fill() error {
	if h.have || h.rd.AvailableBytes() == 0 {
		return nil
	}
	err := h.rd.ReadInto(&h.rec)
	switch {
	case err == nil:
		h.have = true
		h.ts = 0 // too short for a header: a decode error, delivered at once
		if len(h.rec.RawSample) >= 8 {
			h.ts = binary.NativeEndian.Uint64(h.rec.RawSample) // rec_hdr.ts
		}
		return nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil // only discarded or no records after all
	case errors.Is(err, ringbuf.ErrClosed) || errors.Is(err, os.ErrClosed):
		return errRingsClosed
	}
	return fmt.Errorf("reading the ring buffer: %w", err)
}

// wait sleeps until a ring's program forces a wakeup, close is called, or timeout passes.
func (r *rings) wait(timeout time.Duration) error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed.Load() {
		return errRingsClosed
	}
	ms := max(int(timeout/time.Millisecond), 1)
	_, err := unix.EpollWait(r.epfd, r.events[:], ms)
	if err != nil && !errors.Is(err, unix.EINTR) {
		return fmt.Errorf("waiting for the ring buffers: %w", err)
	}
	if r.closed.Load() {
		return errRingsClosed
	}
	return nil
}

// close ends a wait under way and frees the readers. Safe to call more than once.
func (r *rings) close() error {
	if r.closed.Swap(true) {
		return nil
	}
	if r.evfd >= 0 {
		var one [8]byte
		binary.NativeEndian.PutUint64(one[:], 1)
		_, _ = unix.Write(r.evfd, one[:])
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for _, rd := range r.rd {
		if rd != nil {
			errs = append(errs, rd.Close())
		}
	}
	for _, fd := range []int{r.epfd, r.evfd} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	r.epfd, r.evfd = -1, -1
	return errors.Join(errs...)
}
