package ruleengine

import (
	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
)

// Macro expansion on parsed conditions. Compile expands a rule's condition as text (Rule.Condition)
// and, to type-check it without parsing the expansion again, as a tree: the pieces parsed by
// scan, with macro references replaced by the macros' trees and && and || chains balanced as
// cel-go's parser balances them, so the tree is the one parsing the text would give.

// grafter builds expanded condition trees with fresh expression ids.
type grafter struct {
	c      *compiler
	fac    ast.ExprFactory
	ids    int64
	onCopy func(from, to int64) // if set, told each copied node's old and new id
}

func newGrafter(c *compiler) *grafter { return &grafter{c: c, fac: ast.NewExprFactory()} }

func (g *grafter) id() int64 {
	g.ids++
	return g.ids
}

// rule is the tree of fullCondition's text: the parts (macros expanded) and then the negated
// exceptions (as written: an exception does not expand macros), ANDed.
func (g *grafter) rule(r *ruleDef, excs []text) ast.Expr {
	terms := make([]ast.Expr, 0, len(r.parts)+1)
	for i := range r.parts {
		terms = append(terms, g.piece(g.c.scans[&r.parts[i]], true))
	}
	if len(excs) > 0 {
		alts := make([]ast.Expr, len(excs))
		for i := range excs {
			alts[i] = g.piece(g.c.scans[&excs[i]], false)
		}
		terms = append(terms, g.fac.NewCall(g.id(), operators.LogicalNot, g.balanced(operators.LogicalOr, alts)))
	}
	return g.balanced(operators.LogicalAnd, terms)
}

// macro is a macro's expanded tree: its parts ANDed.
func (g *grafter) macro(name string) ast.Expr {
	m := g.c.d.macros[name]
	terms := make([]ast.Expr, len(m.parts))
	for i := range m.parts {
		terms[i] = g.piece(g.c.scans[&m.parts[i]], true)
	}
	return g.balanced(operators.LogicalAnd, terms)
}

// piece copies one scanned condition, expanding its macro references if expand is set.
func (g *grafter) piece(sc *scanned, expand bool) ast.Expr {
	subst := func(e ast.Expr) (ast.Expr, bool) {
		if name, ok := sc.macroIdents[e.ID()]; ok && expand && e.Kind() == ast.IdentKind {
			return g.macro(name), true
		}
		return nil, false
	}
	return g.copy(sc.ast.Expr(), subst)
}

// balanced joins terms with a logical operator the way cel-go's parser does.
func (g *grafter) balanced(op string, terms []ast.Expr) ast.Expr {
	return balance(terms, func(l, r ast.Expr) ast.Expr { return g.fac.NewCall(g.id(), op, l, r) })
}

// balance joins a chain of terms (t1 op t2 op ...) into the tree cel-go's parser makes of it:
// balanced, the operator in the middle at the root.
func balance[T any](terms []T, join func(l, r T) T) T {
	if len(terms) == 1 {
		return terms[0]
	}
	var tree func(lo, hi int) T // over operator indices: operator i joins terms i and i+1
	tree = func(lo, hi int) T {
		mid := (lo + hi + 1) / 2
		l, r := terms[mid], terms[mid+1]
		if mid != lo {
			l = tree(lo, mid-1)
		}
		if mid != hi {
			r = tree(mid+1, hi)
		}
		return join(l, r)
	}
	return tree(0, len(terms)-2)
}

// copy copies e with fresh ids, replacing the nodes subst replaces.
func (g *grafter) copy(e ast.Expr, subst func(ast.Expr) (ast.Expr, bool)) ast.Expr {
	if r, ok := subst(e); ok {
		return r
	}
	id := g.id()
	if g.onCopy != nil {
		g.onCopy(e.ID(), id)
	}
	switch e.Kind() {
	case ast.CallKind:
		c := e.AsCall()
		args := make([]ast.Expr, len(c.Args()))
		for i, a := range c.Args() {
			args[i] = g.copy(a, subst)
		}
		if c.IsMemberFunction() {
			return g.fac.NewMemberCall(id, c.FunctionName(), g.copy(c.Target(), subst), args...)
		}
		return g.fac.NewCall(id, c.FunctionName(), args...)
	case ast.ComprehensionKind:
		x := e.AsComprehension()
		return g.fac.NewComprehensionTwoVar(id, g.copy(x.IterRange(), subst), x.IterVar(), x.IterVar2(), x.AccuVar(),
			g.copy(x.AccuInit(), subst), g.copy(x.LoopCondition(), subst), g.copy(x.LoopStep(), subst), g.copy(x.Result(), subst))
	case ast.IdentKind:
		return g.fac.NewIdent(id, e.AsIdent())
	case ast.ListKind:
		l := e.AsList()
		elems := make([]ast.Expr, l.Size())
		for i, el := range l.Elements() {
			elems[i] = g.copy(el, subst)
		}
		return g.fac.NewList(id, elems, l.OptionalIndices())
	case ast.LiteralKind:
		return g.fac.NewLiteral(id, e.AsLiteral())
	case ast.MapKind:
		m := e.AsMap()
		entries := make([]ast.EntryExpr, m.Size())
		for i, en := range m.Entries() {
			me := en.AsMapEntry()
			entries[i] = g.fac.NewMapEntry(g.id(), g.copy(me.Key(), subst), g.copy(me.Value(), subst), me.IsOptional())
		}
		return g.fac.NewMap(id, entries)
	case ast.SelectKind:
		s := e.AsSelect()
		if s.IsTestOnly() {
			return g.fac.NewPresenceTest(id, g.copy(s.Operand(), subst), s.FieldName())
		}
		return g.fac.NewSelect(id, g.copy(s.Operand(), subst), s.FieldName())
	case ast.StructKind:
		s := e.AsStruct()
		fields := make([]ast.EntryExpr, len(s.Fields()))
		for i, f := range s.Fields() {
			sf := f.AsStructField()
			fields[i] = g.fac.NewStructField(g.id(), sf.Name(), g.copy(sf.Value(), subst), sf.IsOptional())
		}
		return g.fac.NewStruct(id, s.TypeName(), fields)
	}
	return g.fac.NewUnspecifiedExpr(id)
}

// checkTree type-checks an expanded condition tree; ok is false unless it checks as a
// boolean.
func (c *compiler) checkTree(e ast.Expr) (checked *cel.Ast, ok bool) {
	checked, iss := c.checkExpr(e)
	if iss.Err() != nil || !checked.OutputType().IsExactType(cel.BoolType) {
		return nil, false
	}
	return checked, true
}

// checkExpr type-checks a tree built, not parsed.
func (c *compiler) checkExpr(e ast.Expr) (*cel.Ast, *cel.Issues) {
	opt, err := cel.NewStaticOptimizer(treeOptimizer{e})
	if err != nil { // only for an invalid optimizer, which treeOptimizer is not
		iss := cel.NewIssues(common.NewErrors(nil))
		iss.ReportErrorAtID(e.ID(), "%v", err)
		return nil, iss
	}
	return opt.Optimize(c.env, c.seed)
}

// cel-go makes a checked Ast from a tree only through its optimizer interface: treeOptimizer
// hands it a copy of the tree (whatever Ast it is given, c.seed), which it then renumbers
// and checks.
type treeOptimizer struct{ e ast.Expr }

func (t treeOptimizer) Optimize(*cel.OptimizerContext, *ast.AST) *ast.AST {
	return ast.NewAST(ast.NewExprFactory().CopyExpr(t.e), ast.NewSourceInfo(nil))
}
