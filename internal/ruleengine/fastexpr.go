package ruleengine

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
)

// Compiling expressions onto the fast path: conditions (boolExprRaw) and values (valExpr).

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
		return fc.logicNode(fn, args[0], args[1])
	case operators.LogicalNot:
		x, k, err := fc.boolExpr(args[0])
		if err != nil {
			return nil, "", err
		}
		return notNode{x}, joinKey("not", k), nil
	}
	return fc.callNode(fn, args)
}

// logicNode compiles && and ||.
func (fc *fastCompiler) logicNode(fn string, x, y ast.Expr) (boolNode, string, error) {
	l, lk, err := fc.boolExpr(x)
	if err != nil {
		return nil, "", err
	}
	r, rk, err := fc.boolExpr(y)
	if err != nil {
		return nil, "", err
	}
	n, key := fc.join(fn, l, lk, r, rk)
	return n, key, nil
}

// join is l && r or l || r, flattening nested chains of the same operator into one node.
func (fc *fastCompiler) join(fn string, l boolNode, lk string, r boolNode, rk string) (boolNode, string) {
	var xs []boolNode
	for _, n := range []boolNode{l, r} {
		switch inner := n.(type) {
		case andNode:
			if fn == operators.LogicalAnd {
				xs = append(xs, inner.xs...)
				continue
			}
		case orNode:
			if fn == operators.LogicalOr {
				xs = append(xs, inner.xs...)
				continue
			}
		}
		xs = append(xs, n)
	}
	if fn == operators.LogicalAnd {
		return andNode{xs}, joinKey("and", lk, rk)
	}
	return orNode{xs}, joinKey("or", lk, rk)
}

// callNode compiles a call other than &&, || and !: its arguments as values, then the node
// for the function, specialized when the shape allows.
func (fc *fastCompiler) callNode(fn string, args []ast.Expr) (boolNode, string, error) {
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
	return genericNode(fn, vals, key)
}

// genericNode is the node for a function over any value nodes.
func genericNode(fn string, vals []valNode, key string) (boolNode, string, error) {
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
	case falcoPreds[fn] != nil && two:
		return strPred{vals[0], vals[1], falcoPreds[fn]}, key, nil
	}
	// A value-returning call used as a condition (a bool-valued function we do not know).
	return nil, "", errUnsupported{"function " + fn}
}

func (fc *fastCompiler) valExpr(e ast.Expr) (valNode, string, error) {
	if name, ok := fc.macroRef(e); ok {
		return fc.macroVal(name)
	}
	switch e.Kind() {
	case ast.LiteralKind:
		v, ok := literal(e.AsLiteral())
		if !ok {
			return nil, "", errUnsupported{"literal of type " + e.AsLiteral().Type().TypeName()}
		}
		return constVal{v}, "c:" + literalKey(v), nil
	case ast.ListKind:
		return fc.listLiteral(e)
	case ast.IdentKind, ast.SelectKind:
		return fc.nameVal(e)
	case ast.CallKind:
		return fc.callVal(e)
	case ast.ComprehensionKind:
		b, k, err := fc.boolExpr(e)
		if err != nil {
			return nil, "", err
		}
		return boolVal{b}, joinKey("bool", k), nil
	}
	return nil, "", errUnsupported{fmt.Sprintf("expression kind %v", e.Kind())}
}

// listLiteral is a list of literals, one constant set per distinct list.
func (fc *fastCompiler) listLiteral(e ast.Expr) (valNode, string, error) {
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
}

// nameVal is a dotted name: a comprehension variable, a list, an attribute or a field of body.
func (fc *fastCompiler) nameVal(e ast.Expr) (valNode, string, error) {
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
}

// callVal is a value-returning call (basename, dirname, size, +, index), or a condition used as
// a value.
func (fc *fastCompiler) callVal(e ast.Expr) (valNode, string, error) {
	call := e.AsCall()
	fn := call.FunctionName()
	args := call.Args()
	if call.IsMemberFunction() {
		args = append([]ast.Expr{call.Target()}, args...)
	}
	if n, key, ok, err := fc.falcoCall(fn, args); ok {
		return n, key, err
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
	if (fn == operators.Add || fn == operators.Index) && len(args) == 2 {
		x, xk, err := fc.valExpr(args[0])
		if err != nil {
			return nil, "", err
		}
		y, yk, err := fc.valExpr(args[1])
		if err != nil {
			return nil, "", err
		}
		if fn == operators.Add {
			return addVal{x, y}, joinKey("add", xk, yk), nil
		}
		return indexVal{x, y}, joinKey("index", xk, yk), nil
	}
	// A condition used as a value (x == (a && b)).
	b, k, err := fc.boolExpr(e)
	if err != nil {
		return nil, "", err
	}
	return boolVal{b}, joinKey("bool", k), nil
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
