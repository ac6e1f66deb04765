package kevent

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"unicode/utf8"
)

// rec builds a raw record the way bpf/headers/record.h lays it out.
type rec struct {
	kind             Kind
	nr               uint16
	ret              int64
	ts               uint64
	a                [6]uint64
	pid, tid, ppid   uint32
	uid, euid        uint32
	gid, egid        uint32
	slots            [NumSlots]string
	trunc, hflags    uint16
	magic            uint16
	lieAboutSlotLens int // added to the last slot's declared length
}

func (r rec) bytes() []byte {
	b := make([]byte, HeaderSize)
	le := binary.LittleEndian
	le.PutUint64(b[offTS:], r.ts)
	le.PutUint64(b[offRet:], uint64(r.ret))
	for i, v := range r.a {
		le.PutUint64(b[offA+8*i:], v)
	}
	for off, v := range map[int]uint32{offPID: r.pid, offTID: r.tid, offPPID: r.ppid, offUID: r.uid, offEUID: r.euid, offGID: r.gid, offEGID: r.egid} {
		le.PutUint32(b[off:], v)
	}
	le.PutUint16(b[offKind:], uint16(r.kind))
	le.PutUint16(b[offNr:], r.nr)
	for i, s := range r.slots {
		n := len(s)
		if i == NumSlots-1 {
			n += r.lieAboutSlotLens
		}
		le.PutUint16(b[offSlen+2*i:], uint16(n))
	}
	le.PutUint16(b[offTrunc:], r.trunc)
	le.PutUint16(b[offHFlags:], r.hflags)
	m := r.magic
	if m == 0 {
		m = Magic
	}
	le.PutUint16(b[offMagic:], m)
	for _, s := range r.slots {
		b = append(b, s...)
	}
	return b
}

func TestDecodeOpenat(t *testing.T) {
	raw := rec{
		kind: KindFileOpen, nr: 257, ret: 3, ts: 42,
		a:   [6]uint64{uint64(0xffffffffffffff9c), 0o1101, 0o640},
		pid: 10, tid: 11, ppid: 1, uid: 1000, euid: 0, gid: 5, egid: 6,
		slots: [NumSlots]string{"rel/x", "/home/u"}, trunc: 1 << 1, hflags: hflagTTY,
	}.bytes()
	var ev Event
	if err := Decode(raw, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Kind != KindFileOpen || ev.Kind.EventName() != "file.open" || ev.SyscallName() != "openat" || ev.Ret != 3 || ev.BootNs != 42 {
		t.Errorf("header %+v", ev)
	}
	if ev.PID != 10 || ev.TID != 11 || ev.PPID != 1 || ev.UID != 1000 || ev.EUID != 0 || ev.GID != 5 || ev.EGID != 6 || !ev.TTY {
		t.Errorf("ids %+v", ev)
	}
	if ev.DirFD != -100 || ev.Flags != 0o1101 || ev.Mode != 0o640 || ev.FD != -1 {
		t.Errorf("args dirfd %d flags %o mode %o fd %d", ev.DirFD, ev.Flags, ev.Mode, ev.FD)
	}
	if string(ev.Path.B) != "rel/x" || ev.Path.Truncated || string(ev.PathBase.B) != "/home/u" || !ev.PathBase.Truncated {
		t.Errorf("paths %q %v %q %v", ev.Path.B, ev.Path.Truncated, ev.PathBase.B, ev.PathBase.Truncated)
	}
	var names []string
	rest := FlagNames(ev.Flags, OpenFlags, func(n string) { names = append(names, n) })
	if OpenAccMode(ev.Flags) != "O_WRONLY" || strings.Join(names, ",") != "O_CREAT,O_TRUNC" || rest != 1 {
		t.Errorf("flags %s %v rest %d", OpenAccMode(ev.Flags), names, rest)
	}
	if ev.Errno() != 0 || ev.ErrorName() != "" {
		t.Errorf("errno on success")
	}
}

func TestDecodeKinds(t *testing.T) {
	var ev Event
	dec := func(r rec) *Event {
		t.Helper()
		if err := Decode(r.bytes(), &ev); err != nil {
			t.Fatal(err)
		}
		return &ev
	}
	e := dec(rec{kind: KindProcessExec, nr: 59, slots: [NumSlots]string{"/usr/bin/dash", "/root", "/bin/sh", "", "sh\x00-c\x00", "system.slice/docker-" + strings.Repeat("ab", 32) + ".scope"}, a: [6]uint64{2}})
	if string(e.Path.B) != "/usr/bin/dash" || string(e.Cwd.B) != "/root" || !e.PathBase.Empty() || string(e.Path2.B) != "/bin/sh" || e.ArgCount != 2 {
		t.Errorf("exec %+v", e)
	}
	if string(e.Cgroup.B) != "system.slice/docker-"+strings.Repeat("ab", 32)+".scope" {
		t.Errorf("cgroup %q", e.Cgroup.B)
	}
	e = dec(rec{kind: KindProcessExec, nr: 59, ret: -2, slots: [NumSlots]string{"x", "/cwd"}})
	if string(e.PathBase.B) != "/cwd" || !e.Cwd.Empty() || e.ErrorName() != "ENOENT" {
		t.Errorf("failed exec %+v", e)
	}
	e = dec(rec{kind: KindProcessExit, nr: NoSyscall, a: [6]uint64{9}})
	if code, sig := e.ExitCode(); code != 137 || sig != 9 || e.SyscallName() != "" {
		t.Errorf("exit %d %d", code, sig)
	}
	v6 := make([]byte, 28)
	binary.LittleEndian.PutUint16(v6, AFInet6)
	binary.BigEndian.PutUint16(v6[2:], 443)
	copy(v6[8:], netip.MustParseAddr("2001:db8::1").AsSlice())
	v4 := []byte{2, 0, 0x1f, 0x90, 10, 0, 0, 1}
	e = dec(rec{kind: KindNetworkAccept, nr: 43, ret: 5, a: [6]uint64{3, AFInet6, 1, 6, 0x800}, slots: [NumSlots]string{4: string(v6), 5: string(v4)}})
	if e.Peer.IP.String() != "2001:db8::1" || e.Peer.Port != 443 || e.Local.IP.String() != "10.0.0.1" || e.Local.Port != 8080 || e.Flags != 0x800 {
		t.Errorf("accept peer %+v local %+v", e.Peer, e.Local)
	}
	if Transport(e.Family, e.SockType, e.Protocol) != "tcp" || NetworkType(e.Family) != "ipv6" {
		t.Errorf("transport")
	}
	e = dec(rec{kind: KindNetworkConnect, nr: 42, a: [6]uint64{3, AFUnix, 1}, slots: [NumSlots]string{4: "\x01\x00/run/x.sock\x00junk"}})
	if string(e.Peer.Path.B) != "/run/x.sock" || Transport(e.Family, e.SockType, e.Protocol) != "unix" {
		t.Errorf("unix peer %q", e.Peer.Path.B)
	}
	e = dec(rec{kind: KindNetworkConnect, slots: [NumSlots]string{4: "\x02\x00\x01"}}) // short inet
	if e.Peer.Family != AFInet || e.Peer.IP.IsValid() {
		t.Errorf("short sockaddr %+v", e.Peer)
	}
	e = dec(rec{kind: KindFdDup, nr: 33, a: [6]uint64{3, 0, 0, 0o140777}})
	if e.FDType.String() != "socket" || e.NewFD != 0 {
		t.Errorf("dup %s", e.FDType)
	}
	e = dec(rec{kind: KindFdDup, a: [6]uint64{3, 1, 0, 0o20620, 136 << 20}})
	if e.FDType != FDTTY {
		t.Errorf("pts is %s", e.FDType)
	}
	e = dec(rec{kind: KindPrivilegeSetuid, a: [6]uint64{0xffffffff, 0, 0xffffffff, 1000, 1000, 3}})
	if id, ok := e.TargetID(); !ok || id != 0 || e.OldEID != 1000 {
		t.Errorf("setresuid target %d %v", id, ok)
	}
	e = dec(rec{kind: KindPrivilegeCapset, a: [6]uint64{1<<21 | 1, 0, 0, 1, 1}})
	var caps []string
	CapNames(e.CapAdded(), func(n string) { caps = append(caps, n) })
	if len(caps) != 1 || caps[0] != "CAP_SYS_ADMIN" {
		t.Errorf("caps added %v", caps)
	}
	e = dec(rec{kind: KindKernelBPF, a: [6]uint64{5, 2}, slots: [NumSlots]string{4: "prog"}})
	if BPFCommandName(e.BPFCmd) != "BPF_PROG_LOAD" || BPFProgTypeName(e.BPFType) != "BPF_PROG_TYPE_KPROBE" || string(e.Name.B) != "prog" {
		t.Errorf("bpf %d %d", e.BPFCmd, e.BPFType)
	}
	e = dec(rec{kind: KindNamespaceUnshare, a: [6]uint64{0x10020000}})
	var ns []string
	FlagNames(e.Flags, NamespaceFlags, func(n string) { ns = append(ns, n) })
	if strings.Join(ns, ",") != "CLONE_NEWNS,CLONE_NEWUSER" {
		t.Errorf("ns flags %v", ns)
	}
}

func TestDecodeMalformed(t *testing.T) {
	good := rec{kind: KindFileOpen, slots: [NumSlots]string{"/a"}}.bytes()
	var ev Event
	for name, tc := range map[string]struct {
		raw  []byte
		want error
	}{
		"empty":          {nil, ErrShort},
		"short header":   {good[:HeaderSize-1], ErrShort},
		"cut string":     {good[:len(good)-1], ErrOverflow},
		"lying length":   {rec{kind: KindFileOpen, lieAboutSlotLens: 100}.bytes(), ErrOverflow},
		"huge length":    {rec{kind: KindFileOpen, lieAboutSlotLens: 65535}.bytes(), ErrOverflow},
		"wrong magic":    {rec{kind: KindFileOpen, magic: 0xbeef}.bytes(), ErrMagic},
		"kind zero":      {rec{kind: 0}.bytes(), ErrKind},
		"kind too large": {rec{kind: kindCount}.bytes(), ErrKind},
	} {
		if err := Decode(tc.raw, &ev); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
		if ev.Kind != KindInvalid {
			t.Errorf("%s: a failed decode left kind %v", name, ev.Kind)
		}
	}
	// Trailing padding (the ring rounds records to 8 bytes) is accepted.
	if err := Decode(append(good, 0, 0, 0), &ev); err != nil {
		t.Errorf("padding: %v", err)
	}
}

func TestNonUTF8(t *testing.T) {
	raw := rec{kind: KindFileOpen, slots: [NumSlots]string{"/tmp/\xff\xfe\xc3"}, trunc: 1}.bytes()
	var ev Event
	if err := Decode(raw, &ev); err != nil {
		t.Fatal(err)
	}
	s := ev.Path.String()
	if !utf8.ValidString(s) || !strings.HasPrefix(s, "/tmp/") || !ev.Path.Truncated {
		t.Errorf("sanitized %q", s)
	}
}

func TestDecodeAllocs(t *testing.T) {
	raw := rec{kind: KindNetworkConnect, slots: [NumSlots]string{4: "\x02\x00\x00\x50\x7f\x00\x00\x01"}}.bytes()
	var ev Event
	if n := testing.AllocsPerRun(100, func() { _ = Decode(raw, &ev) }); n != 0 {
		t.Errorf("Decode allocates %v times", n)
	}
}

func TestHelpers(t *testing.T) {
	var got []string
	n := Args([]byte("a\x00\x00b\x00c"), 0, func(a []byte) { got = append(got, string(a)) })
	if n != 4 || strings.Join(got, "|") != "a||b|c" {
		t.Errorf("Args %d %q", n, got)
	}
	got = nil
	if n := Args([]byte("a\x00b\x00c\x00"), 2, func(a []byte) { got = append(got, string(a)) }); n != 2 {
		t.Errorf("Args max %d %q", n, got)
	}
	for m, want := range map[uint32]string{0o644: "0644", 0o4755: "04755", 0: "0000", 0o7: "0007"} {
		if got := Mode(m); got != want {
			t.Errorf("Mode(%o) = %q, want %q", m, got, want)
		}
	}
	if ErrnoName(2) != "ENOENT" || ErrnoName(13) != "EACCES" || ErrnoName(9999) != "E9999" || ErrnoName(0) != "" {
		t.Error("errno names")
	}
	if SyscallName(257) != "openat" || SyscallName(59) != "execve" || SyscallName(452) != "fchmodat2" || SyscallName(NoSyscall) != "" {
		t.Error("syscall names")
	}
	if PtraceRequestName(16) != "PTRACE_ATTACH" || PtraceRequestName(0x4206) != "PTRACE_SEIZE" || PtraceRequestName(999) != "PTRACE_999" {
		t.Error("ptrace names")
	}
	for k := KindProcessExec; k < kindCount; k++ {
		if KindOf(k.EventName()) != k {
			t.Errorf("kind %d round trip", k)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(rec{kind: KindFileOpen, slots: [NumSlots]string{"rel", "/base"}}.bytes())
	f.Add(rec{kind: KindProcessExec, slots: [NumSlots]string{"/bin/x", "/", "x", "", "a\x00b", "docker/x"}}.bytes())
	f.Add(rec{kind: KindNetworkAccept, slots: [NumSlots]string{4: "\x0a\x00\x01\xbb", 5: "\x01\x00\x00abstract"}}.bytes())
	f.Add(rec{kind: KindFdDup, a: [6]uint64{1, 2, 3, 0o20620, 4 << 20}}.bytes())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		var ev Event
		if err := Decode(raw, &ev); err != nil {
			return
		}
		total := 0
		for _, s := range []Str{ev.Path, ev.PathBase, ev.Path2, ev.Path2Base, ev.Argv, ev.Cwd, ev.Cgroup, ev.SymlinkTarget, ev.Name, ev.MountSource, ev.MountFSType, ev.ModuleArgs} {
			total += len(s.B)
			if !utf8.ValidString(s.String()) {
				t.Fatal("String() returned invalid UTF-8")
			}
		}
		if total > len(raw)-HeaderSize {
			t.Fatalf("strings (%d bytes) exceed the record (%d)", total, len(raw))
		}
		Args(ev.Argv.B, 10, func([]byte) {})
		_ = ev.Kind.EventName()
		_, _ = ev.ExitCode()
		_ = ev.ErrorName()
		_ = ev.SyscallName()
		_ = ev.FDType.String()
		_ = ev.Peer.IP.String()
	})
}

// BenchmarkDecode is the userspace cost of decoding one record (an openat with its path).
func BenchmarkDecode(b *testing.B) {
	raw := rec{kind: KindFileOpen, nr: 257, ret: 3, slots: [NumSlots]string{"/usr/lib/x86_64-linux-gnu/libc.so.6"}}.bytes()
	var ev Event
	for b.Loop() {
		if err := Decode(raw, &ev); err != nil {
			b.Fatal(err)
		}
	}
}
