package ruleengine

import (
	"fmt"
	"strings"

	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
)

// The fast path: a parsed CEL condition (its macros expanded) compiled into a tree of Go
// nodes that read the record directly (no CEL values, no interface boxing, no per-record
// allocation).
// It implements exactly the CEL semantics the rules rely on (three-valued: true, false, and
// "could not evaluate", which && and || absorb as CEL does and `!` turns into true), and
// identical sub-expressions of all rules (the expanded macros) are shared and evaluated at
// most once per record. A condition using anything it does not implement runs on cel-go.
// TestFastPathAgreesWithCEL checks both give the same answers.

// fastCompiler turns conditions into nodes, sharing identical sub-expressions across rules.
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

	// Conditions come as their scanned pieces: macros compiles a macro's pieces (its parts)
	// where idents, the macro references of the piece being compiled, name one. A macro
	// outside comprehensions is compiled once per pass (macroMemo).
	macros    func(name string) []*scanned
	idents    map[int64]string
	macroMemo map[string]compiled
}

// compiled is a compiled condition and its sharing key.
type compiled struct {
	n   boolNode
	key string
	err error
}

type errUnsupported struct{ what string }

func (e errUnsupported) Error() string { return "not on the fast path: " + e.what }

func newFastCompiler(table *attrTable, lists map[string][]string, macros func(string) []*scanned) *fastCompiler {
	return &fastCompiler{table: table, lists: lists, shared: map[string]*shared{}, consts: map[string]*constSet{},
		counts: map[string]int{}, sharedVals: map[string]*sharedVal{}, macros: macros}
}

// compileRule returns the node of a rule's condition, its parts ANDed and its exceptions
// negated (as Compile expands it), or an error when the condition needs cel-go. Compile
// every rule with count first, then with build: sub-expressions seen more than once in the
// first pass are memoized per record in the second.
func (fc *fastCompiler) compileRule(parts, excs []*scanned, count bool) (n boolNode, err error) {
	if fc.counting != count || fc.macroMemo == nil {
		fc.macroMemo = map[string]compiled{}
	}
	fc.counting = count
	fc.scope = fc.scope[:0]
	defer func() {
		if r := recover(); r != nil {
			n, err = nil, fmt.Errorf("fast path compile: %v", r)
		}
	}()
	terms, err := fc.pieces(parts, true)
	if err != nil {
		return nil, err
	}
	if len(excs) > 0 {
		alts, err := fc.pieces(excs, false) // exceptions are compiled as written
		if err != nil {
			return nil, err
		}
		or := fc.balanced(operators.LogicalOr, alts)
		key := joinKey("not", or.key)
		terms = append(terms, compiled{n: fc.share(notNode{or.n}, key), key: key})
	}
	return fc.balanced(operators.LogicalAnd, terms).n, nil
}

// pieces compiles each piece with its own macro references (none unless expand).
func (fc *fastCompiler) pieces(ps []*scanned, expand bool) ([]compiled, error) {
	saved := fc.idents
	defer func() { fc.idents = saved }()
	out := make([]compiled, len(ps))
	for i, p := range ps {
		fc.idents = nil
		if expand {
			fc.idents = p.macroIdents
		}
		n, key, err := fc.boolExpr(p.ast.Expr())
		if err != nil {
			return nil, err
		}
		out[i] = compiled{n: n, key: key}
	}
	return out, nil
}

// balanced joins terms with && or || in the tree shape cel-go's parser gives the text
// "(t1) && (t2) && ...", so keys are those of the expanded text.
func (fc *fastCompiler) balanced(op string, terms []compiled) compiled {
	return balance(terms, func(l, r compiled) compiled {
		n, key := fc.join(op, l.n, l.key, r.n, r.key)
		return compiled{n: fc.share(n, key), key: key}
	})
}

// macroRef reports whether e references a macro in the piece being compiled.
func (fc *fastCompiler) macroRef(e ast.Expr) (string, bool) {
	if e.Kind() != ast.IdentKind {
		return "", false
	}
	name, ok := fc.idents[e.ID()]
	return name, ok
}

// macroBool compiles a macro's expansion where a condition is expected.
func (fc *fastCompiler) macroBool(name string) (boolNode, string, error) {
	memo := len(fc.scope) == 0 // inside a comprehension the expansion may read its variables
	if m, ok := fc.macroMemo[name]; ok && memo {
		if m.err != nil {
			return nil, "", m.err
		}
		return fc.share(m.n, m.key), m.key, nil
	}
	var m compiled
	terms, err := fc.pieces(fc.macros(name), true)
	if err != nil {
		m.err = err
	} else {
		m = fc.balanced(operators.LogicalAnd, terms)
	}
	if memo {
		fc.macroMemo[name] = m
	}
	return m.n, m.key, m.err
}

// macroVal compiles a macro's expansion where a value is expected (m == true).
func (fc *fastCompiler) macroVal(name string) (valNode, string, error) {
	parts := fc.macros(name)
	if len(parts) == 1 {
		saved := fc.idents
		fc.idents = parts[0].macroIdents
		defer func() { fc.idents = saved }()
		return fc.valExpr(parts[0].ast.Expr())
	}
	b, k, err := fc.macroBool(name)
	if err != nil {
		return nil, "", err
	}
	return boolVal{b}, joinKey("bool", k), nil
}

// boolExpr compiles a condition; key identifies it for sharing.
func (fc *fastCompiler) boolExpr(e ast.Expr) (boolNode, string, error) {
	if name, ok := fc.macroRef(e); ok {
		return fc.macroBool(name)
	}
	n, key, err := fc.boolExprRaw(e)
	if err != nil {
		return n, key, err
	}
	return fc.share(n, key), key, nil
}

// share counts a condition in the first pass and, in the second, memoizes it per record when
// it was seen more than once.
func (fc *fastCompiler) share(n boolNode, key string) boolNode {
	if strings.Contains(key, localMark) {
		return n
	}
	if _, leaf := n.(asBool); leaf {
		return n
	}
	if fc.counting {
		fc.counts[key]++
		return n
	}
	if fc.counts[key] < 2 {
		return n
	}
	if s, ok := fc.shared[key]; ok {
		return s
	}
	s := &shared{inner: n, slot: fc.slots}
	fc.slots++
	fc.shared[key] = s
	return s
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

func joinKey(op string, keys ...string) string {
	for _, k := range keys {
		if k == "" {
			return ""
		}
	}
	return op + "(" + strings.Join(keys, ",") + ")"
}
