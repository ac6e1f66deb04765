package ruleengine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"gopkg.in/yaml.v3"
)

type excValue struct {
	s      string
	list   []string // a YAML sequence given as the value (for in, pmatch, intersects)
	isList bool
	node   *yaml.Node
}

type exceptionDef struct {
	name   string
	fields []string
	comps  []string
	single bool
	values [][]excValue
	file   string
	line   int
}

var validComps = map[string]bool{"=": true, "==": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true,
	"startswith": true, "endswith": true, "contains": true, "icontains": true, "in": true, "intersects": true,
	"pmatch": true, "glob": true}

func parseExceptions(it *item, n *yaml.Node) ([]*exceptionDef, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, it.errf(n, "exceptions must be a sequence")
	}
	var out []*exceptionDef
	for _, en := range n.Content {
		e, err := parseException(it, en)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// exceptionKeys splits an exception mapping (ours and Falco's have the same keys) into its
// parts; bad is the first key that is none of them.
func exceptionKeys(en *yaml.Node) (name string, fields, comps, values, bad *yaml.Node) {
	for i := 0; i+1 < len(en.Content); i += 2 {
		k, v := en.Content[i], en.Content[i+1]
		switch k.Value {
		case "name":
			name = v.Value
		case "fields":
			fields = v
		case "comps":
			comps = v
		case "values":
			values = v
		default:
			if bad == nil {
				bad = k
			}
		}
	}
	return
}

// parseException parses one exception: its name, fields (one or a sequence), comparisons and
// value tuples.
func parseException(it *item, en *yaml.Node) (*exceptionDef, error) {
	if en.Kind != yaml.MappingNode {
		return nil, it.errf(en, "each exception must be a mapping with name, fields, values")
	}
	e := &exceptionDef{file: it.file, line: en.Line}
	name, fieldsN, compsN, valuesN, bad := exceptionKeys(en)
	if bad != nil {
		return nil, it.errf(bad, "exception: unknown key %q", bad.Value)
	}
	e.name = name
	if e.name == "" {
		return nil, it.errf(en, "exception without a name")
	}
	if fieldsN != nil {
		if fieldsN.Kind == yaml.ScalarNode {
			e.single = true
			e.fields = []string{fieldsN.Value}
		} else if f, ok := stringSeq(fieldsN); ok && len(f) > 0 {
			e.fields = f
		} else {
			return nil, it.errf(fieldsN, "exception %q: fields must be a field name or a sequence of field names", e.name)
		}
	}
	if compsN != nil {
		if err := e.parseComps(it, compsN); err != nil {
			return nil, err
		}
	}
	if valuesN != nil {
		if err := e.parseValues(it, fieldsN, valuesN); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func (e *exceptionDef) parseComps(it *item, compsN *yaml.Node) error {
	if compsN.Kind == yaml.ScalarNode {
		e.comps = []string{compsN.Value}
	} else if c, ok := stringSeq(compsN); ok {
		e.comps = c
	} else {
		return it.errf(compsN, "exception %q: comps must be a comparison or a sequence of them", e.name)
	}
	if len(e.fields) != 0 && len(e.comps) != len(e.fields) {
		return it.errf(compsN, "exception %q: %d comps for %d fields", e.name, len(e.comps), len(e.fields))
	}
	for _, c := range e.comps {
		if !validComps[strings.ToLower(c)] {
			return it.errf(compsN, "exception %q: unknown comparison %q (want =, !=, <, <=, >, >=, startswith, endswith, contains, icontains, in, intersects, pmatch, glob)", e.name, c)
		}
	}
	return nil
}

// parseValues reads the value tuples: one value each for a single-field exception (or one
// given without fields, appending to an existing one), else a sequence matching fields.
func (e *exceptionDef) parseValues(it *item, fieldsN, valuesN *yaml.Node) error {
	if valuesN.Kind != yaml.SequenceNode {
		return it.errf(valuesN, "exception %q: values must be a sequence", e.name)
	}
	for _, vn := range valuesN.Content {
		var tup []excValue
		if e.single || (fieldsN == nil && vn.Kind == yaml.ScalarNode) {
			v, err := excVal(it, e, vn)
			if err != nil {
				return err
			}
			tup = []excValue{v}
		} else {
			if vn.Kind != yaml.SequenceNode {
				return it.errf(vn, "exception %q: each value must be a tuple [v1, v2, ...] matching fields", e.name)
			}
			if fieldsN != nil && len(vn.Content) != len(e.fields) {
				return it.errf(vn, "exception %q: value tuple has %d elements, want %d (one per field)", e.name, len(vn.Content), len(e.fields))
			}
			for _, c := range vn.Content {
				v, err := excVal(it, e, c)
				if err != nil {
					return err
				}
				tup = append(tup, v)
			}
		}
		e.values = append(e.values, tup)
	}
	return nil
}

func excVal(it *item, e *exceptionDef, n *yaml.Node) (excValue, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		return excValue{s: n.Value, node: n}, nil
	case yaml.SequenceNode:
		l, ok := stringSeq(n)
		if !ok {
			return excValue{}, it.errf(n, "exception %q: nested value lists must hold strings", e.name)
		}
		return excValue{list: l, isList: true, node: n}, nil
	}
	return excValue{}, it.errf(n, "exception %q: bad value", e.name)
}

// appendExceptions applies `override: {exceptions: append}`: a new name adds an exception,
// an existing one gets the values (Falco semantics; fields may then be omitted).
func (r *ruleDef) appendExceptions(it *item, n *yaml.Node, excs []*exceptionDef) error {
	for _, e := range excs {
		var prev *exceptionDef
		for _, o := range r.exceptions {
			if o.name == e.name {
				prev = o
			}
		}
		if prev == nil {
			if len(e.fields) == 0 {
				return it.errf(n, "exception %q: no fields, and the rule has no exception of that name to append values to", e.name)
			}
			r.exceptions = append(r.exceptions, e)
			continue
		}
		if len(e.fields) != 0 && strings.Join(e.fields, ",") != strings.Join(prev.fields, ",") {
			return it.errf(n, "exception %q: appended fields %v differ from the original %v", e.name, e.fields, prev.fields)
		}
		for _, tup := range e.values {
			if len(tup) != len(prev.fields) && !prev.single {
				return it.errf(n, "exception %q: value tuple has %d elements, want %d (one per field)", e.name, len(tup), len(prev.fields))
			}
		}
		prev.values = append(prev.values, e.values...)
	}
	return nil
}

// exceptionText turns an exception into a CEL condition that is true when the record is one
// of the excepted tuples, and the tree parsing it would give when its values are strings or
// booleans (nil otherwise: then the text is parsed). ok is false for an exception with no
// values yet.
func (c *compiler) exceptionText(e *exceptionDef) (t text, tree ast.Expr, ok bool, err error) {
	if len(e.fields) == 0 {
		return text{}, nil, false, fmt.Errorf("no fields")
	}
	if len(e.values) == 0 {
		return text{}, nil, false, nil
	}
	for _, f := range e.fields {
		if !chainRE.MatchString(f) {
			return text{}, nil, false, fmt.Errorf("field %q is not an attribute name", f)
		}
	}
	var tuples [][]excTerm
	for _, tup := range e.values {
		if len(tup) != len(e.fields) {
			return text{}, nil, false, fmt.Errorf("value tuple has %d elements, want %d (one per field)", len(tup), len(e.fields))
		}
		var conj []excTerm
		for i, v := range tup {
			comp := "="
			if len(e.comps) > i {
				comp = strings.ToLower(e.comps[i])
			}
			x, err := c.excCompare(e.fields[i], comp, v)
			if err != nil {
				return text{}, nil, false, err
			}
			conj = append(conj, x)
		}
		tuples = append(tuples, conj)
	}
	return text{s: excString(tuples), file: e.file, line: e.line}, excTree(tuples), true, nil
}

// excTerm is one comparison of an exception: fn applied to args (an operator written infix,
// a method called on args[0], else a function). It is written out as condition text and built
// as the tree parsing that text gives: one description for both.
type excTerm struct {
	fn     string
	member bool
	args   []excArg
}

// excArg is an operand: an attribute, a literal (its text and, for strings and booleans, its
// value), a list of operands, or a list's name.
type excArg struct {
	field, ident string
	lit          string
	val          ref.Val // nil: the literal is an integer, whose text is parsed
	list         []excArg
	isList       bool
}

func (a excArg) String() string {
	switch {
	case a.field != "":
		return a.field
	case a.ident != "":
		return a.ident
	case a.isList:
		els := make([]string, len(a.list))
		for i, x := range a.list {
			els[i] = x.String()
		}
		return "[" + strings.Join(els, ", ") + "]"
	}
	return a.lit
}

func (x excTerm) String() string {
	if op, ok := operators.FindReverseBinaryOperator(x.fn); ok {
		return x.args[0].String() + " " + op + " " + x.args[1].String()
	}
	args := make([]string, len(x.args))
	for i, a := range x.args {
		args[i] = a.String()
	}
	if x.member {
		return args[0] + "." + x.fn + "(" + strings.Join(args[1:], ", ") + ")"
	}
	return x.fn + "(" + strings.Join(args, ", ") + ")"
}

// excString is the exception's condition text: its tuples ORed, each one's terms ANDed.
func excString(tuples [][]excTerm) string {
	alts := make([]string, len(tuples))
	for i, conj := range tuples {
		terms := make([]string, len(conj))
		for j, x := range conj {
			terms[j] = x.String()
		}
		alts[i] = "(" + strings.Join(terms, " && ") + ")"
	}
	return strings.Join(alts, " || ")
}

// excTree is the tree of excString's text, nil if a literal needs parsing.
func excTree(tuples [][]excTerm) ast.Expr {
	g := &grafter{fac: ast.NewExprFactory()}
	alts := make([]ast.Expr, len(tuples))
	for i, conj := range tuples {
		terms := make([]ast.Expr, len(conj))
		for j, x := range conj {
			args := make([]ast.Expr, len(x.args))
			for k, a := range x.args {
				if args[k] = a.tree(g); args[k] == nil {
					return nil
				}
			}
			if x.member {
				terms[j] = g.fac.NewMemberCall(g.id(), x.fn, args[0], args[1:]...)
			} else {
				terms[j] = g.fac.NewCall(g.id(), x.fn, args...)
			}
		}
		alts[i] = g.balanced(operators.LogicalAnd, terms)
	}
	return g.balanced(operators.LogicalOr, alts)
}

func (a excArg) tree(g *grafter) ast.Expr {
	switch {
	case a.field != "":
		names := strings.Split(a.field, ".")
		e := g.fac.NewIdent(g.id(), names[0])
		for _, n := range names[1:] {
			e = g.fac.NewSelect(g.id(), e, n)
		}
		return e
	case a.ident != "":
		return g.fac.NewIdent(g.id(), a.ident)
	case a.isList:
		els := make([]ast.Expr, len(a.list))
		for i, x := range a.list {
			if els[i] = x.tree(g); els[i] == nil {
				return nil
			}
		}
		return g.fac.NewList(g.id(), els, nil)
	case a.val != nil:
		return g.fac.NewLiteral(g.id(), a.val)
	}
	return nil
}

func (c *compiler) excCompare(field, comp string, v excValue) (excTerm, error) {
	ft, ok := knownAttrs[field]
	if !ok {
		ft = typeDyn
	}
	f := excArg{field: field}
	str := func(s string) excArg { return excArg{lit: strconv.Quote(s), val: types.String(s)} }
	lit := func(s string) (excArg, error) {
		switch ft {
		case typeInt:
			if _, err := strconv.ParseInt(s, 0, 64); err != nil {
				return excArg{}, fmt.Errorf("%s is an integer attribute, %q is not an integer", field, s)
			}
			return excArg{lit: s}, nil
		case typeBool:
			if s != "true" && s != "false" {
				return excArg{}, fmt.Errorf("%s is a boolean attribute, %q is not true or false", field, s)
			}
			return excArg{lit: s, val: types.Bool(s == "true")}, nil
		}
		return str(s), nil
	}
	listArg := func() (excArg, error) {
		if !v.isList {
			if _, isList := c.lists[v.s]; isList {
				return excArg{ident: v.s}, nil // a list's name stands for its items
			}
			v.list = []string{v.s}
		}
		l := excArg{isList: true}
		for _, s := range v.list {
			if ft == typeStringList {
				l.list = append(l.list, str(s))
				continue
			}
			el, err := lit(s)
			if err != nil {
				return excArg{}, err
			}
			l.list = append(l.list, el)
		}
		return l, nil
	}
	if ft == typeStringList {
		switch comp {
		case "=", "==", "in", "intersects":
			l, err := listArg()
			if err != nil {
				return excTerm{}, err
			}
			return excTerm{fn: "any_in", args: []excArg{f, l}}, nil
		}
		return excTerm{}, fmt.Errorf("comparison %q does not apply to the list attribute %s (use in or intersects)", comp, field)
	}
	switch comp {
	case "in", "intersects", "pmatch":
		l, err := listArg()
		if err != nil {
			return excTerm{}, err
		}
		switch comp {
		case "in":
			return excTerm{fn: operators.In, args: []excArg{f, l}}, nil
		case "pmatch":
			return excTerm{fn: "path_under", args: []excArg{f, l}}, nil
		}
		return excTerm{fn: "any_in", args: []excArg{{isList: true, list: []excArg{f}}, l}}, nil
	}
	if v.isList {
		return excTerm{}, fmt.Errorf("comparison %q takes a single value, not a list", comp)
	}
	l, err := lit(v.s)
	if err != nil {
		return excTerm{}, err
	}
	args := []excArg{f, l}
	switch comp {
	case "=", "==":
		return excTerm{fn: operators.Equals, args: args}, nil
	case "!=", "<", "<=", ">", ">=":
		op, _ := operators.Find(comp)
		return excTerm{fn: op, args: args}, nil
	case "startswith":
		return excTerm{fn: "startsWith", member: true, args: args}, nil
	case "endswith":
		return excTerm{fn: "endsWith", member: true, args: args}, nil
	case "contains":
		return excTerm{fn: "contains", member: true, args: args}, nil
	case "icontains", "glob":
		return excTerm{fn: comp, args: args}, nil
	}
	return excTerm{}, fmt.Errorf("unknown comparison %q", comp)
}
