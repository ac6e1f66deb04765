package ruleengine

import (
	"slices"
	"strconv"
	"strings"

	"github.com/google/cel-go/common/types"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

type tri uint8

const (
	fFalse tri = iota
	fTrue
	fErr
)

func triOf(b bool) tri {
	if b {
		return fTrue
	}
	return fFalse
}

type fkind uint8

const (
	kStr fkind = iota + 1
	kInt
	kBool
	kDouble
	kList      // a pcommon slice from the record
	kConstList // a list constant or literal
	kMap       // a pcommon map (body of journald records)
	kStrs      // a string list of a View (ls)
)

// fval is a value on the fast path. Only the fields of its kind are set.
type fval struct {
	k  fkind
	s  string
	i  int64
	f  float64
	pv pcommon.Value // kList, kMap
	cl *constSet
	ls *[]string // kStrs
}

func fvalOf(pv pcommon.Value) (fval, bool) {
	switch pv.Type() {
	case pcommon.ValueTypeStr:
		return fval{k: kStr, s: pv.Str()}, true
	case pcommon.ValueTypeInt:
		return fval{k: kInt, i: pv.Int()}, true
	case pcommon.ValueTypeBool:
		v := fval{k: kBool}
		if pv.Bool() {
			v.i = 1
		}
		return v, true
	case pcommon.ValueTypeDouble:
		return fval{k: kDouble, f: pv.Double()}, true
	case pcommon.ValueTypeSlice:
		return fval{k: kList, pv: pv}, true
	case pcommon.ValueTypeMap:
		return fval{k: kMap, pv: pv}, true
	}
	return fval{}, false
}

func literal(v any) (fval, bool) {
	switch x := v.(type) {
	case types.String:
		return fval{k: kStr, s: string(x)}, true
	case types.Int:
		return fval{k: kInt, i: int64(x)}, true
	case types.Bool:
		r := fval{k: kBool}
		if x {
			r.i = 1
		}
		return r, true
	case types.Double:
		return fval{k: kDouble, f: float64(x)}, true
	}
	return fval{}, false
}

func literalKey(v fval) string {
	switch v.k {
	case kStr:
		return strconv.Quote(v.s)
	case kInt:
		return strconv.FormatInt(v.i, 10)
	case kBool:
		return "b" + strconv.FormatInt(v.i, 10)
	case kDouble:
		return strconv.FormatFloat(v.f, 'g', -1, 64) + "d"
	}
	return "?"
}

// constSet is a constant list: its elements in order and a set for membership.
type constSet struct {
	elems []fval
	// Small string sets are scanned (comparing lengths first is cheaper than hashing);
	// larger ones use the map.
	small []string
	strs  map[string]struct{}
	ints  map[int64]struct{}
	other bool // holds elements that are neither strings nor ints (bool, double)
}

func newConstSet(elems []fval) *constSet {
	c := &constSet{elems: elems, strs: map[string]struct{}{}, ints: map[int64]struct{}{}}
	for _, e := range elems {
		switch e.k {
		case kStr:
			c.strs[e.s] = struct{}{}
		case kInt:
			c.ints[e.i] = struct{}{}
		default:
			c.other = true
		}
	}
	if len(c.strs) <= smallSet {
		for k := range c.strs {
			c.small = append(c.small, k)
		}
	}
	return c
}

const smallSet = 8

// hasStr reports whether the set holds s.
func (c *constSet) hasStr(s string) bool {
	if len(c.strs) <= smallSet {
		for _, k := range c.small {
			if len(k) == len(s) && k == s {
				return true
			}
		}
		return false
	}
	_, ok := c.strs[s]
	return ok
}

func (c *constSet) contains(v fval) bool {
	switch v.k {
	case kStr:
		return c.hasStr(v.s)
	case kInt:
		if _, ok := c.ints[v.i]; ok {
			return true
		}
	}
	if c.other || v.k == kDouble || v.k == kInt {
		for _, e := range c.elems {
			if eq, _ := fEqual(e, v); eq {
				return true
			}
		}
	}
	return false
}

// listLen / listAt give uniform access to both list kinds.
func listLen(v fval) int {
	switch v.k {
	case kList:
		return v.pv.Slice().Len()
	case kStrs:
		return len(*v.ls)
	}
	return len(v.cl.elems)
}

func listAt(v fval, i int) (fval, bool) {
	switch v.k {
	case kList:
		return fvalOf(v.pv.Slice().At(i))
	case kStrs:
		return fval{k: kStr, s: (*v.ls)[i]}, true
	}
	return v.cl.elems[i], true
}

func isList(v fval) bool { return v.k == kList || v.k == kConstList || v.k == kStrs }

// listContains reports whether list l holds x (CEL equality).
func listContains(l, x fval) bool {
	switch l.k {
	case kConstList:
		return l.cl.contains(x)
	case kStrs:
		return x.k == kStr && slices.Contains(*l.ls, x.s)
	}
	sl := l.pv.Slice()
	for i := 0; i < sl.Len(); i++ {
		e, ok := fvalOf(sl.At(i))
		if !ok {
			continue
		}
		if eq, _ := fEqual(e, x); eq {
			return true
		}
	}
	return false
}

// fEqual is CEL's heterogeneous equality: values of different kinds are unequal, numbers
// compare by value across int and double. ok is false when CEL would error (never, for the
// kinds here; kept for symmetry).
func fEqual(a, b fval) (bool, bool) {
	if a.k != b.k {
		switch {
		case a.k == kInt && b.k == kDouble:
			return float64(a.i) == b.f, true
		case a.k == kDouble && b.k == kInt:
			return a.f == float64(b.i), true
		case isList(a) && isList(b):
		default:
			return false, true
		}
	}
	switch a.k {
	case kStr:
		return a.s == b.s, true
	case kInt, kBool:
		return a.i == b.i, true
	case kDouble:
		return a.f == b.f, true
	case kList, kConstList, kStrs:
		n := listLen(a)
		if n != listLen(b) {
			return false, true
		}
		for i := 0; i < n; i++ {
			x, ok1 := listAt(a, i)
			y, ok2 := listAt(b, i)
			if !ok1 || !ok2 {
				return false, false
			}
			if eq, ok := fEqual(x, y); !ok || !eq {
				return eq, ok
			}
		}
		return true, true
	case kMap:
		// pdata's equality; CEL would also equate 1 and 1.0 inside maps, a case rules on
		// structured bodies are unlikely to meet.
		return a.pv.Equal(b.pv), true
	}
	return false, false
}

// fCompare orders two values; ok is false when CEL has no overload (error).
func fCompare(a, b fval) (int, bool) {
	switch {
	case (a.k == kInt && b.k == kInt) || (a.k == kBool && b.k == kBool):
		return cmp3(a.i < b.i, a.i > b.i), true
	case a.k == kStr && b.k == kStr:
		return strings.Compare(a.s, b.s), true
	case (a.k == kInt || a.k == kDouble) && (b.k == kInt || b.k == kDouble):
		x, y := a.f, b.f
		if a.k == kInt {
			x = float64(a.i)
		}
		if b.k == kInt {
			y = float64(b.i)
		}
		return cmp3(x < y, x > y), true
	}
	return 0, false
}

func cmp3(lt, gt bool) int {
	switch {
	case lt:
		return -1
	case gt:
		return 1
	}
	return 0
}
