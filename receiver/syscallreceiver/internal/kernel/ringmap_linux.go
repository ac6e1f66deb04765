//go:build linux

package kernel

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"unsafe"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// ringMap reads one BPF ring buffer map (kernel/bpf/ringbuf.c's layout: a consumer page the
// reader writes, a producer page, then the data pages) with its data pages mapped once. The
// usual reader (cilium's ringbuf) maps them twice in a row, so that a record that wraps
// past the end reads as one piece; every page of the ring then counts twice in the process's
// RSS, mapped or not used (the kernel maps them all at mmap). A record is copied out anyway
// (the reader must free its room at once), so the wrapped one is copied in two parts here.
type ringMap struct {
	cons, prod []byte   // the mappings: the consumer page (read-write), producer page + data
	consPos    *uintptr // the kernel's unsigned longs, in the mappings
	prodPos    *uintptr
	data       []byte
	mask       uintptr
}

// The record header (struct bpf_ringbuf_hdr): a 32-bit length with two flag bits, then 32
// bits the kernel keeps for itself; records start 8-aligned.
const (
	ringHdrSize   = 8
	ringBusyBit   = 1 << 31 // reserved, not committed yet
	ringDiscarded = 1 << 30 // committed as discarded: skip it
)

var errRingCorrupt = errors.New("ring buffer: a record header does not fit the ring")

func openRingMap(m *ebpf.Map) (*ringMap, error) {
	page := os.Getpagesize()
	size := int(m.MaxEntries())
	if size <= 0 || size&(size-1) != 0 || size%page != 0 {
		return nil, fmt.Errorf("ring buffer of %d bytes: not a power of two of pages", size)
	}
	cons, err := unix.Mmap(m.FD(), 0, page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mapping the ring's consumer page: %w", err)
	}
	prod, err := unix.Mmap(m.FD(), int64(page), page+size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		_ = unix.Munmap(cons)
		return nil, fmt.Errorf("mapping the ring's data: %w", err)
	}
	return &ringMap{
		cons:    cons,
		prod:    prod,
		consPos: (*uintptr)(unsafe.Pointer(&cons[0])),
		prodPos: (*uintptr)(unsafe.Pointer(&prod[0])),
		data:    prod[page:],
		mask:    uintptr(size - 1),
	}, nil
}

// available is the number of bytes written and not yet consumed (records being written
// included).
func (r *ringMap) available() uint64 {
	return uint64(atomic.LoadUintptr(r.prodPos) - atomic.LoadUintptr(r.consPos))
}

// next copies the oldest committed record into buf (grown when too small), frees its room in
// the ring and returns it; ok is false when the ring holds none yet (empty, or its oldest
// record is still being written). Discarded records are skipped.
func (r *ringMap) next(buf []byte) (_ []byte, ok bool, err error) {
	cons := atomic.LoadUintptr(r.consPos)
	prod := atomic.LoadUintptr(r.prodPos)
	size := uintptr(len(r.data))
	for prod-cons >= ringHdrSize {
		// An atomic load of the length: it is what the kernel's commit (an xchg) publishes,
		// and seeing it without the busy bit makes the record's bytes visible.
		hdr := atomic.LoadUint32((*uint32)(unsafe.Pointer(&r.data[cons&r.mask])))
		if hdr&ringBusyBit != 0 {
			return buf, false, nil
		}
		n := uintptr(hdr &^ (ringBusyBit | ringDiscarded))
		total := (ringHdrSize + n + 7) &^ 7
		if total > size || prod-cons < total {
			return buf, false, fmt.Errorf("%w (%d bytes at %d, %d written)", errRingCorrupt, n, cons, prod-cons)
		}
		if hdr&ringDiscarded == 0 {
			start := (cons + ringHdrSize) & r.mask
			first := min(n, size-start)
			buf = append(append(buf[:0], r.data[start:start+first]...), r.data[:n-first]...)
			atomic.StoreUintptr(r.consPos, cons+total)
			return buf, true, nil
		}
		cons += total
		atomic.StoreUintptr(r.consPos, cons)
	}
	if prod != cons {
		return buf, false, fmt.Errorf("%w (%d bytes left at %d)", errRingCorrupt, prod-cons, cons)
	}
	return buf, false, nil
}

func (r *ringMap) close() error {
	err := errors.Join(unix.Munmap(r.prod), unix.Munmap(r.cons))
	r.prod, r.cons, r.data = nil, nil, nil
	return err
}
