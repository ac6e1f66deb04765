package record

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/proctable"
)

// FuzzBuild feeds hostile events of every kind through Prepare and Fill: no panic, every
// string attribute valid UTF-8, file paths absolute when the kernel gave an absolute base,
// the process table stays within its bound, and the view of each record (what the rules
// prefilter reads) holds exactly the record's attributes.
func FuzzBuild(f *testing.F) {
	f.Add(uint16(kevent.KindFileOpen), int64(3), uint64(0o101), uint32(0o644), "../x//y", "/etc", "", uint16(2), uint32(100), uint32(50), uint32(7))
	f.Add(uint16(kevent.KindProcessExec), int64(0), uint64(0), uint32(0), "/bin/sh", "", "sh\x00-c\x00\xff\xfe", uint16(0), uint32(200), uint32(100), uint32(0))
	f.Add(uint16(kevent.KindNetworkConnect), int64(-115), uint64(0), uint32(0), "", "", "\x00abs", uint16(1), uint32(100), uint32(50), uint32(0))
	f.Add(uint16(kevent.KindProcessFork), int64(0), uint64(0), uint32(0), "", "", "", uint16(0), uint32(100), uint32(100), uint32(101))
	f.Add(uint16(kevent.KindProcessExit), int64(0), uint64(0), uint32(0x7f), "", "", "", uint16(0), uint32(100), uint32(0), uint32(0))
	f.Fuzz(func(t *testing.T, kind uint16, ret int64, flags uint64, mode uint32, p, base, s string, fam uint16, pid, ppid, extra uint32) {
		tb := proctable.New(proctable.Options{Capacity: 8, ProcRoot: t.TempDir(), ExitGraceNs: 1})
		b := New(Options{Table: tb})
		ev := &kevent.Event{
			Kind: kevent.Kind(kind % 32), Syscall: uint16(extra), Ret: ret, BootNs: uint64(extra),
			PID: pid, TID: pid, PPID: ppid, UID: extra, EUID: extra,
			Path: kevent.Str{B: []byte(p), Truncated: extra&1 != 0}, PathBase: kevent.Str{B: []byte(base)},
			Path2: kevent.Str{B: []byte(s)}, Path2Base: kevent.Str{B: []byte(base)},
			Argv: kevent.Str{B: []byte(s)}, ArgCount: extra, Cwd: kevent.Str{B: []byte(base)}, Cgroup: kevent.Str{B: []byte(s)},
			ChildPID: extra, ExitStatus: mode, PtraceRequest: ret, TargetPID: int32(extra),
			Flags: flags, Mode: mode, OwnerUID: extra, OwnerGID: mode,
			SymlinkTarget: kevent.Str{B: []byte(s)}, Name: kevent.Str{B: []byte(s)},
			MountSource: kevent.Str{B: []byte(p)}, MountFSType: kevent.Str{B: []byte(s)},
			OldFD: int32(extra), NewFD: int32(mode), FDType: kevent.FDType(extra % 12),
			Family: fam, SockType: uint16(flags), Protocol: uint16(mode),
			Peer:  kevent.Sockaddr{Family: fam, Port: uint16(extra), IP: netip.AddrFrom4([4]byte{127, 0, 0, 1}), Path: kevent.Str{B: []byte(s)}},
			Local: kevent.Sockaddr{Family: fam, Path: kevent.Str{B: []byte(p)}},
			IDs:   [3]uint32{extra, mode, pid}, NArgs: uint8(extra % 5),
			CapEffective: flags, CapOldEffective: uint64(mode), BPFCmd: extra % 40, BPFType: mode % 40,
		}
		var sink recordingSink
		for range 3 {
			lr := plog.NewLogRecord()
			b.Build(ev, lr, 1)
			b.filler.View(&b.job, &sink)
			if got, want := sink.attrs, lr.Attributes().AsRaw(); !reflect.DeepEqual(got, want) || sink.event != lr.EventName() {
				t.Fatalf("the view of a record differs from it:\nview   %s %v\nrecord %s %v", sink.event, got, lr.EventName(), want)
			}
			lr.Attributes().Range(func(k string, v pcommon.Value) bool {
				switch v.Type() {
				case pcommon.ValueTypeStr:
					if !utf8.ValidString(v.Str()) {
						t.Fatalf("%s is not valid UTF-8: %q", k, v.Str())
					}
				case pcommon.ValueTypeSlice:
					for i := 0; i < v.Slice().Len(); i++ {
						if !utf8.ValidString(v.Slice().At(i).AsString()) {
							t.Fatalf("%s[%d] is not valid UTF-8", k, i)
						}
					}
				}
				return true
			})
			if fp, ok := lr.Attributes().Get(schema.AttrFilePath); ok && strings.HasPrefix(base, "/") && !strings.HasPrefix(fp.Str(), "/") {
				t.Fatalf("file.path %q not absolute with base %q", fp.Str(), base)
			}
			tb.Sweep(int64(extra) + 10)
			if tb.Len() > 8 {
				t.Fatalf("table holds %d > 8", tb.Len())
			}
			ev.PID, ev.PPID = ev.PPID, ev.ChildPID
		}
	})
}

// recordingSink keeps what a View gives, as AsRaw has a record's attributes.
type recordingSink struct {
	event string
	attrs map[string]any
	list  string
}

func (s *recordingSink) Begin(event string)    { s.event, s.attrs, s.list = event, map[string]any{}, "" }
func (s *recordingSink) Str(k, v string)       { s.attrs[k], s.list = strings.Clone(v), "" }
func (s *recordingSink) Int(k string, v int64) { s.attrs[k], s.list = v, "" }
func (s *recordingSink) Bool(k string, v bool) { s.attrs[k], s.list = v, "" }
func (s *recordingSink) List(k string)         { s.attrs[k], s.list = []any{}, k }
func (s *recordingSink) Elem(v string) {
	s.attrs[s.list] = append(s.attrs[s.list].([]any), strings.Clone(v))
}
