package events

import (
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

// Attrs collects the attributes of one record, typed and in order, then writes them into the
// record's map in one step (CopyTo). Collecting first makes the map one allocation of exactly
// the right size without a second description of what a record holds. An Attrs is reused
// record after record by one goroutine; its strings stay valid (they are cut from an arena).
type Attrs struct {
	list  []attr
	elems []string // elements of the string lists: list[i].lo:hi
	open  int      // index in list of the string list being appended to, -1 when none
	trunc []string // attributes cut at a bound, for otelsec.truncated

	strs    arena
	scratch []byte
	pathBuf []byte
	modes   *[0o10000]string // file.mode strings, made once each
}

type attr struct {
	key    string
	typ    schema.Type
	s      string
	i      int64
	lo, hi int32
}

// Reset starts a new record.
func (a *Attrs) Reset() {
	a.list, a.elems, a.trunc, a.open = a.list[:0], a.elems[:0], a.trunc[:0], -1
}

// Len is the number of attributes collected so far.
func (a *Attrs) Len() int { return len(a.list) }

func (a *Attrs) put(at attr) {
	a.closeList()
	a.list = append(a.list, at)
}

// Str puts a string attribute.
func (a *Attrs) Str(key, v string) { a.put(attr{key: key, typ: schema.TypeString, s: v}) }

// Int puts an int attribute.
func (a *Attrs) Int(key string, v int64) { a.put(attr{key: key, typ: schema.TypeInt, i: v}) }

// Bool puts a bool attribute.
func (a *Attrs) Bool(key string, v bool) {
	var i int64
	if v {
		i = 1
	}
	a.put(attr{key: key, typ: schema.TypeBool, i: i})
}

// List puts a string-list attribute; Elem appends to it until the next attribute is put.
func (a *Attrs) List(key string) {
	a.put(attr{key: key, typ: schema.TypeStringList, lo: int32(len(a.elems))})
	a.open = len(a.list) - 1
}

// Elem appends one element to the list being built.
func (a *Attrs) Elem(s string) { a.elems = append(a.elems, s) }

func (a *Attrs) closeList() {
	if a.open >= 0 {
		a.list[a.open].hi = int32(len(a.elems))
		a.open = -1
	}
}

// Truncated records that key's value was cut at a bound.
func (a *Attrs) Truncated(key string) { a.trunc = append(a.trunc, key) }

// Finish puts otelsec.truncated when something was cut. Call it after the last attribute.
func (a *Attrs) Finish() {
	if len(a.trunc) == 0 {
		a.closeList()
		return
	}
	a.List(schema.AttrTruncated)
	a.elems = append(a.elems, a.trunc...)
	a.closeList()
}

// CopyTo writes the collected attributes into m.
func (a *Attrs) CopyTo(m pcommon.Map) {
	a.closeList()
	m.EnsureCapacity(m.Len() + len(a.list))
	for i := range a.list {
		at := &a.list[i]
		switch at.typ {
		case schema.TypeString:
			m.PutStr(at.key, at.s)
		case schema.TypeInt:
			m.PutInt(at.key, at.i)
		case schema.TypeBool:
			m.PutBool(at.key, at.i != 0)
		case schema.TypeStringList:
			s := m.PutEmptySlice(at.key)
			s.EnsureCapacity(int(at.hi - at.lo))
			for _, e := range a.elems[at.lo:at.hi] {
				s.AppendEmpty().SetStr(e)
			}
		}
	}
}

// Each calls fn for every collected attribute with its type (tests, and views that do not
// need a map).
func (a *Attrs) Each(fn func(key string, t schema.Type)) {
	a.closeList()
	for i := range a.list {
		fn(a.list[i].key, a.list[i].typ)
	}
}

// String returns b as a string owned by the record (valid UTF-8).
func (a *Attrs) String(b []byte) string { return a.strs.string(b) }

// StrField puts a string the kernel copied, unless empty, marking a cut one.
func (a *Attrs) StrField(key string, s kevent.Str) {
	if s.Empty() {
		return
	}
	a.Str(key, a.strs.string(s.B))
	if s.Truncated {
		a.Truncated(key)
	}
}

// Path puts an absolute, lexically normalized path, resolved against the base the kernel gave.
func (a *Attrs) Path(key string, p, base kevent.Str) {
	if p.Empty() {
		return
	}
	a.pathBuf = kevent.ResolvePathBytes(a.pathBuf, p.B, base.B)
	a.Str(key, a.strs.string(a.pathBuf))
	if p.Truncated || base.Truncated {
		a.Truncated(key)
	}
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
	a.scratch = strconv.AppendUint(a.scratch[:0], uint64(id), 10)
	a.Str(key, a.strs.string(a.scratch))
}

// Caps puts the names of a capability set.
func (a *Attrs) Caps(key string, set uint64) {
	a.List(key)
	kevent.CapNames(set, a.Elem)
}

// Network puts the transport and network type of the event's socket.
func (a *Attrs) Network(ev *kevent.Event) {
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
			a.scratch = sa.IP.AppendTo(a.scratch[:0])
			a.Str(addrKey, a.strs.string(a.scratch))
		} else {
			a.Str(addrKey, sa.IP.String()) // "invalid IP"
		}
		a.Int(portKey, int64(sa.Port))
	case kevent.AFUnix:
		if sa.Path.Empty() {
			return
		}
		p := sa.Path.B
		if p[0] == 0 {
			a.scratch = append(append(a.scratch[:0], '@'), p[1:]...)
			p = a.scratch
		}
		a.Str(addrKey, a.strs.string(p))
		if sa.Path.Truncated {
			a.Truncated(addrKey)
		}
	}
}
