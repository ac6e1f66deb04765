package ruleengine

import (
	"slices"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Deciding, before a record is built, whether any rule could match it.
//
// A producer of records (the syscall receiver) fills a View with what it knows of a record:
// the attributes it would put. Attributes it cannot know, those a processor between it and
// the rules adds (container.name, k8s.*), are unknown. A condition that reads no unknown
// attribute has on the view the value it will have on the record; one that does is looked
// into (holds): an && with an operand so decided not true cannot be true, nor can an || whose
// operands are all so decided not true. What stays undecided is a doubt, and every doubt
// builds the record. Rules evaluated by cel-go (not on the fast path) are not looked into:
// they always may match.

// Prefilter is an Engine with the set of attributes a producer knows.
type Prefilter struct {
	e       *Engine
	unknown []bool // by attribute slot
	opaque  int    // rules a view cannot decide (cel-go)
}

// Prefilter returns the engine's prefilter for a producer that knows the attributes for which
// known is true (and the event name). Every other attribute a rule reads is unknown.
func (e *Engine) Prefilter(known func(attr string) bool) *Prefilter {
	p := &Prefilter{e: e, unknown: make([]bool, len(e.attrs.names))}
	for slot, name := range e.attrs.names {
		p.unknown[slot] = slot != e.attrs.eventSlot && !known(name)
	}
	for _, r := range e.rules {
		if r.fast == nil || e.celOnly {
			p.opaque++
		}
	}
	return p
}

// Opaque is how many rules the prefilter cannot look into: records of their events are
// always built.
func (p *Prefilter) Opaque() int { return p.opaque }

// View is one record as its producer knows it before building it. One per goroutine; reused
// record after record. The strings and lists it is given must stay unchanged until the next
// Begin.
type View struct {
	p     *Prefilter
	act   *activation
	lists [][]string // by slot: the elements of a list attribute
	cur   int        // slot of the list being filled, -1 when no rule reads it
	slots [1024]keySlot
	memo  viewMemo
	// decidedBy: the slots the last "no rule can match" was decided from (the evaluation's
	// reads, or the remembered decision's slots).
	decidedBy []int32
}

// keySlot remembers the slot of a key (-1: no rule reads it). Producers give the same
// constant keys record after record: comparing a key with the one remembered at its
// position is a pointer comparison, cheaper than hashing it.
type keySlot struct {
	key  string
	slot int32 // the slot plus two: the zero entry remembers nothing
}

// NewView returns a view for one goroutine.
func (p *Prefilter) NewView() *View {
	v := p.newView()
	v.memo = newViewMemo(len(p.e.attrs.names))
	return v
}

// newView is a view without remembered decisions (MayMatch is not for it: evaluate is).
func (p *Prefilter) newView() *View {
	act := p.e.pool.New().(*activation)
	act.unknown = p.unknown
	act.readGen = make([]uint32, len(p.e.attrs.names))
	return &View{p: p, act: act, lists: make([][]string, len(p.e.attrs.names)), cur: -1}
}

// emptyMap stands for the record's attributes and resource in a view: what it was not given
// is absent.
var emptyMap = pcommon.NewMap()

// Begin starts a record of the event name.
func (v *View) Begin(event string) {
	a := v.act
	a.res, a.attrs, a.body, a.event = emptyMap, emptyMap, pcommon.Value{}, event
	if a.nextGen(); a.gen == 1 { // wrapped: old stamps could collide
		clear(v.memo.hashGen)
	}
	a.reads = a.reads[:0]
	v.cur = -1
}

func (v *View) put(key string, val fval) {
	v.cur = -1
	if slot := v.slot(key); slot >= 0 {
		v.act.fcache[slot] = fslot{gen: v.act.gen, ok: true, v: val}
	}
}

// slot is the attribute slot of key, -1 when no rule reads it.
func (v *View) slot(key string) int {
	h := uintptr(0)
	if len(key) > 0 {
		h = uintptr(unsafe.Pointer(unsafe.StringData(key)))
	}
	ks := &v.slots[uint64(h^uintptr(len(key)))*0x9e3779b97f4a7c15>>54]
	if ks.key == key && ks.slot != 0 {
		return int(ks.slot) - 2
	}
	slot, ok := v.p.e.attrs.slot[key]
	if !ok {
		slot = -1
	}
	*ks = keySlot{key: key, slot: int32(slot) + 2}
	return slot
}

// Str gives a string attribute.
func (v *View) Str(key, s string) { v.put(key, fval{k: kStr, s: s}) }

// Int gives an int attribute.
func (v *View) Int(key string, i int64) { v.put(key, fval{k: kInt, i: i}) }

// Bool gives a bool attribute.
func (v *View) Bool(key string, b bool) {
	val := fval{k: kBool}
	if b {
		val.i = 1
	}
	v.put(key, val)
}

// List gives a string-list attribute; Elem appends to it until the next attribute.
func (v *View) List(key string) {
	slot := v.slot(key)
	if v.cur = -1; slot < 0 {
		return
	}
	v.lists[slot] = v.lists[slot][:0]
	v.act.fcache[slot] = fslot{gen: v.act.gen, ok: true, v: fval{k: kStrs, ls: &v.lists[slot]}}
	v.cur = slot
}

// Elem appends to the list being given.
func (v *View) Elem(s string) {
	if v.cur >= 0 {
		v.lists[v.cur] = append(v.lists[v.cur], s)
	}
}

// MayMatch reports whether some rule could match the record the view describes: false only
// when the view decides, for every rule of its event, that its condition is not true (or a
// remembered decision for the same values says so).
func (v *View) MayMatch() bool {
	sh := v.memo.shapesOf(v.act.event)
	if sh == nil || !sh.sampled() {
		return v.evaluate()
	}
	if d := v.recall(sh); d != nil {
		sh.count(true)
		v.decidedBy = d.slots
		return false
	}
	sh.count(false)
	if v.evaluate() {
		return true
	}
	if !slices.Contains(v.act.reads, int32(v.act.table.bodySlot)) {
		v.remember(sh)
	}
	return false
}

// DecidedBy reports, after MayMatch returned false, whether every attribute that decision
// depended on satisfies ok (event.name is among them): a decision from attributes that are all
// functions of some key holds for every view with that key.
func (v *View) DecidedBy(ok func(attr string) bool) bool {
	for _, slot := range v.decidedBy {
		if !ok(v.p.e.attrs.names[slot]) {
			return false
		}
	}
	return true
}

// evaluate is MayMatch without remembered decisions.
func (v *View) evaluate() bool {
	for _, r := range v.p.e.idx.lookup(v.act.event) {
		if r.cond == nil || mayHold(r.cond, v.act) {
			return true
		}
	}
	v.decidedBy = v.act.reads // after the evaluation: what it read
	return false
}

// mayHold evaluates a rule's condition on a view: false when the view decides that it is not
// true.
func mayHold(n boolNode, a *activation) bool {
	v, known := holds(n, a)
	return v || !known
}

// holds says what a view decides of condition n: whether it is true, and whether the view
// decides it at all. An evaluation that read only known attributes decides; one that read an
// unknown one is looked into: && is not true when an operand the view decides is not, || is
// true when one it decides is, ! turns what its operand decides around (the engine's && is
// true only when every operand is, || when one is, ! when its operand is not true). So an
// exception or a container term next to a decided term does not hide what that term decides.
func holds(n boolNode, a *activation) (v, known bool) {
	a.unknownRead = false
	r := n.eval(a)
	if !a.unknownRead {
		return r == fTrue, true
	}
	switch x := n.(type) {
	case *shared:
		return holds(x.inner, a)
	case andNode:
		all := true
		for _, c := range x.xs {
			v, k := holds(c, a)
			if k && !v {
				return false, true
			}
			all = all && k
		}
		return all, all
	case orNode:
		all := true
		for _, c := range x.xs {
			v, k := holds(c, a)
			if k && v {
				return true, true
			}
			all = all && k
		}
		return false, all
	case notNode:
		v, k := holds(x.x, a)
		return !v, k
	}
	return false, false
}
