package ruleengine

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/cel-go/common/ast"
	"github.com/stretchr/testify/assert"
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
	c, err := prepared(t, srcs, false)
	require.NoError(t, err)
	d := c.d
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

// An exception built as a tree is the tree its text parses to, and checks alike.
func TestExceptionTreeIsTheParsedText(t *testing.T) {
	d := `
- list: tools
  items: [a, b]
- rule: r
  desc: d
  condition: event.name == "process.exec"
  output: o
  priority: info
  exceptions:
    - {name: eq, fields: [process.executable.name, process.parent.executable.name], values: [[a, b], ["c\"q", "\u00e9\u0085"]]}
    - {name: comps, fields: [file.path, file.path, file.path, file.path, file.path, file.path, file.path],
       comps: ["!=", startswith, endswith, contains, icontains, glob, "<"], values: [[a, b, c, d, e, "/x/*", m]]}
    - {name: lists, fields: [process.executable.name, file.path, process.parent.executable.name, process.command_args, custom.dyn],
       comps: [in, pmatch, intersects, intersects, in], values: [[[a, b], [/etc, /usr], tools, [x], tools]]}
    - {name: single, fields: process.executable.name, values: [a, b, tools]}
    - {name: bool, fields: [process.interactive], values: [["true"]]}
    - {name: int, fields: [process.pid], comps: [in], values: [[["1", "0x10"]]]}
`
	c, err := prepared(t, []Source{{Name: "a.yaml", Data: []byte(d)}}, false)
	require.NoError(t, err)
	excs := c.excTexts[c.d.ruleOrder[0]]
	require.Len(t, excs, 6)
	for i := range excs {
		tree, built := c.built[&excs[i]]
		assert.Equal(t, i != 5, built, "every exception but the one with integers is built: %s", excs[i].s)
		if !built {
			continue
		}
		fromText, iss := c.env.Compile(excs[i].s)
		require.NoError(t, iss.Err(), excs[i].s)
		fromTree, iss := c.checkExpr(tree)
		require.NoError(t, iss.Err(), excs[i].s)
		require.Equal(t, treeString(fromText.NativeRep(), fromText.NativeRep().Expr()),
			treeString(fromTree.NativeRep(), fromTree.NativeRep().Expr()), excs[i].s)
	}
}

// prepared runs Compile up to the rules compiled one by one (parseWhole: every condition
// parsed whole); the error is prepare's.
func prepared(t *testing.T, srcs []Source, parseWhole bool) (*compiler, error) {
	t.Helper()
	var items []*item
	for _, s := range srcs {
		its, err := parseSource(s)
		require.NoError(t, err)
		items = append(items, its...)
	}
	d, err := resolve(items)
	require.NoError(t, err)
	c := newCompiler(d)
	c.parseWhole = parseWhole
	return c, c.prepare()
}

// treeString prints a checked tree without its ids: every node with its checked type. A
// dotted name prints the same as a select chain or as the identifier cel-go's checker makes
// of it.
func treeString(a *ast.AST, e ast.Expr) string {
	var b strings.Builder
	var walk func(e ast.Expr)
	walk = func(e ast.Expr) {
		fmt.Fprintf(&b, "<%s>", a.GetType(e.ID()))
		if name, ok := chainName(e); ok {
			b.WriteString(name)
			return
		}
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

// A condition assembled from the terms of its && chain is the tree parsing it whole gives,
// with the same macro references at the same offsets.
func TestAssembledChainIsTheParsedText(t *testing.T) {
	srcs := append(generatedRuleset(t, 300), Source{Name: "extra.yaml", Data: []byte(`
- macro: m
  condition: event.name == "file.open"
- rule: tricky strings
  desc: d
  condition: >-
    m && file.path == "a && b" && process.command_line == 'x || y' && file.path != r"c\d && e" &&
    process.executable.name == """t && "u" """ && [1, 2].exists(x, x > 1 && x < 3) && {"k": "v"}["k"] == "v"
  output: o
  priority: info
- rule: not a chain
  desc: d
  condition: m && (file.path == "x" || m) || file.path == "y"
  output: o
  priority: info
`)})
	scansOf := func(whole bool) (*compiler, []piece) {
		c, err := prepared(t, srcs, whole)
		require.NoError(t, err)
		return c, c.pieces()
	}
	whole, wholePieces := scansOf(true)
	chained, chainedPieces := scansOf(false)
	require.Equal(t, len(wholePieces), len(chainedPieces))
	assembled := 0
	for i := range wholePieces {
		w, c := whole.scans[wholePieces[i].t], chained.scans[chainedPieces[i].t]
		require.Equal(t, w.t.s, c.t.s)
		require.Equal(t, treeString(w.ast, w.ast.Expr()), treeString(c.ast, c.ast.Expr()), c.t.s)
		require.Equal(t, w.macros, c.macros, c.t.s)
		require.Equal(t, sortedValues(w.macroIdents), sortedValues(c.macroIdents), c.t.s)
		if c.parsed == nil && chained.built[chainedPieces[i].t] == nil {
			assembled++
		}
	}
	require.Greater(t, assembled, 200, "most rule conditions are chains")
}

func sortedValues(m map[int64]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

func TestSplitConjuncts(t *testing.T) {
	for s, want := range map[string][]string{
		`a && b`:                         {`a `, ` b`},
		`a && (b || c) && d`:             {`a `, ` (b || c) `, ` d`},
		`f("&&") && 'x||y' && r"\" && g`: {`f("&&") `, ` 'x||y' `, ` r"\" `, ` g`},
		`"""a " && b""" && c`:            {`"""a " && b""" `, ` c`},
		`a || b && c`:                    nil,
		`a ? b : c && d`:                 nil,
		`a && b // c && d`:               nil,
		`a`:                              nil,
		`a && `:                          nil,
		`(a && b`:                        nil,
		`a & b && c`:                     nil,
	} {
		spans, ok := splitConjuncts([]rune(s))
		var got []string
		for _, sp := range spans {
			got = append(got, string([]rune(s)[sp[0]:sp[1]]))
		}
		assert.Equal(t, want != nil, ok, s)
		if ok {
			assert.Equal(t, want, got, s)
		}
	}
}

// Checking a chain term by term finds what checking it whole does, and reports it the same.
func TestAssembledChainErrorsAsWhole(t *testing.T) {
	for _, cond := range []string{
		`event.name == "x" && process.pid`,
		`event.name == "x" && process.pid == "1" && file.path == "a"`,
		`event.name == "x" && custom.dyn && file.path.startsWith(1)`,
		`event.name == "x" && nope && file.path == "a"`,
		`event.name == "x" && present("not a name") && file.path == "a"`,
		`event.name == "x" && file.path.matches("(") && file.path == "a"`,
		`event.name == "x" && (file.path == "a" && 1)`,
		`event.name == "x" && custom.dyn && process.pid > 1`, // fine: dyn is a bool as far as && knows
	} {
		src := Source{Name: "a.yaml", Data: []byte("- rule: r\n  desc: d\n  condition: '" + cond + "'\n  output: o\n  priority: info\n")}
		errOf := func(whole bool) string {
			if _, err := prepared(t, []Source{src}, whole); err != nil {
				return err.Error()
			}
			return ""
		}
		whole, chained := errOf(true), errOf(false)
		assert.Equal(t, whole, chained, cond)
		assert.Equal(t, !strings.HasPrefix(cond, `event.name == "x" && custom.dyn && process.pid > 1`), chained != "", "%s: %s", cond, chained)
	}
}
