package ruleengine

import (
	"slices"
	"strings"

	"github.com/google/cel-go/common/operators"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// specialize replaces a generic node by a specialized one when its shape allows.
func specialize(fn string, vals []valNode) boolNode {
	if len(vals) != 2 {
		return nil
	}
	attr, isAttr := vals[0].(attrVal)
	lit, isLit := vals[1].(constVal)
	if fn == operators.Equals || fn == operators.NotEquals {
		// == is symmetric: "x" == attr too.
		if !isAttr || !isLit {
			attr, isAttr = vals[1].(attrVal)
			lit, isLit = vals[0].(constVal)
		}
	}
	if fn == operators.In {
		if l, ok := vals[0].(constVal); ok && l.v.k == kStr {
			if at, ok := vals[1].(attrVal); ok {
				return strInAttrList{s: l.v.s, slot: at.slot}
			}
		}
		if isAttr && isLit && lit.v.k == kConstList {
			return attrInSet{slot: attr.slot, set: lit.v.cl}
		}
		return nil
	}
	if !isAttr || !isLit || lit.v.k != kStr {
		return nil
	}
	op := map[string]uint8{operators.Equals: opEq, operators.NotEquals: opNeq, "startsWith": opStartsWith,
		"endsWith": opEndsWith, "contains": opContains, "icontains": opIContains, "glob": opGlob,
		"path_under": opPathUnder}
	o, ok := op[fn]
	if !ok {
		return nil
	}
	if o == opPathUnder {
		return attrStrOp{slot: attr.slot, s: strings.TrimRight(lit.v.s, "/"), op: o}
	}
	return attrStrOp{slot: attr.slot, s: lit.v.s, op: o}
}

const (
	opEq = iota
	opNeq
	opStartsWith
	opEndsWith
	opContains
	opIContains
	opGlob
	opPathUnder // s holds the prefix without trailing slashes ("" is the root)
)

// attrStrOp is `attr <op> "literal"` for the string operations.
type attrStrOp struct {
	slot int
	s    string
	op   uint8
}

func (n attrStrOp) eval(a *activation) tri {
	c := a.attrRef(n.slot)
	if !c.ok {
		return fErr
	}
	if c.v.k != kStr {
		switch n.op {
		case opEq:
			return fFalse // CEL: values of different types are not equal
		case opNeq:
			return fTrue
		}
		return fErr
	}
	x := c.v.s
	switch n.op {
	case opEq:
		return triOf(x == n.s)
	case opNeq:
		return triOf(x != n.s)
	case opStartsWith:
		return triOf(strings.HasPrefix(x, n.s))
	case opEndsWith:
		return triOf(strings.HasSuffix(x, n.s))
	case opContains:
		return triOf(strings.Contains(x, n.s))
	case opIContains:
		return triOf(icontains(x, n.s))
	case opPathUnder:
		if n.s == "" {
			return triOf(strings.HasPrefix(x, "/"))
		}
		return triOf(strings.HasPrefix(x, n.s) && (len(x) == len(n.s) || x[len(n.s)] == '/'))
	}
	return triOf(globMatch(n.s, x))
}

// attrInSet is `attr in constant_list`.
type attrInSet struct {
	slot int
	set  *constSet
}

func (n attrInSet) eval(a *activation) tri {
	c := a.attrRef(n.slot)
	if !c.ok {
		return fErr
	}
	if c.v.k == kStr {
		return triOf(n.set.hasStr(c.v.s))
	}
	return triOf(n.set.contains(c.v))
}

// strInAttrList is `"literal" in list_attribute` ("O_WRONLY" in file.flags).
type strInAttrList struct {
	s    string
	slot int
}

func (n strInAttrList) eval(a *activation) tri {
	c := a.attrRef(n.slot)
	if !c.ok {
		return fErr
	}
	switch c.v.k {
	case kMap:
		_, found := c.v.pv.Map().Get(n.s)
		return triOf(found)
	case kStrs:
		return triOf(slices.Contains(*c.v.ls, n.s))
	case kList:
	default:
		return fErr
	}
	sl := c.v.pv.Slice()
	for i := 0; i < sl.Len(); i++ {
		if e := sl.At(i); e.Type() == pcommon.ValueTypeStr && e.Str() == n.s {
			return fTrue
		}
	}
	return fFalse
}

// pathUnderSet is path_under against a constant list: the prefixes, normalized, in a set, so
// a path costs one lookup per component instead of one comparison per prefix.
type pathUnderSet struct {
	x    valNode
	set  map[string]struct{}
	lens uint64 // bit n: some prefix is n bytes long (n < 64); bit 63 also stands for longer
	root bool   // "/" is in the list: every absolute path is under it
}

func newPathUnderSet(x valNode, cs *constSet) (pathUnderSet, bool) {
	n := pathUnderSet{x: x, set: map[string]struct{}{}}
	for _, e := range cs.elems {
		if e.k != kStr {
			return n, false
		}
		p := strings.TrimRight(e.s, "/")
		if p == "" {
			n.root = true
			continue
		}
		n.set[p] = struct{}{}
		n.lens |= 1 << min(len(p), 63)
	}
	return n, true
}

func (n pathUnderSet) eval(a *activation) tri {
	var p string
	if at, ok := n.x.(attrVal); ok {
		c := a.attrRef(at.slot)
		if !c.ok || c.v.k != kStr {
			return fErr
		}
		p = c.v.s
	} else {
		x, ok := n.x.value(a)
		if !ok || x.k != kStr {
			return fErr
		}
		p = x.s
	}
	if n.root && strings.HasPrefix(p, "/") {
		return fTrue
	}
	// The candidates are p up to each '/' after the first byte, and p itself; IndexByte jumps
	// from one to the next (a header search path has ~50 bytes and ~6 components).
	if p == "" {
		return fFalse
	}
	for j := 0; ; {
		k := strings.IndexByte(p[j+1:], '/')
		end := len(p)
		if k >= 0 {
			end = j + 1 + k
		}
		if n.lens&(1<<min(end, 63)) != 0 {
			if _, ok := n.set[p[:end]]; ok {
				return fTrue
			}
		}
		if k < 0 {
			return fFalse
		}
		j = end
	}
}
