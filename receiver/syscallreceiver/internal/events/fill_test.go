package events

import (
	"net/netip"
	"slices"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

// checkFill fills ev with its spec and holds the result to the description: only the spec's
// attributes (and otelsec.truncated), each of its contract type, each once.
func checkFill(t *testing.T, a *Attrs, ev *kevent.Event) {
	t.Helper()
	s := Of(ev.Kind)
	a.Reset()
	s.Fill(a, ev)
	a.Finish()
	a.Each(func(key string, typ schema.Type) {
		if key != schema.AttrTruncated && !slices.Contains(s.Attrs, key) {
			t.Errorf("%s put %s, which its spec does not list", s.Name, key)
		}
		if want := schema.Types[key]; typ != want {
			t.Errorf("%s put %s as %s, the contract says %s", s.Name, key, typ, want)
		}
	})
	m := pcommon.NewMap()
	a.CopyTo(m)
	if m.Len() != a.Len() {
		t.Errorf("%s put an attribute twice: %d collected, %d in the map", s.Name, a.Len(), m.Len())
	}
}

// hostile is an event of kind k whose every field is set from the fuzzer's values.
func hostile(k kevent.Kind, ret int64, flags uint64, n uint32, p, s string, fam uint16, trunc bool) *kevent.Event {
	str := func(v string) kevent.Str { return kevent.Str{B: []byte(v), Truncated: trunc} }
	return &kevent.Event{
		Kind: k, Syscall: uint16(n), Ret: ret, PID: n, TID: n, PPID: n,
		Path: str(p), PathBase: str(s), Path2: str(s), Path2Base: str(p),
		Argv: str(s), ArgCount: n, Cwd: str(p), Cgroup: str(s),
		ChildPID: n, ExitStatus: n, PtraceRequest: ret, TargetPID: int32(n), PtraceAddr: flags,
		Flags: flags, Mode: n, OwnerUID: n, OwnerGID: uint32(flags),
		SymlinkTarget: str(s), Name: str(p), MountSource: str(s), MountFSType: str(p), ModuleArgs: str(s),
		OldFD: int32(n), NewFD: int32(ret), FDType: kevent.FDType(n % 12),
		Family: fam, SockType: uint16(flags), Protocol: uint16(n), Backlog: int32(n),
		Peer:  kevent.Sockaddr{Family: fam, Port: uint16(n), IP: netip.AddrFrom4([4]byte{10, 0, 0, byte(n)}), Path: str(s)},
		Local: kevent.Sockaddr{Family: uint16(n), Path: str(p)},
		IDs:   [3]uint32{n, uint32(flags), uint32(ret)}, NArgs: uint8(n % 4),
		OldID: n, OldEID: uint32(flags), OldCredsUnknown: trunc,
		CapEffective: flags, CapPermitted: uint64(n), CapOldEffective: uint64(ret),
		BPFCmd: n % 40, BPFType: uint32(flags % 40),
	}
}

func TestFillKeepsToTheSpec(t *testing.T) {
	var a Attrs
	for _, s := range specs {
		for _, trunc := range []bool{false, true} {
			checkFill(t, &a, hostile(s.Kind, -2, 0o101|0x200, 5, "rel/p", "/base", kevent.AFInet, trunc))
			checkFill(t, &a, hostile(s.Kind, 0, ^uint64(0), 0, "", "", kevent.AFUnix, trunc))
		}
	}
}

func FuzzFill(f *testing.F) {
	f.Add(uint8(0), int64(-2), uint64(0o101), uint32(5), "x", "/", uint16(2), true)
	f.Add(uint8(14), int64(0), uint64(0), uint32(9), "", "\x00a", uint16(1), false)
	f.Fuzz(func(t *testing.T, i uint8, ret int64, flags uint64, n uint32, p, s string, fam uint16, trunc bool) {
		var a Attrs
		checkFill(t, &a, hostile(specs[int(i)%len(specs)].Kind, ret, flags, n, p, s, fam, trunc))
	})
}

// Filling allocates only the strings it must make (none for an open with a cached path mode).
func BenchmarkFill(b *testing.B) {
	ev := hostile(kevent.KindFileOpen, 3, 0o101, 0o644, "/usr/lib/x86_64-linux-gnu/libc.so.6", "", 0, false)
	s := Of(ev.Kind)
	var a Attrs
	m := pcommon.NewMap()
	b.ReportAllocs()
	for b.Loop() {
		a.Reset()
		s.Fill(&a, ev)
		a.Finish()
		m.Clear()
		a.CopyTo(m)
	}
}
