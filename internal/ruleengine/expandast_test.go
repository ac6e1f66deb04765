package ruleengine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/cel-go/common/ast"
	"github.com/stretchr/testify/require"
)

// The expanded tree Compile type-checks is the tree parsing the expanded text gives: the same
// when printed back, so cel-go and the fast path see what they saw when the text was parsed.
func TestExpandedTreeIsTheParsedText(t *testing.T) {
	srcs := generatedRuleset(t, 300) // the default ruleset's lists, macros and rules, and variants
	srcs = append(srcs, Source{Name: "extra.yaml", Data: []byte(`
- macro: m1
  condition: event.name == "process.exec"
- macro: m1
  condition: process.pid > 1
  override: {condition: append}
- macro: m2
  condition: 'm1 || (m1 && [1, 2].exists(x, x > 1)) || {"a": 1}["a"] == 1' 
- rule: nested
  desc: d
  condition: m2 && !m1 && (m2 || m2) && process.command_args.all(a, a != "m1")
  output: o
  priority: WARNING
  exceptions:
    - {name: e1, fields: [process.executable.name, process.pid], comps: [in, "="], values: [[[a, b], "3"]]}
    - {name: e2, fields: process.command_line, comps: startswith, values: [x, y]}
- rule: nested
  condition: m1 && m2
  override: {condition: append}
`)})
	var items []*item
	for _, s := range srcs {
		its, err := parseSource(s)
		require.NoError(t, err)
		items = append(items, its...)
	}
	d, err := resolve(items)
	require.NoError(t, err)
	c := newCompiler(d)
	require.NoError(t, c.prepare())
	require.Greater(t, len(d.ruleOrder), 300)
	for _, r := range d.ruleOrder {
		full, err := c.fullCondition(r, c.excTexts[r])
		require.NoError(t, err)
		fromText, iss := c.env.Compile(full)
		require.NoError(t, iss.Err(), r.name)
		fromTree, ok := c.checkTree(c.graft.rule(r, c.excTexts[r]))
		require.True(t, ok, r.name)
		require.Equal(t, treeString(fromText.NativeRep(), fromText.NativeRep().Expr()),
			treeString(fromTree.NativeRep(), fromTree.NativeRep().Expr()), r.name)
		// What the pieces require of event.name, macros followed, is what the expansion does.
		require.Equal(t, c.eventReq(fromText.NativeRep().Expr(), nil), c.ruleReq(c.rulePieces(r, c.excTexts[r]).parts), r.name)
	}
}

// treeString prints a checked tree without its ids: every node with its checked type.
func treeString(a *ast.AST, e ast.Expr) string {
	var b strings.Builder
	var walk func(e ast.Expr)
	walk = func(e ast.Expr) {
		fmt.Fprintf(&b, "<%s>", a.GetType(e.ID()))
		switch e.Kind() {
		case ast.CallKind:
			c := e.AsCall()
			b.WriteString(c.FunctionName() + "(")
			if c.IsMemberFunction() {
				walk(c.Target())
				b.WriteString(";")
			}
			for _, x := range c.Args() {
				walk(x)
				b.WriteString(",")
			}
			b.WriteString(")")
		case ast.ComprehensionKind:
			x := e.AsComprehension()
			fmt.Fprintf(&b, "comp[%s,%s,%s](", x.IterVar(), x.IterVar2(), x.AccuVar())
			for _, y := range []ast.Expr{x.IterRange(), x.AccuInit(), x.LoopCondition(), x.LoopStep(), x.Result()} {
				walk(y)
				b.WriteString(",")
			}
			b.WriteString(")")
		case ast.IdentKind:
			b.WriteString(e.AsIdent())
		case ast.ListKind:
			b.WriteString("[")
			for _, x := range e.AsList().Elements() {
				walk(x)
				b.WriteString(",")
			}
			b.WriteString("]")
		case ast.LiteralKind:
			fmt.Fprintf(&b, "%T(%v)", e.AsLiteral(), e.AsLiteral())
		case ast.MapKind:
			b.WriteString("{")
			for _, en := range e.AsMap().Entries() {
				walk(en.AsMapEntry().Key())
				b.WriteString(":")
				walk(en.AsMapEntry().Value())
				b.WriteString(",")
			}
			b.WriteString("}")
		case ast.SelectKind:
			s := e.AsSelect()
			walk(s.Operand())
			fmt.Fprintf(&b, ".%s(test=%v)", s.FieldName(), s.IsTestOnly())
		default:
			fmt.Fprintf(&b, "kind%d", e.Kind())
		}
	}
	walk(e)
	return b.String()
}
