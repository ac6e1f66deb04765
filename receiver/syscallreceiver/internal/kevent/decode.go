package kevent

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Record layout; keep in sync with bpf/headers/record.h.
const (
	HeaderSize = 120
	NumSlots   = 6
	// Magic is the first 16 bits of the header's version word: a record that does not start
	// with it is not ours (or a layout from another build).
	Magic = 0x05ec

	offTS     = 0
	offRet    = 8
	offA      = 16 // 6 x u64
	offPID    = 64
	offTID    = 68
	offPPID   = 72
	offUID    = 76
	offEUID   = 80
	offGID    = 84
	offEGID   = 88
	offKind   = 92
	offNr     = 94
	offSlen   = 96 // 6 x u16
	offTrunc  = 108
	offHFlags = 110
	offMagic  = 112

	hflagTTY        = 1 << 0
	hflagOldUnknown = 1 << 1

	slotPath      = 0
	slotPathBase  = 1
	slotPath2     = 2
	slotPath2Base = 3
	slotX         = 4
	slotY         = 5
)

// Decode errors. Decode wraps them with detail; test with errors.Is.
var (
	ErrShort    = errors.New("record shorter than its header")
	ErrMagic    = errors.New("record has a wrong magic")
	ErrKind     = errors.New("record has an unknown kind")
	ErrOverflow = errors.New("record strings exceed its length")
)

// Decode decodes one raw record into ev, overwriting every field. It does not allocate in the
// common path: ev's strings reference raw. Malformed input returns an error, never panics.
func Decode(raw []byte, ev *Event) error {
	*ev = Event{}
	if len(raw) < HeaderSize {
		return fmt.Errorf("%w: %d bytes", ErrShort, len(raw))
	}
	le := binary.LittleEndian
	if m := le.Uint16(raw[offMagic:]); m != Magic {
		return fmt.Errorf("%w: %#x", ErrMagic, m)
	}
	kind := Kind(le.Uint16(raw[offKind:]))
	if kind == KindInvalid || kind >= kindCount {
		return fmt.Errorf("%w: %d", ErrKind, uint16(kind))
	}

	var slots [NumSlots]Str
	trunc := le.Uint16(raw[offTrunc:])
	pos := HeaderSize
	for i := range NumSlots {
		n := int(le.Uint16(raw[offSlen+2*i:]))
		if n > len(raw)-pos {
			return fmt.Errorf("%w: slot %d needs %d bytes at %d of %d", ErrOverflow, i, n, pos, len(raw))
		}
		slots[i] = Str{B: raw[pos : pos+n : pos+n], Truncated: trunc&(1<<i) != 0}
		pos += n
	}

	var a [6]uint64
	for i := range a {
		a[i] = le.Uint64(raw[offA+8*i:])
	}

	ev.Kind = kind
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
	ev.TTY = le.Uint16(raw[offHFlags:])&hflagTTY != 0
	ev.FD, ev.DirFD, ev.DirFD2, ev.OldFD, ev.NewFD = -1, -1, -1, -1, -1

	switch kind {
	case KindProcessExec:
		ev.Path = slots[slotPath]
		if ev.Ret == 0 {
			ev.Cwd = slots[slotPathBase]
		} else {
			ev.PathBase = slots[slotPathBase]
		}
		ev.Path2 = slots[slotPath2]
		ev.Argv = slots[slotX]
		ev.Cgroup = slots[slotY]
		ev.ArgCount = uint32(a[0])
		ev.DirFD = int32(a[1])
	case KindProcessFork:
		ev.ChildPID = uint32(a[0])
	case KindProcessExit:
		ev.ExitStatus = uint32(a[0])
	case KindProcessPtrace:
		ev.PtraceRequest = int64(a[0])
		ev.TargetPID = int32(a[1])
		ev.PtraceAddr = a[2]
	case KindFileOpen:
		ev.setPath(slots)
		ev.DirFD = int32(a[0])
		ev.Flags = a[1]
		ev.Mode = uint32(a[2])
	case KindFileUnlink:
		ev.setPath(slots)
		ev.DirFD = int32(a[0])
		ev.Flags = a[1]
	case KindFileRename, KindFileLink:
		ev.setPath(slots)
		ev.Path2, ev.Path2Base = slots[slotPath2], slots[slotPath2Base]
		ev.DirFD = int32(a[0])
		ev.DirFD2 = int32(a[1])
		ev.Flags = a[2]
	case KindFileSymlink:
		ev.setPath(slots)
		ev.SymlinkTarget = slots[slotX]
		ev.DirFD = int32(a[0])
	case KindFileChmod:
		ev.setPath(slots)
		ev.DirFD = int32(a[0])
		ev.Mode = uint32(a[1])
		ev.Flags = a[2]
		ev.FD = int32(a[3])
	case KindFileChown:
		ev.setPath(slots)
		ev.DirFD = int32(a[0])
		ev.OwnerUID = uint32(a[1])
		ev.OwnerGID = uint32(a[2])
		ev.Flags = a[3]
		ev.FD = int32(a[4])
	case KindFileMkdir:
		ev.setPath(slots)
		ev.DirFD = int32(a[0])
		ev.Mode = uint32(a[1])
	case KindFileMount:
		ev.setPath(slots)
		ev.MountSource = slots[slotPath2]
		ev.MountFSType = slots[slotX]
		ev.Flags = a[0]
	case KindFileMemfdCreate:
		ev.Name = slots[slotX]
		ev.Flags = a[0]
	case KindFdDup:
		ev.OldFD = int32(a[0])
		ev.NewFD = int32(a[1])
		ev.Flags = a[2]
		ev.FDType = fdTypeOf(uint32(a[3]), uint32(a[4]))
		ev.Peer = parseSockaddr(slots[slotX])
	case KindNetworkSocket:
		ev.Family = uint16(a[0])
		ev.SockType = uint16(a[1] & 0xff)
		ev.Protocol = uint16(a[2])
		ev.Flags = a[1] &^ 0xff
	case KindNetworkConnect, KindNetworkAccept, KindNetworkBind, KindNetworkListen, KindNetworkSend:
		ev.FD = int32(a[0])
		ev.Family = uint16(a[1])
		ev.SockType = uint16(a[2])
		ev.Protocol = uint16(a[3])
		switch kind {
		case KindNetworkListen:
			ev.Backlog = int32(a[4])
		case KindNetworkAccept, KindNetworkSend:
			ev.Flags = a[4]
		}
		ev.Peer = parseSockaddr(slots[slotX])
		ev.Local = parseSockaddr(slots[slotY])
	case KindPrivilegeSetuid, KindPrivilegeSetgid:
		ev.IDs = [3]uint32{uint32(a[0]), uint32(a[1]), uint32(a[2])}
		ev.OldID = uint32(a[3])
		ev.OldEID = uint32(a[4])
		ev.NArgs = uint8(a[5])
		ev.OldCredsUnknown = le.Uint16(raw[offHFlags:])&hflagOldUnknown != 0
	case KindPrivilegeCapset:
		ev.CapEffective, ev.CapPermitted, ev.CapInheritable = a[0], a[1], a[2]
		ev.CapOldEffective, ev.CapOldPermitted = a[3], a[4]
		ev.OldCredsUnknown = le.Uint16(raw[offHFlags:])&hflagOldUnknown != 0
	case KindNamespaceSetns:
		ev.FD = int32(a[0])
		ev.Flags = a[1]
	case KindNamespaceUnshare:
		ev.Flags = a[0]
	case KindKernelModuleLoad:
		ev.setPath(slots)
		ev.FD = int32(a[0])
		ev.Flags = a[1]
		ev.ModuleArgs = slots[slotX]
	case KindKernelModuleUnload:
		ev.Flags = a[0]
		ev.Name = slots[slotX]
	case KindKernelBPF:
		ev.BPFCmd = uint32(a[0])
		ev.BPFType = uint32(a[1])
		ev.Name = slots[slotX]
	}
	return nil
}

func (e *Event) setPath(s [NumSlots]Str) {
	e.Path, e.PathBase = s[slotPath], s[slotPathBase]
}

// Address families (linux values).
const (
	AFUnix  = 1
	AFInet  = 2
	AFInet6 = 10
)

// parseSockaddr reads a struct sockaddr as the kernel lays it out (family in host order, port
// in network order). Anything it cannot read yields an address with only Family set.
func parseSockaddr(s Str) Sockaddr {
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
