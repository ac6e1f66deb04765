package events

import (
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelsec/otelsec/internal/capability"
	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

// Attrs puts the attributes of one record. Put runs the fill code twice: first counting what
// it would put (the attributes, and the elements of each list), then writing into the record's
// map, sized exactly from the count. The count comes from the same code that writes, so no
// second description of what a record holds exists, and counting is cheap: it resolves no
// path and makes no string. An Attrs is reused record after record by one goroutine; the
// strings it makes stay valid (they are cut from an arena).
//
// View runs the same fill code once more, into a Sink instead of a map: what the rules see of
// the record before it is built (ruleengine.View), from the code that builds it.
type Attrs struct {
	writing bool
	sink    Sink // viewing: writing, into the sink
	m       pcommon.Map
	n       int     // counting: attributes
	lists   []int32 // counting: the element count of each list, in order; writing: consumed
	list    int     // writing: index in lists of the list being filled
	cur     pcommon.Slice
	trunc   []string // writing: attributes cut at a bound
	ntrunc  int      // counting: how many

	strs    arena
	vstrs   []byte // viewing: the record's strings, overwritten by the next View
	scratch []byte
	pathBuf []byte
	modes   *[0o10000]string // file.mode strings, made once each
}

// Put fills m with what put puts: put must put the same attributes on both of its runs.
func (a *Attrs) Put(m pcommon.Map, put func(a *Attrs)) {
	a.writing, a.n, a.lists, a.ntrunc = false, 0, a.lists[:0], 0
	put(a)
	if a.ntrunc > 0 {
		a.n++
	}
	m.EnsureCapacity(m.Len() + a.n)
	a.writing, a.m, a.list, a.trunc = true, m, -1, a.trunc[:0]
	put(a)
	if len(a.trunc) > 0 {
		s := m.PutEmptySlice(schema.AttrTruncated)
		s.EnsureCapacity(len(a.trunc))
		for _, k := range a.trunc {
			s.AppendEmpty().SetStr(k)
		}
	}
	a.m = pcommon.Map{}
}

// Sink takes the attributes of a record that is viewed, not built.
type Sink interface {
	Str(key, v string)
	Int(key string, v int64)
	Bool(key string, v bool)
	List(key string) // Elem appends to it until the next attribute
	Elem(v string)
}

// View gives sink what Put would put into a map. The strings it gives are valid until the
// next View.
func (a *Attrs) View(sink Sink, put func(a *Attrs)) {
	a.writing, a.sink, a.vstrs, a.trunc = true, sink, a.vstrs[:0], a.trunc[:0]
	put(a)
	if len(a.trunc) > 0 {
		sink.List(schema.AttrTruncated)
		for _, k := range a.trunc {
			sink.Elem(k)
		}
	}
	a.sink = nil
}

// Counted is the number of attributes the last Put counted (tests compare it with the map).
func (a *Attrs) Counted() int { return a.n }

// Writing reports whether this is the writing run: work that only makes a value (formatting,
// resolving) can be skipped while counting.
func (a *Attrs) Writing() bool { return a.writing }

// Str puts a string attribute.
func (a *Attrs) Str(key, v string) {
	if !a.writing {
		a.n++
		return
	}
	if a.sink != nil {
		a.sink.Str(key, v)
		return
	}
	a.m.PutStr(key, v)
}

// Int puts an int attribute.
func (a *Attrs) Int(key string, v int64) {
	if !a.writing {
		a.n++
		return
	}
	if a.sink != nil {
		a.sink.Int(key, v)
		return
	}
	a.m.PutInt(key, v)
}

// Bool puts a bool attribute.
func (a *Attrs) Bool(key string, v bool) {
	if !a.writing {
		a.n++
		return
	}
	if a.sink != nil {
		a.sink.Bool(key, v)
		return
	}
	a.m.PutBool(key, v)
}

// List puts a string-list attribute; Elem appends to it until the next List.
func (a *Attrs) List(key string) {
	if !a.writing {
		a.n++
		a.lists = append(a.lists, 0)
		return
	}
	if a.sink != nil {
		a.sink.List(key)
		return
	}
	a.list++
	a.cur = a.m.PutEmptySlice(key)
	a.cur.EnsureCapacity(int(a.lists[a.list]))
}

// Elem appends one element to the list being built.
func (a *Attrs) Elem(s string) {
	if !a.writing {
		a.lists[len(a.lists)-1]++
		return
	}
	if a.sink != nil {
		a.sink.Elem(s)
		return
	}
	a.cur.AppendEmpty().SetStr(s)
}

// Truncated records that key's value was cut at a bound.
func (a *Attrs) Truncated(key string) {
	if !a.writing {
		a.ntrunc++
		return
	}
	a.trunc = append(a.trunc, key)
}

// String returns b as a string owned by the record (valid UTF-8); "" while counting.
func (a *Attrs) String(b []byte) string {
	if !a.writing {
		return ""
	}
	if a.sink != nil {
		return a.viewString(b)
	}
	return a.strs.string(b)
}

// StrField puts a string the kernel copied, unless empty, marking a cut one.
func (a *Attrs) StrField(key string, s kevent.Str) {
	if s.Empty() {
		return
	}
	a.Str(key, a.String(s.B))
	if s.Truncated {
		a.Truncated(key)
	}
}

// Path puts an absolute, lexically normalized path, resolved against the base the kernel gave.
func (a *Attrs) Path(key string, p, base kevent.Str) {
	if p.Empty() {
		return
	}
	if a.writing {
		a.pathBuf = kevent.ResolvePathBytes(a.pathBuf, p.B, base.B)
	}
	a.Str(key, a.String(a.pathBuf))
	if p.Truncated || base.Truncated {
		a.Truncated(key)
	}
}

// PathAsGiven puts p as the call gave it when that differs from what Path puts for it (a
// relative path, or one with "..", "." or repeated slashes): rules that look for path tricks
// read it, and the common, clean absolute path costs no second attribute.
func (a *Attrs) PathAsGiven(key string, p, base kevent.Str) {
	if p.Empty() || (p.B[0] == '/' || base.Empty()) && kevent.IsClean(p.B) {
		return
	}
	a.StrField(key, p)
}

// Flags puts the names of the bits of v that table names (a list; unnamed bits are left out).
func (a *Attrs) Flags(key string, v uint64, table []kevent.Flag) {
	a.List(key)
	kevent.FlagNames(v, table, a.Elem)
}

// FlagsIfAny is Flags when v has a bit the table names, else nothing.
func (a *Attrs) FlagsIfAny(key string, v uint64, table []kevent.Flag) {
	for _, f := range table {
		if f.Bit != 0 && v&f.Bit == f.Bit {
			a.Flags(key, v, table)
			return
		}
	}
}

// Mode puts permission bits as an octal string, made once per distinct value.
func (a *Attrs) Mode(key string, m uint32) {
	if a.modes == nil {
		a.modes = new([0o10000]string)
	}
	m &= 0o7777
	if a.modes[m] == "" {
		a.modes[m] = kevent.Mode(m)
	}
	a.Str(key, a.modes[m])
}

// ID puts a chown id as semconv has it, a string; 0xffffffff (unchanged) is "-1".
func (a *Attrs) ID(key string, id uint32) {
	if id == 0xffffffff {
		a.Str(key, "-1")
		return
	}
	if a.writing {
		a.scratch = strconv.AppendUint(a.scratch[:0], uint64(id), 10)
	}
	a.Str(key, a.String(a.scratch))
}

// Caps puts the names of a capability set.
func (a *Attrs) Caps(key string, set uint64) {
	a.List(key)
	capability.Names(set, a.Elem)
}

// Network puts the family, transport and network type of the event's socket.
func (a *Attrs) Network(ev *kevent.Event) {
	if ev.Family != 0 {
		a.Str(schema.AttrNetworkSocketFamily, kevent.FamilyName(ev.Family))
	}
	if t := kevent.Transport(ev.Family, ev.SockType, ev.Protocol); t != "" {
		a.Str(schema.AttrNetworkTransport, t)
	}
	if t := kevent.NetworkType(ev.Family); t != "" {
		a.Str(schema.AttrNetworkType, t)
	}
}

// Addr puts a socket address: IP and port for inet, the path for unix ("@name" when abstract).
func (a *Attrs) Addr(addrKey, portKey string, sa kevent.Sockaddr) {
	switch sa.Family {
	case kevent.AFInet, kevent.AFInet6:
		if sa.IP.IsValid() {
			if a.writing {
				a.scratch = sa.IP.AppendTo(a.scratch[:0])
			}
			a.Str(addrKey, a.String(a.scratch))
		} else {
			a.Str(addrKey, sa.IP.String()) // "invalid IP"
		}
		a.Int(portKey, int64(sa.Port))
	case kevent.AFUnix:
		if sa.Path.Empty() {
			return
		}
		p := sa.Path.B
		if p[0] == 0 && a.writing {
			a.scratch = append(append(a.scratch[:0], '@'), p[1:]...)
			p = a.scratch
		}
		a.Str(addrKey, a.String(p))
		if sa.Path.Truncated {
			a.Truncated(addrKey)
		}
	}
}
