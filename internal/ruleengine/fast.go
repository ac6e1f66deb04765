package ruleengine

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// The fast path: a checked CEL condition compiled into a tree of Go closures-like nodes that
// read the record directly (no CEL values, no interface boxing, no per-record allocation).
// It implements exactly the CEL semantics the rules rely on (three-valued: true, false, and
// "could not evaluate", which && and || absorb as CEL does and `!` turns into true), and
// identical sub-expressions of all rules (the expanded macros) are shared and evaluated at
// most once per record. A condition using anything it does not implement runs on cel-go.
// TestFastPathAgreesWithCEL checks both give the same answers.

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
)

// fval is a value on the fast path. Only the fields of its kind are set.
type fval struct {
	k  fkind
	s  string
	i  int64
	f  float64
	pv pcommon.Value // kList, kMap
	cl *constSet
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
	if v.k == kList {
		return v.pv.Slice().Len()
	}
	return len(v.cl.elems)
}

func listAt(v fval, i int) (fval, bool) {
	if v.k == kList {
		return fvalOf(v.pv.Slice().At(i))
	}
	return v.cl.elems[i], true
}

func isList(v fval) bool { return v.k == kList || v.k == kConstList }

// listContains reports whether list l holds x (CEL equality).
func listContains(l, x fval) bool {
	if l.k == kConstList {
		return l.cl.contains(x)
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
	case kList, kConstList:
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

// ---- nodes ----

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
		return m.v
	}
	v := n.inner.eval(a)
	m.gen, m.v = a.gen, v
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
	for j := 1; j <= len(p); j++ {
		if (j == len(p) || p[j] == '/') && n.lens&(1<<min(j, 63)) != 0 {
			if _, ok := n.set[p[:j]]; ok {
				return fTrue
			}
		}
	}
	return fFalse
}

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

// ---- specialized shapes (the common ones, without value copies) ----

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

// ---- compiler ----

// fastCompiler turns checked ASTs into nodes, sharing identical sub-expressions across rules.
type fastCompiler struct {
	table  *attrTable
	lists  map[string][]string
	shared map[string]*shared
	consts map[string]*constSet
	scope  []string // comprehension variables, innermost last

	counting   bool
	counts     map[string]int // first pass: how often each sub-expression occurs
	slots      int            // memo slots handed out
	sharedVals map[string]*sharedVal
	vslots     int // value memo slots handed out
}

type errUnsupported struct{ what string }

func (e errUnsupported) Error() string { return "not on the fast path: " + e.what }

func newFastCompiler(table *attrTable, lists map[string][]string) *fastCompiler {
	return &fastCompiler{table: table, lists: lists, shared: map[string]*shared{}, consts: map[string]*constSet{},
		counts: map[string]int{}, sharedVals: map[string]*sharedVal{}}
}

// compile returns the rule's node, or an error when the condition needs cel-go. Compile
// every rule with count first, then with build: sub-expressions seen more than once in the
// first pass are memoized per record in the second.
func (fc *fastCompiler) compile(a *ast.AST, count bool) (n boolNode, err error) {
	fc.counting = count
	fc.scope = fc.scope[:0]
	defer func() {
		if r := recover(); r != nil {
			n, err = nil, fmt.Errorf("fast path compile: %v", r)
		}
	}()
	n, _, err = fc.boolExpr(a.Expr())
	return n, err
}

// boolExpr compiles a condition; key identifies it for sharing.
func (fc *fastCompiler) boolExpr(e ast.Expr) (boolNode, string, error) {
	n, key, err := fc.boolExprRaw(e)
	if err != nil || strings.Contains(key, localMark) {
		return n, key, err
	}
	if _, leaf := n.(asBool); leaf {
		return n, key, nil
	}
	if fc.counting {
		fc.counts[key]++
		return n, key, nil
	}
	if fc.counts[key] < 2 {
		return n, key, nil
	}
	if s, ok := fc.shared[key]; ok {
		return s, key, nil
	}
	s := &shared{inner: n, slot: fc.slots}
	fc.slots++
	fc.shared[key] = s
	return s, key, nil
}

// localMark starts the key of a comprehension variable; a key containing it depends on the
// variable's current element and must not be memoized per record. (Quoted string literals in
// keys never contain a NUL byte.)
const localMark = "\x00L"

// shareVal memoizes a computed value (basename(file.path)) per record when several
// conditions compute it.
func (fc *fastCompiler) shareVal(n valNode, key string) valNode {
	if strings.Contains(key, localMark) {
		return n
	}
	key = "v:" + key
	if fc.counting {
		fc.counts[key]++
		return n
	}
	if fc.counts[key] < 2 {
		return n
	}
	if s, ok := fc.sharedVals[key]; ok {
		return s
	}
	s := &sharedVal{inner: n, slot: fc.vslots}
	fc.vslots++
	fc.sharedVals[key] = s
	return s
}

type sharedVal struct {
	inner valNode
	slot  int
}

func (n *sharedVal) value(a *activation) (fval, bool) {
	m := &a.vmemo[n.slot]
	if m.gen != a.gen {
		m.v, m.ok = n.inner.value(a)
		m.gen = a.gen
	}
	return m.v, m.ok
}

func joinKey(op string, keys ...string) string {
	for _, k := range keys {
		if k == "" {
			return ""
		}
	}
	return op + "(" + strings.Join(keys, ",") + ")"
}

func (fc *fastCompiler) boolExprRaw(e ast.Expr) (boolNode, string, error) {
	if e.Kind() == ast.ComprehensionKind {
		return fc.comprehension(e)
	}
	if e.Kind() != ast.CallKind {
		v, key, err := fc.valExpr(e)
		if err != nil {
			return nil, "", err
		}
		return asBool{v}, key, nil
	}
	call := e.AsCall()
	fn := call.FunctionName()
	args := call.Args()
	if call.IsMemberFunction() {
		args = append([]ast.Expr{call.Target()}, args...)
	}
	switch fn {
	case operators.LogicalAnd, operators.LogicalOr:
		l, lk, err := fc.boolExpr(args[0])
		if err != nil {
			return nil, "", err
		}
		r, rk, err := fc.boolExpr(args[1])
		if err != nil {
			return nil, "", err
		}
		if fn == operators.LogicalAnd {
			var xs []boolNode
			for _, x := range []boolNode{l, r} {
				if inner, ok := x.(andNode); ok {
					xs = append(xs, inner.xs...)
				} else {
					xs = append(xs, x)
				}
			}
			return andNode{xs}, joinKey("and", lk, rk), nil
		}
		var xs []boolNode
		for _, x := range []boolNode{l, r} {
			if inner, ok := x.(orNode); ok {
				xs = append(xs, inner.xs...)
			} else {
				xs = append(xs, x)
			}
		}
		return orNode{xs}, joinKey("or", lk, rk), nil
	case operators.LogicalNot:
		x, k, err := fc.boolExpr(args[0])
		if err != nil {
			return nil, "", err
		}
		return notNode{x}, joinKey("not", k), nil
	}
	vals := make([]valNode, len(args))
	keys := make([]string, len(args))
	for i, arg := range args {
		v, k, err := fc.valExpr(arg)
		if err != nil {
			return nil, "", err
		}
		vals[i], keys[i] = v, k
	}
	key := joinKey(fn+"/"+strconv.Itoa(len(args)), keys...)
	if n := specialize(fn, vals); n != nil {
		return n, key, nil
	}
	two := len(vals) == 2
	switch {
	case fn == operators.Equals && two:
		return eqNode{l: vals[0], r: vals[1]}, key, nil
	case fn == operators.NotEquals && two:
		return eqNode{l: vals[0], r: vals[1], neq: true}, key, nil
	case (fn == operators.Less || fn == operators.LessEquals || fn == operators.Greater || fn == operators.GreaterEquals) && two:
		return cmpNode{l: vals[0], r: vals[1], op: fn}, key, nil
	case fn == operators.In && two:
		return inNode{x: vals[0], list: vals[1]}, key, nil
	case fn == "startsWith" && two:
		return strPred{vals[0], vals[1], strings.HasPrefix}, key, nil
	case fn == "endsWith" && two:
		return strPred{vals[0], vals[1], strings.HasSuffix}, key, nil
	case fn == "contains" && two:
		return strPred{vals[0], vals[1], strings.Contains}, key, nil
	case fn == "icontains" && two:
		return strPred{vals[0], vals[1], icontains}, key, nil
	case fn == "glob" && two:
		return strPred{vals[0], vals[1], func(s, p string) bool { return globMatch(p, s) }}, key, nil
	case fn == "matches" && two:
		pat, ok := vals[1].(constVal)
		if !ok || pat.v.k != kStr {
			return nil, "", errUnsupported{"matches with a pattern that is not a literal"}
		}
		re, err := regexp.Compile(pat.v.s)
		if err != nil {
			return nil, "", errUnsupported{"matches: " + err.Error()}
		}
		return matchesNode{vals[0], re}, key, nil
	case fn == "path_under" && two:
		if c, ok := vals[1].(constVal); ok && c.v.k == kConstList {
			if n, ok := newPathUnderSet(vals[0], c.v.cl); ok {
				return n, key, nil
			}
		}
		return pathUnderNode{vals[0], vals[1]}, key, nil
	case fn == "any_in" && two:
		return anyInNode{vals[0], vals[1]}, key, nil
	case fn == "present" && len(vals) == 1:
		return presentNode{vals[0]}, key, nil
	}
	// A value-returning call used as a condition (a bool-valued function we do not know).
	return nil, "", errUnsupported{"function " + fn}
}

func (fc *fastCompiler) valExpr(e ast.Expr) (valNode, string, error) {
	switch e.Kind() {
	case ast.LiteralKind:
		v, ok := literal(e.AsLiteral())
		if !ok {
			return nil, "", errUnsupported{"literal of type " + e.AsLiteral().Type().TypeName()}
		}
		return constVal{v}, "c:" + literalKey(v), nil
	case ast.ListKind:
		var elems []fval
		var keys []string
		for _, el := range e.AsList().Elements() {
			if el.Kind() != ast.LiteralKind {
				return nil, "", errUnsupported{"list literal with non-constant elements"}
			}
			v, ok := literal(el.AsLiteral())
			if !ok {
				return nil, "", errUnsupported{"list element type"}
			}
			elems = append(elems, v)
			keys = append(keys, literalKey(v))
		}
		key := "[" + strings.Join(keys, ",") + "]"
		cs, ok := fc.consts[key]
		if !ok {
			cs = newConstSet(elems)
			fc.consts[key] = cs
		}
		return constVal{fval{k: kConstList, cl: cs}}, key, nil
	case ast.IdentKind, ast.SelectKind:
		name, ok := chainName(e)
		if !ok {
			return nil, "", errUnsupported{"field selection"}
		}
		root := name[:strings.IndexByte(name+".", '.')]
		for i := len(fc.scope) - 1; i >= 0; i-- {
			if fc.scope[i] == root {
				if root != name {
					return nil, "", errUnsupported{"field of a comprehension variable"}
				}
				return localVal{depth: i}, localMark + strconv.Itoa(i), nil
			}
		}
		if items, ok := fc.lists[name]; ok && root == name {
			key := "list:" + name
			cs, ok := fc.consts[key]
			if !ok {
				elems := make([]fval, len(items))
				for i, s := range items {
					elems[i] = fval{k: kStr, s: s}
				}
				cs = newConstSet(elems)
				fc.consts[key] = cs
			}
			return constVal{fval{k: kConstList, cl: cs}}, key, nil
		}
		if slot, ok := fc.table.slot[name]; ok {
			return attrVal{slot}, "a:" + name, nil
		}
		if root == BodyIdent && e.Kind() == ast.SelectKind {
			x, k, err := fc.valExpr(e.AsSelect().Operand())
			if err != nil {
				return nil, "", err
			}
			f := e.AsSelect().FieldName()
			return fieldVal{x, f}, joinKey("field:"+f, k), nil
		}
		return nil, "", errUnsupported{"identifier " + name}
	case ast.CallKind:
		call := e.AsCall()
		fn := call.FunctionName()
		args := call.Args()
		if call.IsMemberFunction() {
			args = append([]ast.Expr{call.Target()}, args...)
		}
		if len(args) == 1 && (fn == "basename" || fn == "dirname" || fn == "size") {
			x, k, err := fc.valExpr(args[0])
			if err != nil {
				return nil, "", err
			}
			key := joinKey(fn, k)
			switch fn {
			case "basename":
				return fc.shareVal(strFunc{x, basename}, key), key, nil
			case "dirname":
				return fc.shareVal(strFunc{x, dirname}, key), key, nil
			}
			return sizeVal{x}, key, nil
		}
		if fn == operators.Add && len(args) == 2 {
			x, xk, err := fc.valExpr(args[0])
			if err != nil {
				return nil, "", err
			}
			y, yk, err := fc.valExpr(args[1])
			if err != nil {
				return nil, "", err
			}
			return addVal{x, y}, joinKey("add", xk, yk), nil
		}
		if fn == operators.Index && len(args) == 2 {
			x, xk, err := fc.valExpr(args[0])
			if err != nil {
				return nil, "", err
			}
			i, ik, err := fc.valExpr(args[1])
			if err != nil {
				return nil, "", err
			}
			return indexVal{x, i}, joinKey("index", xk, ik), nil
		}
		// A condition used as a value (x == (a && b)).
		b, k, err := fc.boolExpr(e)
		if err != nil {
			return nil, "", err
		}
		return boolVal{b}, joinKey("bool", k), nil
	case ast.ComprehensionKind:
		b, k, err := fc.boolExpr(e)
		if err != nil {
			return nil, "", err
		}
		return boolVal{b}, joinKey("bool", k), nil
	}
	return nil, "", errUnsupported{fmt.Sprintf("expression kind %v", e.Kind())}
}

// comprehension compiles the exists, all and exists_one macros; others need cel-go.
func (fc *fastCompiler) comprehension(e ast.Expr) (boolNode, string, error) {
	// Recognise the macro by the shape of its expansion: the loop step is
	// `@result || pred` (exists), `@result && pred` (all) or `pred ? @result + 1 : @result`
	// (exists_one, whose result is `@result == 1`).
	comp := e.AsComprehension()
	step := comp.LoopStep()
	if step.Kind() != ast.CallKind || comp.IterVar2() != "" {
		return nil, "", errUnsupported{"comprehension shape"}
	}
	sc := step.AsCall()
	isAccu := func(x ast.Expr) bool { return x.Kind() == ast.IdentKind && x.AsIdent() == comp.AccuVar() }
	var kind string
	var predExpr ast.Expr
	switch args := sc.Args(); {
	case sc.FunctionName() == operators.LogicalOr && len(args) == 2 && isAccu(args[0]):
		kind, predExpr = "exists", args[1]
	case sc.FunctionName() == operators.LogicalAnd && len(args) == 2 && isAccu(args[0]):
		kind, predExpr = "all", args[1]
	case sc.FunctionName() == operators.Conditional && len(args) == 3 && isAccu(args[2]) &&
		comp.Result().Kind() == ast.CallKind && comp.Result().AsCall().FunctionName() == operators.Equals:
		kind, predExpr = "exists_one", args[0]
	default:
		return nil, "", errUnsupported{"comprehension other than exists, all, exists_one"}
	}
	list, lk, err := fc.valExpr(comp.IterRange())
	if err != nil {
		return nil, "", err
	}
	fc.scope = append(fc.scope, comp.IterVar())
	depth := len(fc.scope) - 1
	pred, pk, err := fc.boolExpr(predExpr)
	fc.scope = fc.scope[:depth]
	if err != nil {
		return nil, "", err
	}
	// The comprehension binds its own variable: in its key that is no longer a free variable,
	// so the whole comprehension can be shared unless it reads an outer one.
	pk = strings.ReplaceAll(pk, localMark+strconv.Itoa(depth), "\x01V"+strconv.Itoa(depth))
	return compNode{list: list, pred: pred, depth: depth, kind: kind}, joinKey(kind+"/"+strconv.Itoa(depth), lk, pk), nil
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
