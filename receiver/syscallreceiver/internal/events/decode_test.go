package events

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/otelsec/otelsec/bpf"
	"github.com/otelsec/otelsec/internal/capability"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

// rec builds a raw record: the kernel's header struct as bpf2go generates it from the C,
// written as the kernel writes it, followed by the strings.
type rec struct {
	kind             kevent.Kind
	nr               uint16
	ret              int64
	ts               uint64
	a                [6]uint64
	pid, tid, ppid   uint32
	uid, euid        uint32
	gid, egid        uint32
	slots            [kevent.NumSlots]string
	trunc, hflags    uint16
	magic            uint16
	loginuid         uint32
	capEff, capPerm  uint64
	comm             string
	lieAboutSlotLens int // added to the last slot's declared length
}

func (r rec) bytes() []byte {
	h := bpf.OtelsecRecHdr{
		Ts: r.ts, Ret: r.ret, A: r.a, Pid: r.pid, Tid: r.tid, Ppid: r.ppid,
		Uid: r.uid, Euid: r.euid, Gid: r.gid, Egid: r.egid,
		Kind: uint16(r.kind), Nr: r.nr, Trunc: r.trunc, Hflags: r.hflags, Magic: r.magic,
		Loginuid: r.loginuid, CapEff: r.capEff, CapPerm: r.capPerm,
	}
	for i := 0; i < len(r.comm) && i < len(h.Comm); i++ {
		h.Comm[i] = int8(r.comm[i])
	}
	if h.Magic == 0 {
		h.Magic = kevent.Magic
	}
	for i, s := range r.slots {
		n := len(s)
		if i == kevent.NumSlots-1 {
			n += r.lieAboutSlotLens
		}
		h.Slen[i] = uint16(n)
	}
	var b bytes.Buffer
	if err := binary.Write(&b, binary.LittleEndian, &h); err != nil {
		panic(err)
	}
	for _, s := range r.slots {
		b.WriteString(s)
	}
	return b.Bytes()
}

// The header's thread fields, and what process.exec adds: comm (a full 16 bytes has no NUL),
// login uid, capabilities; vpid and where the executable lives.
func TestDecodeThreadAndExec(t *testing.T) {
	raw := rec{kind: kevent.KindProcessExec, nr: 59, pid: 900, tid: 900, a: [6]uint64{2, ^uint64(99), 1},
		hflags: kevent.HFlagExeUpper, loginuid: 1000, capEff: 1 << 21, capPerm: 1<<21 | 1<<16, comm: "backup.sh",
		slots: [kevent.NumSlots]string{"/usr/bin/dash", "/srv", "/srv/backup.sh", "", "sh\x00backup.sh\x00", ""}}.bytes()
	var ev kevent.Event
	if err := Decode(raw, &ev); err != nil {
		t.Fatal(err)
	}
	if string(ev.CommBytes()) != "backup.sh" || ev.LoginUID != 1000 || ev.ThreadCapEffective != 1<<21 || ev.ThreadCapPermitted != 1<<21|1<<16 {
		t.Errorf("comm %q loginuid %d caps %#x %#x", ev.CommBytes(), ev.LoginUID, ev.ThreadCapEffective, ev.ThreadCapPermitted)
	}
	if ev.VPID != 1 || !ev.ExeUpperLayer || ev.ExeFromMemfd {
		t.Errorf("vpid %d upper %v memfd %v", ev.VPID, ev.ExeUpperLayer, ev.ExeFromMemfd)
	}
	full := rec{kind: kevent.KindFileOpen, comm: "0123456789abcdef"}.bytes()
	if err := Decode(full, &ev); err != nil || string(ev.CommBytes()) != "0123456789abcdef" {
		t.Errorf("a comm without NUL: %q %v", ev.CommBytes(), err)
	}
}

func TestDecodeOpenat(t *testing.T) {
	raw := rec{
		kind: kevent.KindFileOpen, nr: 257, ret: 3, ts: 42,
		a:   [6]uint64{uint64(0xffffffffffffff9c), 0o1101, 0o640},
		pid: 10, tid: 11, ppid: 1, uid: 1000, euid: 0, gid: 5, egid: 6,
		slots: [kevent.NumSlots]string{"rel/x", "/home/u"}, trunc: 1 << 1, hflags: kevent.HFlagTTY,
	}.bytes()
	var ev kevent.Event
	if err := Decode(raw, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Kind != kevent.KindFileOpen || Name(ev.Kind) != "file.open" || ev.SyscallName() != "openat" || ev.Ret != 3 || ev.BootNs != 42 {
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
	rest := kevent.FlagNames(ev.Flags, kevent.OpenFlags, func(n string) { names = append(names, n) })
	if kevent.OpenAccMode(ev.Flags) != "O_WRONLY" || strings.Join(names, ",") != "O_CREAT,O_TRUNC" || rest != 1 {
		t.Errorf("flags %s %v rest %d", kevent.OpenAccMode(ev.Flags), names, rest)
	}
	if ev.Errno() != 0 || ev.ErrorName() != "" {
		t.Errorf("errno on success")
	}
}

func TestDecodeKinds(t *testing.T) {
	var ev kevent.Event
	dec := func(r rec) *kevent.Event {
		t.Helper()
		if err := Decode(r.bytes(), &ev); err != nil {
			t.Fatal(err)
		}
		return &ev
	}
	e := dec(rec{kind: kevent.KindProcessExec, nr: 59, slots: [kevent.NumSlots]string{"/usr/bin/dash", "/root", "/bin/sh", "A=1\x00B=2\x00", "sh\x00-c\x00", "system.slice/docker-" + strings.Repeat("ab", 32) + ".scope"}, a: [6]uint64{2}})
	if string(e.Env.B) != "A=1\x00B=2\x00" || !e.Path2Base.Empty() {
		t.Errorf("environment %q, path2 base %q", e.Env.B, e.Path2Base.B)
	}
	if string(e.Path.B) != "/usr/bin/dash" || string(e.Cwd.B) != "/root" || !e.PathBase.Empty() || string(e.Path2.B) != "/bin/sh" || e.ArgCount != 2 {
		t.Errorf("exec %+v", e)
	}
	if string(e.Cgroup.B) != "system.slice/docker-"+strings.Repeat("ab", 32)+".scope" {
		t.Errorf("cgroup %q", e.Cgroup.B)
	}
	e = dec(rec{kind: kevent.KindProcessExec, nr: 59, ret: -2, slots: [kevent.NumSlots]string{"x", "/cwd"}})
	if string(e.PathBase.B) != "/cwd" || !e.Cwd.Empty() || !e.Env.Empty() || e.ErrorName() != "ENOENT" {
		t.Errorf("failed exec %+v", e)
	}
	e = dec(rec{kind: kevent.KindProcessExit, nr: kevent.NoSyscall, a: [6]uint64{9}})
	if code, sig := e.ExitCode(); code != 137 || sig != 9 || e.SyscallName() != "" {
		t.Errorf("exit %d %d", code, sig)
	}
	v6 := make([]byte, 28)
	binary.LittleEndian.PutUint16(v6, kevent.AFInet6)
	binary.BigEndian.PutUint16(v6[2:], 443)
	copy(v6[8:], netip.MustParseAddr("2001:db8::1").AsSlice())
	v4 := []byte{2, 0, 0x1f, 0x90, 10, 0, 0, 1}
	e = dec(rec{kind: kevent.KindNetworkAccept, nr: 43, ret: 5, a: [6]uint64{3, kevent.AFInet6, 1, 6, 0x800}, slots: [kevent.NumSlots]string{4: string(v6), 5: string(v4)}})
	if e.Peer.IP.String() != "2001:db8::1" || e.Peer.Port != 443 || e.Local.IP.String() != "10.0.0.1" || e.Local.Port != 8080 || e.Flags != 0x800 {
		t.Errorf("accept peer %+v local %+v", e.Peer, e.Local)
	}
	if kevent.Transport(e.Family, e.SockType, e.Protocol) != "tcp" || kevent.NetworkType(e.Family) != "ipv6" {
		t.Errorf("transport")
	}
	e = dec(rec{kind: kevent.KindNetworkConnect, nr: 42, a: [6]uint64{3, kevent.AFUnix, 1}, slots: [kevent.NumSlots]string{4: "\x01\x00/run/x.sock\x00junk"}})
	if string(e.Peer.Path.B) != "/run/x.sock" || kevent.Transport(e.Family, e.SockType, e.Protocol) != "unix" {
		t.Errorf("unix peer %q", e.Peer.Path.B)
	}
	e = dec(rec{kind: kevent.KindNetworkConnect, slots: [kevent.NumSlots]string{4: "\x02\x00\x01"}}) // short inet
	if e.Peer.Family != kevent.AFInet || e.Peer.IP.IsValid() {
		t.Errorf("short sockaddr %+v", e.Peer)
	}
	e = dec(rec{kind: kevent.KindFdDup, nr: 33, a: [6]uint64{3, 0, 0, 0o140777}})
	if e.FDType.String() != "socket" || e.NewFD != 0 {
		t.Errorf("dup %s", e.FDType)
	}
	e = dec(rec{kind: kevent.KindFdDup, a: [6]uint64{3, 1, 0, 0o20620, 136 << 20}})
	if e.FDType != kevent.FDTTY {
		t.Errorf("pts is %s", e.FDType)
	}
	e = dec(rec{kind: kevent.KindPrivilegeSetuid, a: [6]uint64{0xffffffff, 0, 0xffffffff, 1000, 1000, 3}})
	if id, ok := e.TargetID(); !ok || id != 0 || e.OldEID != 1000 {
		t.Errorf("setresuid target %d %v", id, ok)
	}
	e = dec(rec{kind: kevent.KindPrivilegeCapset, a: [6]uint64{1<<21 | 1, 0, 0, 1, 1}})
	var caps []string
	capability.Names(e.CapAdded(), func(n string) { caps = append(caps, n) })
	if len(caps) != 1 || caps[0] != "CAP_SYS_ADMIN" {
		t.Errorf("caps added %v", caps)
	}
	e = dec(rec{kind: kevent.KindKernelBPF, a: [6]uint64{5, 2}, slots: [kevent.NumSlots]string{4: "prog"}})
	if kevent.BPFCommandName(e.BPFCmd) != "BPF_PROG_LOAD" || kevent.BPFProgTypeName(e.BPFType) != "BPF_PROG_TYPE_KPROBE" || string(e.Name.B) != "prog" {
		t.Errorf("bpf %d %d", e.BPFCmd, e.BPFType)
	}
	e = dec(rec{kind: kevent.KindNamespaceUnshare, a: [6]uint64{0x10020000}})
	var ns []string
	kevent.FlagNames(e.Flags, kevent.NamespaceFlags, func(n string) { ns = append(ns, n) })
	if strings.Join(ns, ",") != "CLONE_NEWNS,CLONE_NEWUSER" {
		t.Errorf("ns flags %v", ns)
	}
}

func TestDecodeMalformed(t *testing.T) {
	good := rec{kind: kevent.KindFileOpen, slots: [kevent.NumSlots]string{"/a"}}.bytes()
	var ev kevent.Event
	for name, tc := range map[string]struct {
		raw  []byte
		want error
	}{
		"empty":          {nil, kevent.ErrShort},
		"short header":   {good[:kevent.HeaderSize-1], kevent.ErrShort},
		"cut string":     {good[:len(good)-1], kevent.ErrOverflow},
		"lying length":   {rec{kind: kevent.KindFileOpen, lieAboutSlotLens: 100}.bytes(), kevent.ErrOverflow},
		"huge length":    {rec{kind: kevent.KindFileOpen, lieAboutSlotLens: 65535}.bytes(), kevent.ErrOverflow},
		"wrong magic":    {rec{kind: kevent.KindFileOpen, magic: 0xbeef}.bytes(), kevent.ErrMagic},
		"kind zero":      {rec{kind: 0}.bytes(), ErrKind},
		"kind too large": {rec{kind: 999}.bytes(), ErrKind},
	} {
		if err := Decode(tc.raw, &ev); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
		if ev.Kind != kevent.KindInvalid {
			t.Errorf("%s: a failed decode left kind %v", name, ev.Kind)
		}
	}
	// Trailing padding (the ring rounds records to 8 bytes) is accepted.
	if err := Decode(append(good, 0, 0, 0), &ev); err != nil {
		t.Errorf("padding: %v", err)
	}
}

func TestNonUTF8(t *testing.T) {
	raw := rec{kind: kevent.KindFileOpen, slots: [kevent.NumSlots]string{"/tmp/\xff\xfe\xc3"}, trunc: 1}.bytes()
	var ev kevent.Event
	if err := Decode(raw, &ev); err != nil {
		t.Fatal(err)
	}
	s := ev.Path.String()
	if !utf8.ValidString(s) || !strings.HasPrefix(s, "/tmp/") || !ev.Path.Truncated {
		t.Errorf("sanitized %q", s)
	}
}

func TestDecodeAllocs(t *testing.T) {
	raw := rec{kind: kevent.KindNetworkConnect, slots: [kevent.NumSlots]string{4: "\x02\x00\x00\x50\x7f\x00\x00\x01"}}.bytes()
	var (
		ev kevent.Event
		d  Decoder
	)
	if n := testing.AllocsPerRun(100, func() { _ = d.Decode(raw, &ev) }); n != 0 {
		t.Errorf("Decode allocates %v times", n)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(rec{kind: kevent.KindFileOpen, slots: [kevent.NumSlots]string{"rel", "/base"}}.bytes())
	f.Add(rec{kind: kevent.KindProcessExec, slots: [kevent.NumSlots]string{"/bin/x", "/", "x", "", "a\x00b", "docker/x"}}.bytes())
	f.Add(rec{kind: kevent.KindNetworkAccept, slots: [kevent.NumSlots]string{4: "\x0a\x00\x01\xbb", 5: "\x01\x00\x00abstract"}}.bytes())
	f.Add(rec{kind: kevent.KindFdDup, a: [6]uint64{1, 2, 3, 0o20620, 4 << 20}}.bytes())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		var ev kevent.Event
		if err := Decode(raw, &ev); err != nil {
			return
		}
		total := 0
		for _, s := range []kevent.Str{ev.Path, ev.PathBase, ev.Path2, ev.Path2Base, ev.Argv, ev.Cwd, ev.Cgroup, ev.SymlinkTarget, ev.Name, ev.MountSource, ev.MountFSType, ev.ModuleArgs} {
			total += len(s.B)
			if !utf8.ValidString(s.String()) {
				t.Fatal("String() returned invalid UTF-8")
			}
		}
		if total > len(raw)-kevent.HeaderSize {
			t.Fatalf("strings (%d bytes) exceed the record (%d)", total, len(raw))
		}
		kevent.Args(ev.Argv.B, 10, func([]byte) {})
		_ = Name(ev.Kind)
		_, _ = ev.ExitCode()
		_ = ev.ErrorName()
		_ = ev.SyscallName()
		_ = ev.FDType.String()
		_ = ev.Peer.IP.String()
	})
}

// BenchmarkDecode is the userspace cost of decoding one record (an openat with its path).
func BenchmarkDecode(b *testing.B) {
	raw := rec{kind: kevent.KindFileOpen, nr: 257, ret: 3, slots: [kevent.NumSlots]string{"/usr/lib/x86_64-linux-gnu/libc.so.6"}}.bytes()
	var ev kevent.Event
	for b.Loop() {
		if err := Decode(raw, &ev); err != nil {
			b.Fatal(err)
		}
	}
}
