package ruleengine

import (
	"regexp"
	"unicode/utf8"

	"github.com/google/cel-go/common/operators"
)

type boolNode interface{ eval(a *activation) tri }

type valNode interface {
	value(a *activation) (fval, bool)
}

// asBool lets a value node (a bool attribute, a literal) stand where a condition is expected.
type asBool struct{ v valNode }

func (n asBool) eval(a *activation) tri {
	v, ok := n.v.value(a)
	if !ok || v.k != kBool {
		return fErr
	}
	return triOf(v.i != 0)
}

// andNode and orNode are n-ary: nested && (||) chains are flattened into one node, which
// saves a call per operand. Operands run left to right and stop at the first deciding one;
// a failed operand counts as false unless another decides, exactly as CEL's commutative
// && and ||.
type andNode struct{ xs []boolNode }

func (n andNode) eval(a *activation) tri {
	res := fTrue
	for _, x := range n.xs {
		switch x.eval(a) {
		case fFalse:
			return fFalse
		case fErr:
			res = fErr
		}
	}
	return res
}

type orNode struct{ xs []boolNode }

func (n orNode) eval(a *activation) tri {
	res := fFalse
	for _, x := range n.xs {
		switch x.eval(a) {
		case fTrue:
			return fTrue
		case fErr:
			res = fErr
		}
	}
	return res
}

// notNode is the rule language's `!`: what could not be evaluated counts as false.
type notNode struct{ x boolNode }

func (n notNode) eval(a *activation) tri {
	if n.x.eval(a) == fTrue {
		return fFalse
	}
	return fTrue
}

// shared is a sub-expression several rules contain; it is evaluated once per record.
type shared struct {
	inner boolNode
	slot  int
}

func (n *shared) eval(a *activation) tri {
	m := &a.memo[n.slot]
	if m.gen == a.gen {
		a.unknownRead = a.unknownRead || m.unknown
		return m.v
	}
	outer := a.unknownRead
	a.unknownRead = false
	v := n.inner.eval(a)
	m.gen, m.v, m.unknown = a.gen, v, a.unknownRead
	a.unknownRead = outer || m.unknown
	return v
}

type constVal struct{ v fval }

func (n constVal) value(*activation) (fval, bool) { return n.v, true }

type attrVal struct{ slot int }

func (n attrVal) value(a *activation) (fval, bool) { return a.fastAttr(n.slot) }

type localVal struct{ depth int }

func (n localVal) value(a *activation) (fval, bool) { return a.locals[n.depth], true }

// fieldVal selects a key of a map value (body.MESSAGE).
type fieldVal struct {
	x     valNode
	field string
}

func (n fieldVal) value(a *activation) (fval, bool) {
	v, ok := n.x.value(a)
	if !ok || v.k != kMap {
		return fval{}, false
	}
	pv, ok := v.pv.Map().Get(n.field)
	if !ok {
		return fval{}, false
	}
	return fvalOf(pv)
}

type eqNode struct {
	l, r valNode
	neq  bool
}

func (n eqNode) eval(a *activation) tri {
	l, ok := n.l.value(a)
	if !ok {
		return fErr
	}
	r, ok := n.r.value(a)
	if !ok {
		return fErr
	}
	eq, ok := fEqual(l, r)
	if !ok {
		return fErr
	}
	return triOf(eq != n.neq)
}

type cmpNode struct {
	l, r valNode
	op   string
}

func (n cmpNode) eval(a *activation) tri {
	l, ok := n.l.value(a)
	if !ok {
		return fErr
	}
	r, ok := n.r.value(a)
	if !ok {
		return fErr
	}
	c, ok := fCompare(l, r)
	if !ok {
		return fErr
	}
	switch n.op {
	case operators.Less:
		return triOf(c < 0)
	case operators.LessEquals:
		return triOf(c <= 0)
	case operators.Greater:
		return triOf(c > 0)
	}
	return triOf(c >= 0)
}

type inNode struct{ x, list valNode }

func (n inNode) eval(a *activation) tri {
	x, ok := n.x.value(a)
	if !ok {
		return fErr
	}
	l, ok := n.list.value(a)
	if !ok {
		return fErr
	}
	if l.k == kMap { // `key in map` tests the keys, as in CEL
		if x.k != kStr {
			return fFalse
		}
		_, found := l.pv.Map().Get(x.s)
		return triOf(found)
	}
	if !isList(l) {
		return fErr
	}
	return triOf(listContains(l, x))
}

// strPred is a predicate over two strings (startsWith, glob, icontains, ...).
type strPred struct {
	x, y valNode
	f    func(x, y string) bool
}

func (n strPred) eval(a *activation) tri {
	x, ok := n.x.value(a)
	if !ok || x.k != kStr {
		return fErr
	}
	y, ok := n.y.value(a)
	if !ok || y.k != kStr {
		return fErr
	}
	return triOf(n.f(x.s, y.s))
}

type matchesNode struct {
	x  valNode
	re *regexp.Regexp
}

func (n matchesNode) eval(a *activation) tri {
	x, ok := n.x.value(a)
	if !ok || x.k != kStr {
		return fErr
	}
	return triOf(n.re.MatchString(x.s))
}

type pathUnderNode struct{ x, p valNode }

func (n pathUnderNode) eval(a *activation) tri {
	x, ok := n.x.value(a)
	if !ok || x.k != kStr {
		return fErr
	}
	p, ok := n.p.value(a)
	if !ok {
		return fErr
	}
	if p.k == kStr {
		return triOf(pathUnder(x.s, p.s))
	}
	if !isList(p) {
		return fErr
	}
	for i, n := 0, listLen(p); i < n; i++ {
		if e, ok := listAt(p, i); ok && e.k == kStr && pathUnder(x.s, e.s) {
			return fTrue
		}
	}
	return fFalse
}

type anyInNode struct{ x, l valNode }

func (n anyInNode) eval(a *activation) tri {
	x, ok := n.x.value(a)
	if !ok || !isList(x) {
		return fErr
	}
	l, ok := n.l.value(a)
	if !ok || !isList(l) {
		return fErr
	}
	for i, n := 0, listLen(x); i < n; i++ {
		if e, ok := listAt(x, i); ok && listContains(l, e) {
			return fTrue
		}
	}
	return fFalse
}

type presentNode struct{ x valNode }

func (n presentNode) eval(a *activation) tri {
	_, ok := n.x.value(a)
	return triOf(ok)
}

type strFunc struct {
	x valNode
	f func(string) string
}

func (n strFunc) value(a *activation) (fval, bool) {
	x, ok := n.x.value(a)
	if !ok || x.k != kStr {
		return fval{}, false
	}
	return fval{k: kStr, s: n.f(x.s)}, true
}

type sizeVal struct{ x valNode }

func (n sizeVal) value(a *activation) (fval, bool) {
	x, ok := n.x.value(a)
	if !ok {
		return fval{}, false
	}
	switch {
	case x.k == kStr:
		return fval{k: kInt, i: int64(utf8.RuneCountInString(x.s))}, true
	case isList(x):
		return fval{k: kInt, i: int64(listLen(x))}, true
	case x.k == kMap:
		return fval{k: kInt, i: int64(x.pv.Map().Len())}, true
	}
	return fval{}, false
}

// addVal is CEL's +: string and list concatenation, int (overflow is an error) and double
// addition.
type addVal struct{ x, y valNode }

func (n addVal) value(a *activation) (fval, bool) {
	x, ok := n.x.value(a)
	if !ok {
		return fval{}, false
	}
	y, ok := n.y.value(a)
	if !ok {
		return fval{}, false
	}
	switch {
	case x.k == kStr && y.k == kStr:
		return fval{k: kStr, s: x.s + y.s}, true
	case x.k == kInt && y.k == kInt:
		sum := x.i + y.i
		if (sum > x.i) != (y.i > 0) {
			return fval{}, false
		}
		return fval{k: kInt, i: sum}, true
	case x.k == kDouble && y.k == kDouble:
		return fval{k: kDouble, f: x.f + y.f}, true
	case isList(x) && isList(y):
		elems := make([]fval, 0, listLen(x)+listLen(y))
		for _, l := range []fval{x, y} {
			for i, n := 0, listLen(l); i < n; i++ {
				e, ok := listAt(l, i)
				if !ok {
					return fval{}, false
				}
				elems = append(elems, e)
			}
		}
		return fval{k: kConstList, cl: newConstSet(elems)}, true
	}
	return fval{}, false
}

// indexVal is list[int] or map[string]; out of range or missing is an error, as in CEL.
type indexVal struct{ x, i valNode }

func (n indexVal) value(a *activation) (fval, bool) {
	x, ok := n.x.value(a)
	if !ok {
		return fval{}, false
	}
	i, ok := n.i.value(a)
	if !ok {
		return fval{}, false
	}
	switch {
	case isList(x) && i.k == kInt:
		if i.i < 0 || i.i >= int64(listLen(x)) {
			return fval{}, false
		}
		return listAt(x, int(i.i))
	case x.k == kMap && i.k == kStr:
		pv, ok := x.pv.Map().Get(i.s)
		if !ok {
			return fval{}, false
		}
		return fvalOf(pv)
	}
	return fval{}, false
}

// boolVal lets a condition stand where a value is expected (true == (a && b)).
type boolVal struct{ b boolNode }

func (n boolVal) value(a *activation) (fval, bool) {
	switch n.b.eval(a) {
	case fTrue:
		return fval{k: kBool, i: 1}, true
	case fFalse:
		return fval{k: kBool}, true
	}
	return fval{}, false
}

// compNode is the exists / all / exists_one macro over a list.
type compNode struct {
	list  valNode
	pred  boolNode
	depth int
	kind  string // "exists", "all", "exists_one"
}

func (n compNode) eval(a *activation) tri {
	l, ok := n.list.value(a)
	if !ok || !isList(l) {
		return fErr
	}
	if len(a.locals) <= n.depth {
		a.locals = append(a.locals, make([]fval, n.depth+1-len(a.locals))...)
	}
	sawErr, count := false, 0
	for i, size := 0, listLen(l); i < size; i++ {
		e, ok := listAt(l, i)
		if !ok {
			sawErr = true
			continue
		}
		a.locals[n.depth] = e
		switch n.pred.eval(a) {
		case fTrue:
			if n.kind == "exists" {
				return fTrue
			}
			count++
		case fFalse:
			if n.kind == "all" {
				return fFalse
			}
		default:
			sawErr = true
		}
	}
	if sawErr {
		return fErr
	}
	switch n.kind {
	case "all":
		return fTrue
	case "exists_one":
		return triOf(count == 1)
	}
	return fFalse
}

type sharedVal struct {
	inner valNode
	slot  int
}

func (n *sharedVal) value(a *activation) (fval, bool) {
	m := &a.vmemo[n.slot]
	if m.gen != a.gen {
		outer := a.unknownRead
		a.unknownRead = false
		m.v, m.ok = n.inner.value(a)
		m.gen, m.unknown = a.gen, a.unknownRead
		a.unknownRead = outer
	}
	a.unknownRead = a.unknownRead || m.unknown
	return m.v, m.ok
}
