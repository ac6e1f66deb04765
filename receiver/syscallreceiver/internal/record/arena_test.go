package record

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/proctable"
)

// Strings cut from an arena never change, whatever is cut after them, across blocks.
func TestArenaStringsStay(t *testing.T) {
	var a arena
	src := []byte("/var/log/app-000.log")
	var got []string
	var want []string
	for i := range 3 * arenaChunk / len(src) {
		copy(src[len(src)-7:], []byte{byte('0' + i/100%10), byte('0' + i/10%10), byte('0' + i%10)})
		got = append(got, a.string(src))
		want = append(want, string(src))
	}
	assert.Equal(t, want, got)
	assert.Equal(t, "", a.string(nil))
	assert.Equal(t, "a\uFFFDb", a.string([]byte("a\xffb")))
	big := []byte(strings.Repeat("x", arenaChunk/4+1))
	before := cap(a.buf) - len(a.buf)
	assert.Equal(t, string(big), a.string(big))
	assert.Equal(t, before, cap(a.buf)-len(a.buf), "a large string does not use the block")
}

// The common records reserve exactly their attributes: one allocation of the right size.
func TestAttrCountExact(t *testing.T) {
	b, _ := newBuilder(t)
	who := kevent.Event{PID: 100, TID: 101, PPID: 50, UID: 1000, EUID: 1000}
	listen := who
	listen.Kind, listen.Syscall, listen.Ret = kevent.KindNetworkListen, 50, -9
	connect := who
	connect.Kind, connect.Syscall, connect.Ret, connect.Family, connect.SockType = kevent.KindNetworkConnect, 42, 0, kevent.AFInet, 1
	connect.Peer = kevent.Sockaddr{Family: kevent.AFInet, Port: 443, IP: netip.MustParseAddr("192.0.2.7")}
	exec := who
	exec.Kind, exec.Syscall, exec.Ret, exec.Path, exec.Argv = kevent.KindProcessExec, 59, -2, str("./x"), str("./x\x00-v\x00")
	fork := who
	fork.Kind, fork.ChildPID = kevent.KindProcessFork, 300
	setuid := who
	setuid.Kind, setuid.Syscall, setuid.IDs, setuid.NArgs, setuid.OldID, setuid.OldEID = kevent.KindPrivilegeSetuid, 105, [3]uint32{0}, 1, 1000, 0
	setgidUnknown := who
	setgidUnknown.Kind, setgidUnknown.Syscall, setgidUnknown.IDs, setgidUnknown.NArgs = kevent.KindPrivilegeSetgid, 106, [3]uint32{0}, 1
	setgidUnknown.OldID, setgidUnknown.OldEID, setgidUnknown.OldCredsUnknown = 0xffffffff, 0xffffffff, true
	for _, ev := range []*kevent.Event{&listen, openat(), &connect, &exec, &fork, &setuid, &setgidUnknown} {
		b.Prepare(ev, &b.job, 1)
		lr := plog.NewLogRecord()
		b.filler.Fill(&b.job, lr)
		assert.Equal(t, lr.Attributes().Len(), attrCount(&b.job), "%s", ev.Kind)
	}
}

// FuzzAttrCount: attrCount never undercounts (a record outgrowing its reservation would
// reallocate), for hostile events of every kind.
func FuzzAttrCount(f *testing.F) {
	f.Add(uint16(kevent.KindFileOpen), int64(-2), uint64(0o101), "x", "/", "s", uint16(2), uint32(1), uint8(1))
	f.Add(uint16(kevent.KindFdDup), int64(0), uint64(0), "", "", "", uint16(10), uint32(9), uint8(0))
	f.Add(uint16(kevent.KindNetworkAccept), int64(-11), uint64(0), "p", "", "\x00a", uint16(1), uint32(0), uint8(3))
	f.Fuzz(func(t *testing.T, kind uint16, ret int64, flags uint64, p, base, s string, fam uint16, extra uint32, trunc uint8) {
		tb := proctable.New(proctable.Options{Capacity: 8, ProcRoot: t.TempDir()})
		tb.Exec(1, proctable.ExecInfo{ExePath: "/sbin/init", CmdLine: "init", CmdLineTruncated: trunc&4 != 0})
		tb.Exec(2, proctable.ExecInfo{PPID: 1, ExePath: "/bin/sh", CmdLine: "sh", Cwd: "/"})
		b := New(Options{Table: tb})
		ev := &kevent.Event{
			Kind: kevent.Kind(kind % 32), Syscall: uint16(extra), Ret: ret, PID: 2, TID: 2, PPID: 1,
			Path: kevent.Str{B: []byte(p), Truncated: trunc&1 != 0}, PathBase: kevent.Str{B: []byte(base)},
			Path2: kevent.Str{B: []byte(s)}, Argv: kevent.Str{B: []byte(s), Truncated: trunc&2 != 0},
			SymlinkTarget: kevent.Str{B: []byte(s)}, Name: kevent.Str{B: []byte(p)},
			MountSource: kevent.Str{B: []byte(s)}, MountFSType: kevent.Str{B: []byte(p)},
			Flags: flags, Mode: extra, FDType: kevent.FDType(extra % 12), BPFCmd: extra % 8,
			IDs: [3]uint32{extra, uint32(flags), uint32(flags >> 32)}, NArgs: uint8(fam % 4),
			OldID: extra, OldEID: uint32(ret), OldCredsUnknown: trunc&16 != 0,
			Family: fam, SockType: uint16(flags), Protocol: uint16(extra), CapEffective: flags,
			Peer:  kevent.Sockaddr{Family: fam, Port: 1, IP: netip.AddrFrom4([4]byte{10, 0, 0, 1}), Path: kevent.Str{B: []byte(s)}},
			Local: kevent.Sockaddr{Family: uint16(extra), Path: kevent.Str{B: []byte(p), Truncated: trunc&8 != 0}},
		}
		b.Prepare(ev, &b.job, 1)
		lr := plog.NewLogRecord()
		b.filler.Fill(&b.job, lr)
		require.LessOrEqual(t, lr.Attributes().Len(), attrCount(&b.job), "%s", ev.Kind)
	})
}
