package ruleengine

import (
	"hash/maphash"
	"slices"
	"strings"
	"unsafe"
)

// Remembering what views decided.
//
// Records repeat: a compiler opens the same headers from every translation unit, a web server
// the same files for every request. Evaluating a rule reads attributes and nothing else, so
// on a view that gives every attribute an earlier evaluation read the value it had then,
// evaluation follows the same path to the same result. A View remembers, for views no rule
// could match, the values the evaluation read; a later view of the same event with those
// values is decided without evaluating a rule. Only "no rule can match" is remembered: a
// record that may match is built and evaluated by the processor anyway.

const (
	decisionSlots  = 4096 // remembered decisions, direct-mapped by the hash of their values
	shapesPerEvent = 4    // read sets a view of one event name is looked up by
	decisionBytes  = 1024 // the most string bytes one decision holds: the memory is bounded
)

// decision is one remembered "no rule can match": the values of the slots that were read.
type decision struct {
	hash  uint64
	event string
	slots []int32 // ascending
	vals  []fslot // by position in slots; strings point into buf, lists into hdrs
	buf   []byte
	lists []string   // the elements of the lists
	hdrs  [][]string // the lists, each a part of lists
}

// shapes are an event's recent read sets: the slots to hash a new view by.
type shapes struct {
	event string
	sets  [shapesPerEvent][]int32
	next  int
	// The hit rate of the current window, and whether the event is only sampled.
	tries, hits, skipped uint32
	sparse               bool
}

// viewMemo is a View's remembered decisions.
type viewMemo struct {
	seed      maphash.Seed
	decisions []decision
	byEvent   map[string]*shapes
	hits      uint64
	hashes    []uint64 // by slot: the hash of the view's value, for the generation in hashGen
	hashGen   []uint32
}

func newViewMemo(slots int) viewMemo {
	return viewMemo{seed: maphash.MakeSeed(), decisions: make([]decision, decisionSlots), byEvent: map[string]*shapes{},
		hashes: make([]uint64, slots), hashGen: make([]uint32, slots)}
}

// Remembered is how many views were decided by a remembered decision.
func (v *View) Remembered() uint64 { return v.memo.hits }

// current is the value the view gives slot (ok false: absent). Not to be written to.
func (v *View) current(slot int32) *fslot {
	if c := &v.act.fcache[slot]; c.gen == v.act.gen {
		return c
	}
	return &absentSlot
}

var absentSlot fslot

func (v *View) hash(slots []int32) uint64 {
	h := uint64(len(slots))
	for _, slot := range slots {
		h = (h ^ v.slotHash(slot)) * 0x100000001b3
	}
	return h
}

// slotHash is the hash of the value the view gives slot, computed once per view (the shapes
// of an event share most slots).
func (v *View) slotHash(slot int32) uint64 {
	m := &v.memo
	if m.hashGen[slot] == v.act.gen {
		return m.hashes[slot]
	}
	var h uint64
	switch c := v.current(slot); {
	case !c.ok:
		h = 1
	case c.v.k == kStr:
		h = maphash.String(m.seed, c.v.s)
	case c.v.k == kStrs:
		h = uint64(len(*c.v.ls))
		for _, s := range *c.v.ls {
			h = (h ^ maphash.String(m.seed, s)) * 0x100000001b3
		}
	default:
		h = uint64(c.v.i) + uint64(c.v.k)<<56
	}
	m.hashGen[slot], m.hashes[slot] = v.act.gen, h
	return h
}

// shapesOf is the event's entry, made on first sight; nil when the table is full (event
// names are a small fixed set: anything beyond is evaluated and not remembered).
func (m *viewMemo) shapesOf(event string) *shapes {
	if sh := m.byEvent[event]; sh != nil {
		return sh
	}
	if len(m.byEvent) >= 256 {
		return nil
	}
	sh := &shapes{event: strings.Clone(event)}
	m.byEvent[sh.event] = sh
	return sh
}

// Where events rarely repeat, looking a decision up and remembering one costs more than it
// saves; such an event name is only sampled, one view in sampleEvery, until the sample shows
// repeats again.
const (
	sampleWindow = 1024 // tries between two looks at the hit rate
	sampleEvery  = 16
)

// sampled says whether this view of the event is looked up and remembered.
func (s *shapes) sampled() bool {
	if !s.sparse {
		return true
	}
	s.skipped++
	return s.skipped%sampleEvery == 0
}

// count records a try and whether it hit; each window decides whether the event is sparse.
func (s *shapes) count(hit bool) {
	s.tries++
	if hit {
		s.hits++
	}
	if s.tries == sampleWindow {
		s.sparse = s.hits < s.tries/8
		s.tries, s.hits = 0, 0
	}
}

// recall returns the remembered decision that covers the view, if one does.
func (v *View) recall(sh *shapes) *decision {
	for _, slots := range sh.sets {
		if slots == nil {
			continue
		}
		h := v.hash(slots)
		if d := &v.memo.decisions[h%decisionSlots]; d.hash == h && d.event == sh.event && v.same(d) {
			v.memo.hits++
			return d
		}
	}
	return nil
}

// same says whether the view gives each slot of d the value d remembers.
func (v *View) same(d *decision) bool {
	for i, slot := range d.slots {
		c, r := v.current(slot), &d.vals[i]
		if c.ok != r.ok {
			return false
		}
		if !c.ok {
			continue
		}
		if c.v.k != r.v.k {
			return false
		}
		switch c.v.k {
		case kStr:
			if c.v.s != r.v.s {
				return false
			}
		case kStrs:
			if !slices.Equal(*c.v.ls, *r.v.ls) {
				return false
			}
		default:
			if c.v.i != r.v.i {
				return false
			}
		}
	}
	return true
}

// remember keeps the decision that no rule can match the view, keyed by what the evaluation
// read. It reuses the memory of the decision it replaces, sized for the values before any is
// copied: strings and lists then point into buffers that do not move.
func (v *View) remember(sh *shapes) {
	slots := sh.shape(v.act.reads, v.act.table.eventSlot)
	strBytes, elems, lists := v.sizes(slots)
	if strBytes > decisionBytes {
		return // rare (long command lines read); remembering it would hold that much per slot
	}
	h := v.hash(slots)
	d := &v.memo.decisions[h%decisionSlots]
	d.event, d.slots = sh.event, slots
	d.vals = d.vals[:0]
	d.buf = grow(d.buf, strBytes)
	d.lists = grow(d.lists, elems)
	d.hdrs = grow(d.hdrs, lists)
	for _, slot := range slots {
		c := *v.current(slot)
		if c.ok {
			switch c.v.k {
			case kStr:
				c.v = fval{k: kStr, s: d.own(c.v.s)}
			case kStrs:
				start := len(d.lists)
				for _, s := range *c.v.ls {
					d.lists = append(d.lists, d.own(s))
				}
				d.hdrs = append(d.hdrs, d.lists[start:len(d.lists):len(d.lists)])
				c.v = fval{k: kStrs, ls: &d.hdrs[len(d.hdrs)-1]}
			default: // kInt, kBool: the only other kinds a view gives
				c.v = fval{k: c.v.k, i: c.v.i}
			}
		}
		d.vals = append(d.vals, fslot{ok: c.ok, v: c.v})
	}
	d.hash = h
}

// shape is the read set of an evaluation (reads, the event's slot left out: the event is
// compared by name), sorted, as one of the event's shapes: a new one replaces the oldest.
func (s *shapes) shape(reads []int32, eventSlot int) []int32 {
	set := reads[:0]
	for _, slot := range reads {
		if int(slot) != eventSlot {
			set = append(set, slot)
		}
	}
	slices.Sort(set)
	for _, known := range s.sets {
		if slices.Equal(known, set) {
			return known
		}
	}
	set = slices.Clone(set)
	s.sets[s.next] = set
	s.next = (s.next + 1) % shapesPerEvent
	return set
}

// sizes is what the view gives slots: bytes of strings, list elements, lists.
func (v *View) sizes(slots []int32) (strBytes, elems, lists int) {
	for _, slot := range slots {
		switch c := v.current(slot); {
		case !c.ok:
		case c.v.k == kStr:
			strBytes += len(c.v.s)
		case c.v.k == kStrs:
			lists++
			elems += len(*c.v.ls)
			for _, s := range *c.v.ls {
				strBytes += len(s)
			}
		}
	}
	return strBytes, elems, lists
}

// grow empties b with room for n, reusing its array when it is large enough.
func grow[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, 0, n)
	}
	return b[:0]
}

// own copies s into the decision's buffer, which remember sized for every string it copies.
func (d *decision) own(s string) string {
	if len(s) == 0 {
		return ""
	}
	off := len(d.buf)
	d.buf = append(d.buf, s...)
	return unsafe.String(&d.buf[off], len(s))
}
