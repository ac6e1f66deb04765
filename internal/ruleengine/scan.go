package ruleengine

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
)

var (
	identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	chainRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)
)

var celReserved = map[string]bool{"as": true, "break": true, "const": true, "continue": true, "else": true,
	"for": true, "function": true, "if": true, "import": true, "let": true, "loop": true, "package": true,
	"namespace": true, "return": true, "var": true, "void": true, "while": true, "in": true, "null": true,
	"true": true, "false": true}

// owner names the item a piece of text belongs to, for errors.
type owner struct {
	kind, name string
}

// scanned is a condition after parsing: its text (present("x") rewritten to present(x)) and
// the rune offsets of macro references to expand.
type scanned struct {
	t      text
	s      []rune
	parsed *cel.Ast    // s parsed; nil when built (an exception) or assembled (a chain of &&)
	ast    *ast.AST    // parsed.NativeRep(), or the built or assembled tree
	terms  []*conjunct // the terms an assembled tree is made of
	macros []macroRef
	// macroIdents are the identifier nodes in ast that reference a macro, by id.
	macroIdents map[int64]string
}

type macroRef struct {
	name  string
	start int // rune offset in s
}

// chainName is the dotted name of an identifier or a select chain on one (a.b.c).
func chainName(e ast.Expr) (string, bool) {
	switch e.Kind() {
	case ast.IdentKind:
		return e.AsIdent(), true
	case ast.SelectKind:
		sel := e.AsSelect()
		if sel.IsTestOnly() {
			return "", false
		}
		base, ok := chainName(sel.Operand())
		if !ok {
			return "", false
		}
		return base + "." + sel.FieldName(), true
	}
	return "", false
}

// visit calls f for each maximal identifier chain and each call, walking into everything else.
func visit(e ast.Expr, onChain func(name string, e ast.Expr), onCall func(e ast.Expr)) {
	if name, ok := chainName(e); ok {
		onChain(name, e)
		return
	}
	switch e.Kind() {
	case ast.SelectKind:
		visit(e.AsSelect().Operand(), onChain, onCall)
	case ast.CallKind:
		call := e.AsCall()
		onCall(e)
		if call.IsMemberFunction() {
			visit(call.Target(), onChain, onCall)
		}
		for _, a := range call.Args() {
			visit(a, onChain, onCall)
		}
	case ast.ListKind:
		for _, el := range e.AsList().Elements() {
			visit(el, onChain, onCall)
		}
	case ast.MapKind:
		for _, en := range e.AsMap().Entries() {
			me := en.AsMapEntry()
			visit(me.Key(), onChain, onCall)
			visit(me.Value(), onChain, onCall)
		}
	case ast.StructKind:
		for _, f := range e.AsStruct().Fields() {
			visit(f.AsStructField().Value(), onChain, onCall)
		}
	case ast.ComprehensionKind:
		comp := e.AsComprehension()
		visit(comp.IterRange(), onChain, onCall)
		visit(comp.AccuInit(), onChain, onCall)
		visit(comp.LoopCondition(), onChain, onCall)
		visit(comp.LoopStep(), onChain, onCall)
		visit(comp.Result(), onChain, onCall)
	}
}

func comprehensionVars(e ast.Expr) map[string]bool {
	vars := map[string]bool{}
	ast.PostOrderVisit(e, ast.NewExprVisitor(func(x ast.Expr) {
		if x.Kind() == ast.ComprehensionKind {
			comp := x.AsComprehension()
			vars[comp.IterVar()] = true
			if v2 := comp.IterVar2(); v2 != "" {
				vars[v2] = true
			}
			vars[comp.AccuVar()] = true
		}
	}))
	return vars
}

// scanAll scans every piece of condition: parses each (in parallel: parsing is most of the
// work of compiling), rewrites present("a.b") into present(a.b), then, in order, records the
// attributes it reads and finds its macro references. Unknown bare identifiers are errors;
// the error is the first in order.
func (c *compiler) scanAll(ps []piece) error {
	parsed := make([]struct {
		p     *parsedCondition
		runes []rune
		err   error
	}, len(ps))
	c.progress.begin("parsing", len(ps))
	inParallel(len(ps), func(i int) {
		r := &parsed[i]
		r.p, r.runes, r.err = c.parsePiece(ps[i].t, ps[i].o)
		c.progress.add()
	})
	for i, r := range parsed {
		if r.err != nil {
			return r.err
		}
		sc, err := c.collectRefs(r.p, r.runes)
		if err != nil {
			return err
		}
		c.scans[ps[i].t] = sc
	}
	return nil
}

// parsePiece parses one condition with present("a.b") rewritten to present(a.b); an
// exception built as a tree is not parsed.
func (c *compiler) parsePiece(t *text, o owner) (*parsedCondition, []rune, error) {
	runes := []rune(t.s)
	if tree, ok := c.built[t]; ok {
		a := ast.NewAST(tree, ast.NewSourceInfo(nil))
		return &parsedCondition{t: t, o: o, ast: a, info: a.SourceInfo()}, runes, nil
	}
	parse := func(runes []rune) (*parsedCondition, error) {
		if !c.parseWhole {
			if a, terms := c.parseChain(runes); a != nil {
				return &parsedCondition{t: t, o: o, ast: a, info: a.SourceInfo(), terms: terms}, nil
			}
		}
		return c.parseCondition(t, o, runes)
	}
	p, err := parse(runes)
	if err != nil {
		return nil, nil, err
	}
	rewritten, err := p.rewritePresent(runes)
	if err != nil {
		return nil, nil, err
	}
	if rewritten != nil {
		runes = rewritten
		if p, err = parse(runes); err != nil {
			return nil, nil, err
		}
	}
	return p, runes, nil
}

// parsedCondition is one parse of a condition, with what errors need to point into its text.
type parsedCondition struct {
	t      *text
	o      owner
	parsed *cel.Ast
	ast    *ast.AST
	info   *ast.SourceInfo
	terms  []*conjunct // the terms it was assembled from, if it was
}

func (c *compiler) parseCondition(t *text, o owner, runes []rune) (*parsedCondition, error) {
	parsed, iss := c.parseEnv.Parse(string(runes))
	if iss.Err() != nil {
		if errs := iss.Errors(); len(errs) > 0 && errs[0].Location.Line() < 1 && strings.Contains(errs[0].Message, "recursion limit") {
			// cel-go gives no position for this one: find where the nesting gets too deep.
			line, col := lineCol(runes, c.recursionPoint(runes))
			return nil, errAt(t, o, line, col, "invalid condition: "+errs[0].Message+"")
		}
		return nil, issuesErr(t, o, iss, "invalid condition")
	}
	native := parsed.NativeRep()
	return &parsedCondition{t: t, o: o, parsed: parsed, ast: native, info: native.SourceInfo()}, nil
}

// recursionPoint is the rune offset at which parsing runes first exceeds cel-go's recursion
// limit: the shortest prefix that already does ends there.
func (c *compiler) recursionPoint(runes []rune) int {
	lo, hi := 0, len(runes) // the prefix of length hi exceeds it
	for lo < hi {
		mid := (lo + hi) / 2
		_, iss := c.parseEnv.Parse(string(runes[:mid]))
		if errs := iss.Errors(); len(errs) > 0 && strings.Contains(errs[0].Message, "recursion limit") {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return max(hi-1, 0)
}

// lineCol turns a rune offset into a 1-based line and 0-based column, as cel-go counts them.
func lineCol(runes []rune, off int) (line, col int) {
	line = 1
	for _, r := range runes[:off] {
		if r == '\n' {
			line, col = line+1, 0
		} else {
			col++
		}
	}
	return line, col
}

// offset is the rune offset where e starts in the condition, -1 if unknown.
func (p *parsedCondition) offset(e ast.Expr) int {
	if r, ok := p.info.GetOffsetRange(e.ID()); ok {
		return int(r.Start)
	}
	return -1
}

func (p *parsedCondition) errAt(e ast.Expr, msg string) error {
	loc := p.info.GetStartLocation(e.ID())
	return errAt(p.t, p.o, loc.Line(), loc.Column(), msg)
}

// rewritePresent returns the condition with every present("a.b") written as present(a.b), or
// nil when it has none.
func (p *parsedCondition) rewritePresent(runes []rune) ([]rune, error) {
	type span struct {
		start, end int
		name       string
	}
	var spans []span
	var rewriteErr error
	visit(p.ast.Expr(), func(string, ast.Expr) {}, func(call ast.Expr) {
		ce := call.AsCall()
		if ce.FunctionName() != "present" || len(ce.Args()) != 1 || ce.IsMemberFunction() {
			return
		}
		arg := ce.Args()[0]
		if arg.Kind() != ast.LiteralKind {
			return
		}
		s, ok := arg.AsLiteral().(types.String)
		if !ok {
			return
		}
		if !chainRE.MatchString(string(s)) {
			rewriteErr = p.errAt(arg, fmt.Sprintf("present(%q): not an attribute name", string(s)))
			return
		}
		start, end, ok := stringLiteralExtent(runes, p.offset(arg), string(s))
		if !ok {
			rewriteErr = p.errAt(arg, "present() takes an attribute name as a plain string literal")
			return
		}
		spans = append(spans, span{start, end, string(s)})
	})
	if rewriteErr != nil {
		return nil, rewriteErr
	}
	if len(spans) == 0 {
		return nil, nil
	}
	// Rewrite from the end so earlier offsets stay valid.
	sort.Slice(spans, func(i, j int) bool { return spans[i].start > spans[j].start })
	for _, sp := range spans {
		runes = append(append(append([]rune{}, runes[:sp.start]...), []rune(sp.name)...), runes[sp.end:]...)
	}
	return runes, nil
}

// stringLiteralExtent finds the exact extent [start, end) of the string literal [r]"s", 's' or
// """s""" that starts at rune offset start; ok is false unless it is such a plain literal.
func stringLiteralExtent(runes []rune, start int, s string) (int, int, bool) {
	i := start
	if i >= 0 && i < len(runes) && (runes[i] == 'r' || runes[i] == 'R') {
		i++
	}
	quotes := 0
	for i+quotes < len(runes) && quotes < 3 && (runes[i+quotes] == '"' || runes[i+quotes] == '\'') && runes[i+quotes] == runes[i] {
		quotes++
	}
	if quotes == 2 { // "" is an empty string, not a triple quote
		quotes = 1
	}
	body := i + quotes
	end := body + len([]rune(s)) + quotes
	if start < 0 || quotes == 0 || end > len(runes) || string(runes[body:end-quotes]) != s ||
		strings.Trim(string(runes[end-quotes:end]), string(runes[i])) != "" {
		return 0, 0, false
	}
	return start, end, true
}

// checkRegexp reports an invalid literal pattern of matches() where it is written (cel-go
// finds it only when making a program, and says neither where nor in which rule piece).
func (p *parsedCondition) checkRegexp(call ast.Expr) error {
	ce := call.AsCall()
	args := ce.Args()
	if ce.FunctionName() != "matches" || len(args) == 0 {
		return nil
	}
	pat := args[len(args)-1]
	if pat.Kind() != ast.LiteralKind {
		return nil
	}
	s, ok := pat.AsLiteral().(types.String)
	if !ok {
		return nil
	}
	if _, err := regexp.Compile(string(s)); err != nil {
		return p.errAt(pat, fmt.Sprintf("invalid regular expression %q: %v", string(s), err))
	}
	return nil
}

// collectRefs records the attributes the condition reads and where it references macros.
func (c *compiler) collectRefs(p *parsedCondition, runes []rune) (*scanned, error) {
	compVars := comprehensionVars(p.ast.Expr())
	sc := &scanned{t: *p.t, s: runes, parsed: p.parsed, ast: p.ast, terms: p.terms}
	var scanErr error
	seen := map[int]bool{}
	visit(p.ast.Expr(), func(name string, e ast.Expr) {
		if scanErr != nil {
			return
		}
		root := name
		if i := strings.IndexByte(name, '.'); i >= 0 {
			root = name[:i]
		}
		if compVars[root] {
			return
		}
		if root == BodyIdent {
			c.attrs[BodyIdent] = typeDyn
			return
		}
		if !strings.Contains(name, ".") {
			if _, ok := c.d.lists[name]; ok {
				return
			}
			if _, ok := c.d.macros[name]; ok {
				if sc.macroIdents == nil {
					sc.macroIdents = map[int64]string{}
				}
				sc.macroIdents[e.ID()] = name
				start := p.offset(e)
				if start >= 0 && !seen[start] {
					seen[start] = true
					sc.macros = append(sc.macros, macroRef{name: name, start: start})
				}
				return
			}
			if _, ok := knownAttrs[name]; !ok {
				scanErr = p.errAt(e, fmt.Sprintf("unknown identifier %q: not a list, a macro or an attribute (attributes have dotted names)", name))
				return
			}
		}
		c.useAttr(name)
		c.warnUnknownAttr(name, p.t.file, p.t.line, p.o.name, p.o.kind)
	}, func(call ast.Expr) {
		if scanErr == nil {
			scanErr = p.checkRegexp(call)
		}
	})
	if scanErr != nil {
		return nil, scanErr
	}
	sort.Slice(sc.macros, func(i, j int) bool { return sc.macros[i].start < sc.macros[j].start })
	return sc, nil
}

func (c *compiler) useAttr(name string) {
	if _, ok := c.attrs[name]; ok {
		return
	}
	if t, ok := knownAttrs[name]; ok {
		c.attrs[name] = t
	} else {
		c.attrs[name] = typeDyn
	}
}

func (c *compiler) warnUnknownAttr(name, file string, line int, item, kind string) {
	if _, ok := knownAttrs[name]; ok {
		return
	}
	root := name[:strings.IndexByte(name+".", '.')]
	if !contractNamespaces[root] {
		return
	}
	msg := fmt.Sprintf("attribute %q is not in the otelsec event contract (a typo?); it is read as dyn and is absent from otelsec records", name)
	switch kind {
	case "output":
		msg = "output: " + msg
	case "macro":
		msg = fmt.Sprintf("macro %q: %s", item, msg)
		item = ""
	}
	for _, w := range c.warnings {
		if w.File == file && w.Line == line && w.Msg == msg {
			return
		}
	}
	c.warnings = append(c.warnings, Warning{File: file, Line: line, Rule: item, Msg: msg})
}
