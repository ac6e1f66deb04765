package kevent

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"unsafe"

	"github.com/otelsec/otelsec/bpf"
)

// The record layout comes from the C (bpf/lib/record.h) through bpf2go: the header is
// bpf.OtelsecRecHdr, the constants its enums. Nothing here restates it.
type hdr = bpf.OtelsecRecHdr

const (
	HeaderSize = int(unsafe.Sizeof(hdr{}))
	NumSlots   = int(bpf.OtelsecRecLayoutNSLOTS)
	// Magic is in every header: a record without it is not ours (or a layout from another
	// build).
	Magic = uint16(bpf.OtelsecRecLayoutREC_MAGIC)

	offTS     = int(unsafe.Offsetof(hdr{}.Ts))
	offRet    = int(unsafe.Offsetof(hdr{}.Ret))
	offA      = int(unsafe.Offsetof(hdr{}.A))
	offPID    = int(unsafe.Offsetof(hdr{}.Pid))
	offTID    = int(unsafe.Offsetof(hdr{}.Tid))
	offPPID   = int(unsafe.Offsetof(hdr{}.Ppid))
	offUID    = int(unsafe.Offsetof(hdr{}.Uid))
	offEUID   = int(unsafe.Offsetof(hdr{}.Euid))
	offGID    = int(unsafe.Offsetof(hdr{}.Gid))
	offEGID   = int(unsafe.Offsetof(hdr{}.Egid))
	offKind   = int(unsafe.Offsetof(hdr{}.Kind))
	offNr     = int(unsafe.Offsetof(hdr{}.Nr))
	offSlen   = int(unsafe.Offsetof(hdr{}.Slen))
	offTrunc  = int(unsafe.Offsetof(hdr{}.Trunc))
	offHFlags = int(unsafe.Offsetof(hdr{}.Hflags))
	offMagic  = int(unsafe.Offsetof(hdr{}.Magic))
	offLogin  = int(unsafe.Offsetof(hdr{}.Loginuid))
	offCapEff = int(unsafe.Offsetof(hdr{}.CapEff))
	offCapPrm = int(unsafe.Offsetof(hdr{}.CapPerm))
	offComm   = int(unsafe.Offsetof(hdr{}.Comm))
	// CommLen is the size of the kernel's comm (TASK_COMM_LEN), NUL included.
	CommLen = int(bpf.OtelsecRecLayoutCOMM_LEN)
)

// Header flags (Raw.HFlags).
const (
	HFlagTTY        = uint16(bpf.OtelsecHflagHFLAG_TTY)
	HFlagOldUnknown = uint16(bpf.OtelsecHflagHFLAG_OLD_UNKNOWN)
	HFlagExeUpper   = uint16(bpf.OtelsecHflagHFLAG_EXE_UPPER)
	HFlagExeMemfd   = uint16(bpf.OtelsecHflagHFLAG_EXE_MEMFD)
)

// LoginUIDUnset is Event.LoginUID of a process outside any login session.
const LoginUIDUnset = uint32(bpf.OtelsecRecNoneLOGINUID_UNSET)

// Slots (Raw.Slots indexes): which string is which depends on the kind.
const (
	SlotPath      = int(bpf.OtelsecSlotSLOT_PATH)
	SlotPathBase  = int(bpf.OtelsecSlotSLOT_PATH_BASE)
	SlotPath2     = int(bpf.OtelsecSlotSLOT_PATH2)
	SlotPath2Base = int(bpf.OtelsecSlotSLOT_PATH2BASE)
	SlotX         = int(bpf.OtelsecSlotSLOT_X)
	SlotY         = int(bpf.OtelsecSlotSLOT_Y)
)

// Decode errors. Decode wraps them with detail; test with errors.Is.
var (
	ErrShort    = errors.New("record shorter than its header")
	ErrMagic    = errors.New("record has a wrong magic")
	ErrOverflow = errors.New("record strings exceed its length")
)

// Raw is what a record holds beyond its header: the kind-specific numbers and strings. Which
// word and which slot means what is the kind's own; package events maps them onto Event.
type Raw struct {
	A      [6]uint64
	Slots  [NumSlots]Str
	HFlags uint16
}

// DecodeHeader checks one raw record and decodes its header into ev (overwriting every field;
// the fd fields start at -1, "none") and the rest into r. It does not allocate: r's strings
// reference raw. Malformed input returns an error, never panics. The kind is not checked
// against the known kinds: that is the caller's table.
func DecodeHeader(raw []byte, ev *Event, r *Raw) error {
	*ev = Event{}
	if len(raw) < HeaderSize {
		return fmt.Errorf("%w: %d bytes", ErrShort, len(raw))
	}
	le := binary.LittleEndian
	if m := le.Uint16(raw[offMagic:]); m != Magic {
		return fmt.Errorf("%w: %#x", ErrMagic, m)
	}
	trunc := le.Uint16(raw[offTrunc:])
	pos := HeaderSize
	for i := range NumSlots {
		n := int(le.Uint16(raw[offSlen+2*i:]))
		if n > len(raw)-pos {
			return fmt.Errorf("%w: slot %d needs %d bytes at %d of %d", ErrOverflow, i, n, pos, len(raw))
		}
		r.Slots[i] = Str{B: raw[pos : pos+n : pos+n], Truncated: trunc&(1<<i) != 0}
		pos += n
	}
	for i := range r.A {
		r.A[i] = le.Uint64(raw[offA+8*i:])
	}
	r.HFlags = le.Uint16(raw[offHFlags:])

	ev.Kind = Kind(le.Uint16(raw[offKind:]))
	ev.Syscall = le.Uint16(raw[offNr:])
	ev.Ret = int64(le.Uint64(raw[offRet:]))
	ev.BootNs = le.Uint64(raw[offTS:])
	ev.PID = le.Uint32(raw[offPID:])
	ev.TID = le.Uint32(raw[offTID:])
	ev.PPID = le.Uint32(raw[offPPID:])
	ev.UID = le.Uint32(raw[offUID:])
	ev.EUID = le.Uint32(raw[offEUID:])
	ev.GID = le.Uint32(raw[offGID:])
	ev.EGID = le.Uint32(raw[offEGID:])
	ev.TTY = r.HFlags&HFlagTTY != 0
	ev.LoginUID = le.Uint32(raw[offLogin:])
	ev.ThreadCapEffective = le.Uint64(raw[offCapEff:])
	ev.ThreadCapPermitted = le.Uint64(raw[offCapPrm:])
	copy(ev.Comm[:], raw[offComm:offComm+CommLen])
	ev.FD, ev.DirFD, ev.DirFD2, ev.OldFD, ev.NewFD = -1, -1, -1, -1, -1
	return nil
}

// SetPath sets Path and PathBase from the first path slots.
func (e *Event) SetPath(r *Raw) {
	e.Path, e.PathBase = r.Slots[SlotPath], r.Slots[SlotPathBase]
}

// SetPath2 sets Path2 and Path2Base from the second path slots.
func (e *Event) SetPath2(r *Raw) {
	e.Path2, e.Path2Base = r.Slots[SlotPath2], r.Slots[SlotPath2Base]
}

// Address families (linux values).
const (
	AFUnix  = 1
	AFInet  = 2
	AFInet6 = 10
)

// ParseSockaddr reads a struct sockaddr as the kernel lays it out (family in host order, port
// in network order). Anything it cannot read yields an address with only Family set.
func ParseSockaddr(s Str) Sockaddr {
	b := s.B
	if len(b) < 2 {
		return Sockaddr{}
	}
	fam := binary.LittleEndian.Uint16(b)
	sa := Sockaddr{Family: fam}
	switch fam {
	case AFInet:
		if len(b) >= 8 {
			sa.Port = binary.BigEndian.Uint16(b[2:])
			sa.IP = netip.AddrFrom4([4]byte(b[4:8]))
		}
	case AFInet6:
		if len(b) >= 24 {
			sa.Port = binary.BigEndian.Uint16(b[2:])
			sa.IP = netip.AddrFrom16([16]byte(b[8:24])).Unmap()
		}
	case AFUnix:
		p := b[2:]
		// A pathname is NUL-terminated within the struct; an abstract name starts with NUL and
		// runs to the given length.
		if len(p) > 0 && p[0] != 0 {
			for i, c := range p {
				if c == 0 {
					p = p[:i]
					break
				}
			}
		}
		sa.Path = Str{B: p, Truncated: s.Truncated}
	}
	return sa
}
