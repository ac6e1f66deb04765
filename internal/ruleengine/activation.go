package ruleengine

import (
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/logview"
)

// attrTable numbers every attribute name any rule reads, so the per-record cache is a slice.
type attrTable struct {
	slot      map[string]int
	names     []string
	eventSlot int // slot of event.name
	bodySlot  int // slot of body, -1 if no rule reads it
}

func newAttrTable() *attrTable {
	return &attrTable{slot: map[string]int{}, eventSlot: -1, bodySlot: -1}
}

func (t *attrTable) add(name string) int {
	if i, ok := t.slot[name]; ok {
		return i
	}
	t.slot[name] = len(t.names)
	switch name {
	case EventNameAttr:
		t.eventSlot = len(t.names)
	case BodyIdent:
		t.bodySlot = len(t.names)
	}
	t.names = append(t.names, name)
	return len(t.names) - 1
}

// absent is what an absent attribute resolves to: an error value that CEL propagates without
// building a message per record. Its node id is set so CEL never writes to it (shared).
var absent = types.NewErrWithNodeID(-1, "attribute absent")

type cached struct {
	gen uint32
	val any
}

// activation resolves rule identifiers straight from one record; converted values are cached
// for the record's lifetime (generation-stamped, so reusing it costs nothing to reset).
type activation struct {
	table *attrTable
	res   pcommon.Map
	attrs pcommon.Map
	body  pcommon.Value
	event string
	gen   uint32
	cache []cached

	// Fast path state: converted attributes, shared sub-expression results, comprehension
	// variables. All generation-stamped like cache.
	fcache []fslot
	memo   []memoSlot
	vmemo  []fslot
	locals []fval

	// A View's activation: unknown marks, by slot, the attributes the view cannot know, and
	// unknownRead is set when an evaluation read one (memoized results carry it along).
	unknown     []bool
	unknownRead bool
	// reads lists the slots read since the view's Begin (readGen marks them).
	reads   []int32
	readGen []uint32
}

type fslot struct {
	gen     uint32
	ok      bool
	unknown bool // vmemo: the value read an unknown attribute
	v       fval
}

type memoSlot struct {
	gen     uint32
	v       tri
	unknown bool
}

// fastAttr resolves an attribute for the fast path, once per record.
func (a *activation) fastAttr(slot int) (fval, bool) {
	c := a.attrRef(slot)
	return c.v, c.ok
}

// attrRef is fastAttr without copying the value out of the cache.
func (a *activation) attrRef(slot int) *fslot {
	if a.unknown != nil { // a View's: what it reads decides what a remembered decision needs
		if a.unknown[slot] {
			a.unknownRead = true
		}
		if a.readGen[slot] != a.gen {
			a.readGen[slot] = a.gen
			a.reads = append(a.reads, int32(slot))
		}
	}
	c := &a.fcache[slot]
	if c.gen == a.gen {
		return c
	}
	c.gen, c.ok, c.v = a.gen, false, fval{}
	switch slot {
	case a.table.eventSlot:
		if a.event != "" {
			c.v, c.ok = fval{k: kStr, s: a.event}, true
		}
	case a.table.bodySlot:
		c.v, c.ok = fvalOf(a.body)
	default:
		if pv, found := logview.Attr(a.attrs, a.res, a.table.names[slot]); found {
			c.v, c.ok = fvalOf(pv)
		}
	}
	return c
}

func (a *activation) reset(res pcommon.Map, lr plog.LogRecord, event string) {
	a.res, a.attrs, a.body, a.event = res, lr.Attributes(), lr.Body(), event
	a.nextGen()
}

// nextGen starts a record: every cached value of the previous one is stale.
func (a *activation) nextGen() {
	a.gen++
	if a.gen == 0 { // wrapped: old stamps could collide
		clear(a.cache)
		clear(a.fcache)
		clear(a.memo)
		clear(a.vmemo)
		clear(a.readGen)
		a.gen = 1
	}
}

func (a *activation) ResolveName(name string) (any, bool) {
	i, ok := a.table.slot[name]
	if !ok {
		return nil, false
	}
	c := &a.cache[i]
	if c.gen == a.gen {
		return c.val, true
	}
	var v any
	if name == BodyIdent {
		v = toVal(a.body)
	} else if name == EventNameAttr {
		if a.event == "" {
			v = absent
		} else {
			v = types.String(a.event)
		}
	} else {
		v = lookupVal(a.attrs, a.res, name)
	}
	c.gen, c.val = a.gen, v
	return v, true
}

func (a *activation) Parent() interpreter.Activation { return nil }

// lookupVal reads an attribute from the record, then the resource, as a CEL value.
func lookupVal(attrs, res pcommon.Map, name string) ref.Val {
	pv, ok := logview.Attr(attrs, res, name)
	if !ok {
		return absent
	}
	return toVal(pv)
}

func toVal(pv pcommon.Value) ref.Val {
	switch pv.Type() {
	case pcommon.ValueTypeStr:
		return types.String(pv.Str())
	case pcommon.ValueTypeInt:
		return types.Int(pv.Int())
	case pcommon.ValueTypeBool:
		return types.Bool(pv.Bool())
	case pcommon.ValueTypeDouble:
		return types.Double(pv.Double())
	case pcommon.ValueTypeBytes:
		return types.Bytes(pv.Bytes().AsRaw())
	case pcommon.ValueTypeSlice:
		sl := pv.Slice()
		strs := make([]string, 0, sl.Len())
		for i := 0; i < sl.Len(); i++ {
			e := sl.At(i)
			if e.Type() != pcommon.ValueTypeStr {
				vals := make([]ref.Val, sl.Len())
				for j := 0; j < sl.Len(); j++ {
					vals[j] = toVal(sl.At(j))
				}
				return types.NewRefValList(types.DefaultTypeAdapter, vals)
			}
			strs = append(strs, e.Str())
		}
		return types.NewStringList(types.DefaultTypeAdapter, strs)
	case pcommon.ValueTypeMap:
		return types.DefaultTypeAdapter.NativeToValue(pv.Map().AsRaw())
	}
	return absent
}
