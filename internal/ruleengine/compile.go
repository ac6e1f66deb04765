package ruleengine

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"

	"github.com/otelsec/otelsec/internal/schema"
)

type ruleProgram = cel.Program

var (
	identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	chainRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)
)

var mitreTagRE = regexp.MustCompile(`^(?i:mitre_|T\d|TA\d)`)

func category(tags []string) string {
	for _, t := range tags {
		if !mitreTagRE.MatchString(t) {
			return t
		}
	}
	return ""
}

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
	macros []macroRef
}

type macroRef struct {
	name  string
	start int
}

type compiler struct {
	d        *definitions
	parseEnv *cel.Env
	env      *cel.Env
	attrs    map[string]attrType // every attribute any condition reads
	lists    map[string][]string // resolved list items
	warnings []Warning
	expanded map[string]string // macro name -> expanded condition
	scans    map[*text]*scanned
}

// Compile parses, resolves and compiles rule sources into an Engine. Errors are *Error values
// naming the file, line (and column when known) and item. Warnings do not stop compilation.
func Compile(srcs []Source, opts Options) (*Engine, []Warning, error) {
	var items []*item
	for _, s := range srcs {
		its, err := parseSource(s)
		if err != nil {
			return nil, nil, err
		}
		items = append(items, its...)
	}
	d, err := resolve(items)
	if err != nil {
		return nil, nil, err
	}
	c := &compiler{d: d, attrs: map[string]attrType{}, lists: map[string][]string{}, expanded: map[string]string{},
		scans: map[*text]*scanned{}}
	e, err := c.compile(opts)
	if err != nil {
		return nil, nil, err
	}
	return e, c.warnings, nil
}

func (c *compiler) compile(opts Options) (*Engine, error) {
	var err error
	if c.parseEnv, err = cel.NewEnv(); err != nil {
		return nil, err
	}
	if err := c.checkNames(); err != nil {
		return nil, err
	}
	for name, l := range c.d.lists {
		items, err := c.resolveList(name, nil)
		if err != nil {
			return nil, &Error{File: l.file, Line: l.line, Kind: "list", Item: name, Msg: err.Error()}
		}
		c.lists[name] = items
	}
	// Exceptions become condition text appended to their rule.
	excTexts := map[*ruleDef][]text{}
	for _, r := range c.d.ruleOrder {
		for _, e := range r.exceptions {
			t, ok, err := c.exceptionText(e)
			if err != nil {
				return nil, &Error{File: e.file, Line: e.line, Kind: "rule", Item: r.name, Msg: fmt.Sprintf("exception %q: %v", e.name, err)}
			}
			if ok {
				excTexts[r] = append(excTexts[r], t)
			}
		}
	}
	// Scan every condition for identifiers, in a stable order.
	macroNames := sortedKeys(c.d.macros)
	for _, name := range macroNames {
		m := c.d.macros[name]
		for i := range m.parts {
			if err := c.scan(&m.parts[i], owner{"macro", name}); err != nil {
				return nil, err
			}
		}
	}
	for _, r := range c.d.ruleOrder {
		for i := range r.parts {
			if err := c.scan(&r.parts[i], owner{"rule", r.name}); err != nil {
				return nil, err
			}
		}
		ts := excTexts[r]
		for i := range ts {
			if err := c.scan(&ts[i], owner{"rule", r.name}); err != nil {
				return nil, err
			}
		}
	}
	if err := c.buildEnv(); err != nil {
		return nil, err
	}
	// Type-check each piece on its own so errors point into the text the user wrote.
	for _, name := range macroNames {
		for i := range c.d.macros[name].parts {
			if err := c.check(&c.d.macros[name].parts[i], owner{"macro", name}); err != nil {
				return nil, err
			}
		}
	}
	for _, r := range c.d.ruleOrder {
		for i := range r.parts {
			if err := c.check(&r.parts[i], owner{"rule", r.name}); err != nil {
				return nil, err
			}
		}
		ts := excTexts[r]
		for i := range ts {
			if err := c.check(&ts[i], owner{"rule", r.name}); err != nil {
				return nil, err
			}
		}
	}
	e := &Engine{matchAll: opts.MatchAll, lists: c.lists, attrType: c.attrs, celOnly: opts.celOnly}
	e.attrs = newAttrTable()
	for _, name := range sortedKeys(c.attrs) {
		e.attrs.add(name)
	}
	e.attrs.add(EventNameAttr)
	fc := newFastCompiler(e.attrs, c.lists)
	for _, r := range c.d.ruleOrder {
		if !r.enabled || (opts.MinPriority != 0 && r.priority > opts.MinPriority) {
			continue
		}
		var conds []string
		for i := range r.parts {
			x, err := c.expand(c.scans[&r.parts[i]], nil)
			if err != nil {
				return nil, &Error{File: r.file, Line: r.line, Kind: "rule", Item: r.name, Msg: err.Error()}
			}
			conds = append(conds, "("+x+")")
		}
		full := strings.Join(conds, " && ")
		if ts := excTexts[r]; len(ts) > 0 {
			var excs []string
			for i := range ts {
				excs = append(excs, "("+string(c.scans[&ts[i]].s)+")")
			}
			full += " && !(" + strings.Join(excs, " || ") + ")"
		}
		rule := &Rule{Name: r.name, Description: r.desc, Output: r.output.s, Ruleset: r.ruleset, File: r.file,
			Line: r.line, Priority: r.priority, Tags: r.tags, Condition: full, index: len(e.rules),
			output: parseTemplate(r.output.s), Category: category(r.tags)}
		for _, ref := range rule.output.refs {
			if !slices.Contains(rule.OutputFields, ref) {
				rule.OutputFields = append(rule.OutputFields, ref)
			}
		}
		checked, iss := c.env.Compile(full)
		if iss.Err() != nil {
			return nil, &Error{File: r.file, Line: r.line, Kind: "rule", Item: r.name, Msg: "expanded condition: " + iss.Err().Error()}
		}
		prg, err := c.env.Program(checked, cel.EvalOptions(cel.OptOptimize), cel.Functions(notOverload))
		if err != nil {
			return nil, &Error{File: r.file, Line: r.line, Kind: "rule", Item: r.name, Msg: err.Error()}
		}
		rule.prog = prg
		rule.checked = checked
		_, _ = fc.compile(checked.NativeRep(), true)
		rule.req = c.eventReq(checked.NativeRep().Expr())
		if rule.req.any {
			c.warnings = append(c.warnings, Warning{File: r.file, Line: r.line, Rule: r.name,
				Msg: "condition does not restrict event.name: it is evaluated on every record"})
		}
		for _, ref := range rule.output.refs {
			c.warnUnknownAttr(ref, r.output.file, r.output.line, r.name, "output")
		}
		e.rules = append(e.rules, rule)
	}
	for _, rule := range e.rules {
		if fast, err := fc.compile(rule.checked.NativeRep(), false); err == nil {
			rule.fast = fast
		} else {
			rule.slowReason = err.Error()
		}
		rule.checked = nil
	}
	memoSlots, valSlots := fc.slots, fc.vslots
	e.idx = buildIndex(e.rules)
	e.pool.New = func() any {
		return &activation{table: e.attrs, cache: make([]cached, len(e.attrs.names)),
			fcache: make([]fslot, len(e.attrs.names)), memo: make([]memoSlot, memoSlots),
			vmemo: make([]fslot, valSlots)}
	}
	return e, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (c *compiler) checkNames() error {
	for name, l := range c.d.lists {
		if !identRE.MatchString(name) || celReserved[name] {
			return &Error{File: l.file, Line: l.line, Kind: "list", Item: name, Msg: "a list name must be an identifier ([A-Za-z_][A-Za-z0-9_]*, not a CEL keyword)"}
		}
		if m := c.d.macros[name]; m != nil {
			return &Error{File: m.file, Line: m.line, Kind: "macro", Item: name, Msg: fmt.Sprintf("a list of that name exists (%s:%d)", l.file, l.line)}
		}
	}
	for name, m := range c.d.macros {
		if !identRE.MatchString(name) || celReserved[name] {
			return &Error{File: m.file, Line: m.line, Kind: "macro", Item: name, Msg: "a macro name must be an identifier ([A-Za-z_][A-Za-z0-9_]*, not a CEL keyword)"}
		}
	}
	return nil
}

// resolveList expands items that name other lists (Falco allows lists of lists).
func (c *compiler) resolveList(name string, stack []string) ([]string, error) {
	for _, s := range stack {
		if s == name {
			return nil, fmt.Errorf("list cycle: %s -> %s", strings.Join(stack, " -> "), name)
		}
	}
	var out []string
	for _, it := range c.d.lists[name].items {
		if _, isList := c.d.lists[it]; isList && it != name {
			sub, err := c.resolveList(it, append(stack, name))
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
			continue
		}
		out = append(out, it)
	}
	return out, nil
}

// errAt builds an Error for a 1-based line and 0-based column inside t.
func errAt(t *text, o owner, line, col int, msg string) *Error {
	l, cc := t.pos(line, col)
	if cc > 0 {
		msg = fmt.Sprintf("%s (condition column %d)", msg, col+1)
	}
	return &Error{File: t.file, Line: l, Column: cc, Kind: o.kind, Item: o.name, Msg: msg}
}

func issuesErr(t *text, o owner, iss *cel.Issues, what string) error {
	errs := iss.Errors()
	if len(errs) == 0 {
		return &Error{File: t.file, Line: t.line, Kind: o.kind, Item: o.name, Msg: what + ": " + iss.Err().Error()}
	}
	e := errs[0]
	return errAt(t, o, e.Location.Line(), e.Location.Column(), what+": "+e.Message)
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

// scan parses one condition, records the attributes it reads, finds macro references and
// rewrites present("a.b") into present(a.b). Unknown bare identifiers are errors.
func (c *compiler) scan(t *text, o owner) error {
	runes := []rune(t.s)
	for round := 0; ; round++ {
		parsed, iss := c.parseEnv.Parse(string(runes))
		if iss.Err() != nil {
			return issuesErr(t, o, iss, "invalid condition")
		}
		native := parsed.NativeRep()
		info := native.SourceInfo()
		offset := func(e ast.Expr) int {
			if r, ok := info.GetOffsetRange(e.ID()); ok {
				return int(r.Start)
			}
			return -1
		}
		locErr := func(e ast.Expr, msg string) error {
			loc := info.GetStartLocation(e.ID())
			return errAt(t, o, loc.Line(), loc.Column(), msg)
		}
		// present("a.b") -> present(a.b)
		rewrote := false
		var rewriteErr error
		if round == 0 {
			type span struct {
				start, end int
				name       string
			}
			var spans []span
			visit(native.Expr(), func(string, ast.Expr) {}, func(call ast.Expr) {
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
					rewriteErr = locErr(arg, fmt.Sprintf("present(%q): not an attribute name", string(s)))
					return
				}
				// The literal is [r]"name", 'name' or """name""": find its exact extent.
				start := offset(arg)
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
				end := body + len([]rune(string(s))) + quotes
				if start < 0 || quotes == 0 || end > len(runes) || string(runes[body:end-quotes]) != string(s) ||
					strings.Trim(string(runes[end-quotes:end]), string(runes[i])) != "" {
					rewriteErr = locErr(arg, "present() takes an attribute name as a plain string literal")
					return
				}
				end--
				spans = append(spans, span{start, end + 1, string(s)})
			})
			if rewriteErr != nil {
				return rewriteErr
			}
			// Rewrite from the end so earlier offsets stay valid.
			sort.Slice(spans, func(i, j int) bool { return spans[i].start > spans[j].start })
			for _, sp := range spans {
				runes = append(append(append([]rune{}, runes[:sp.start]...), []rune(sp.name)...), runes[sp.end:]...)
				rewrote = true
			}
		}
		if rewrote {
			continue
		}
		compVars := comprehensionVars(native.Expr())
		sc := &scanned{t: *t, s: runes}
		var scanErr error
		seen := map[int]bool{}
		visit(native.Expr(), func(name string, e ast.Expr) {
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
					start := offset(e)
					if start >= 0 && !seen[start] {
						seen[start] = true
						sc.macros = append(sc.macros, macroRef{name: name, start: start})
					}
					return
				}
				if _, ok := knownAttrs[name]; !ok {
					scanErr = locErr(e, fmt.Sprintf("unknown identifier %q: not a list, a macro or an attribute (attributes have dotted names)", name))
					return
				}
			}
			c.useAttr(name)
			c.warnUnknownAttr(name, t.file, t.line, o.name, o.kind)
		}, func(ast.Expr) {})
		if scanErr != nil {
			return scanErr
		}
		sort.Slice(sc.macros, func(i, j int) bool { return sc.macros[i].start < sc.macros[j].start })
		c.scans[t] = sc
		return nil
	}
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

func (c *compiler) buildEnv() error {
	opts := helperFuncs()
	for _, name := range sortedKeys(c.attrs) {
		opts = append(opts, cel.Variable(name, c.attrs[name].cel()))
	}
	for _, name := range sortedKeys(c.lists) {
		opts = append(opts, cel.Constant(name, cel.ListType(cel.StringType), types.NewStringList(types.DefaultTypeAdapter, c.lists[name])))
	}
	for _, name := range sortedKeys(c.d.macros) {
		opts = append(opts, cel.Variable(name, cel.BoolType))
	}
	var err error
	c.env, err = cel.NewEnv(opts...)
	return err
}

func (c *compiler) check(t *text, o owner) error {
	sc := c.scans[t]
	checked, iss := c.env.Compile(string(sc.s))
	if iss.Err() != nil {
		return issuesErr(t, o, iss, "invalid condition")
	}
	if !checked.OutputType().IsExactType(cel.BoolType) {
		return &Error{File: t.file, Line: t.line, Column: t.col, Kind: o.kind, Item: o.name,
			Msg: fmt.Sprintf("condition must be a boolean, it is %s", checked.OutputType())}
	}
	return nil
}

// maxExpanded bounds a condition after macro expansion, so a file of macros that each use the
// previous one twice cannot exhaust memory.
const maxExpanded = 128 << 10

// expand returns the condition with macro references replaced by their (parenthesized)
// expanded conditions.
func (c *compiler) expand(sc *scanned, stack []string) (string, error) {
	if len(sc.macros) == 0 {
		return string(sc.s), nil
	}
	var b strings.Builder
	last := 0
	for _, ref := range sc.macros {
		x, err := c.expandMacro(ref.name, stack)
		if err != nil {
			return "", err
		}
		b.WriteString(string(sc.s[last:ref.start]))
		b.WriteString("(" + x + ")")
		last = ref.start + len([]rune(ref.name))
		if b.Len() > maxExpanded {
			return "", fmt.Errorf("condition is over %d bytes once macros are expanded (macros that use each other several times grow exponentially)", maxExpanded)
		}
	}
	b.WriteString(string(sc.s[last:]))
	return b.String(), nil
}

func (c *compiler) expandMacro(name string, stack []string) (string, error) {
	if x, ok := c.expanded[name]; ok {
		return x, nil
	}
	for i, s := range stack {
		if s == name {
			return "", fmt.Errorf("macro cycle: %s -> %s", strings.Join(stack[i:], " -> "), name)
		}
	}
	m := c.d.macros[name]
	var parts []string
	for i := range m.parts {
		x, err := c.expand(c.scans[&m.parts[i]], append(stack, name))
		if err != nil {
			return "", err
		}
		parts = append(parts, "("+x+")")
	}
	x := strings.Join(parts, " && ")
	c.expanded[name] = x
	return x, nil
}

// exceptionText turns an exception into a CEL condition that is true when the record is one
// of the excepted tuples. ok is false for an exception with no values yet.
func (c *compiler) exceptionText(e *exceptionDef) (text, bool, error) {
	if len(e.fields) == 0 {
		return text{}, false, fmt.Errorf("no fields")
	}
	if len(e.values) == 0 {
		return text{}, false, nil
	}
	for _, f := range e.fields {
		if !chainRE.MatchString(f) {
			return text{}, false, fmt.Errorf("field %q is not an attribute name", f)
		}
	}
	var tuples []string
	for _, tup := range e.values {
		if len(tup) != len(e.fields) {
			return text{}, false, fmt.Errorf("value tuple has %d elements, want %d (one per field)", len(tup), len(e.fields))
		}
		var conj []string
		for i, v := range tup {
			comp := "="
			if len(e.comps) > i {
				comp = strings.ToLower(e.comps[i])
			}
			x, err := c.excCompare(e.fields[i], comp, v)
			if err != nil {
				return text{}, false, err
			}
			conj = append(conj, x)
		}
		tuples = append(tuples, "("+strings.Join(conj, " && ")+")")
	}
	return text{s: strings.Join(tuples, " || "), file: e.file, line: e.line}, true, nil
}

func (c *compiler) excCompare(field, comp string, v excValue) (string, error) {
	ft, ok := knownAttrs[field]
	if !ok {
		ft = typeDyn
	}
	lit := func(s string) (string, error) {
		switch ft {
		case typeInt:
			if _, err := strconv.ParseInt(s, 0, 64); err != nil {
				return "", fmt.Errorf("%s is an integer attribute, %q is not an integer", field, s)
			}
			return s, nil
		case typeBool:
			if s != "true" && s != "false" {
				return "", fmt.Errorf("%s is a boolean attribute, %q is not true or false", field, s)
			}
			return s, nil
		}
		return strconv.Quote(s), nil
	}
	listExpr := func() (string, error) {
		if !v.isList {
			if _, isList := c.lists[v.s]; isList {
				return v.s, nil // a list's name stands for its items
			}
			v.list = []string{v.s}
		}
		var els []string
		for _, s := range v.list {
			if ft == typeStringList {
				els = append(els, strconv.Quote(s))
				continue
			}
			l, err := lit(s)
			if err != nil {
				return "", err
			}
			els = append(els, l)
		}
		return "[" + strings.Join(els, ", ") + "]", nil
	}
	if ft == typeStringList {
		switch comp {
		case "=", "==", "in", "intersects":
			l, err := listExpr()
			if err != nil {
				return "", err
			}
			return "any_in(" + field + ", " + l + ")", nil
		}
		return "", fmt.Errorf("comparison %q does not apply to the list attribute %s (use in or intersects)", comp, field)
	}
	switch comp {
	case "in", "intersects", "pmatch":
		l, err := listExpr()
		if err != nil {
			return "", err
		}
		switch comp {
		case "in":
			return field + " in " + l, nil
		case "pmatch":
			return "path_under(" + field + ", " + l + ")", nil
		}
		return "any_in([" + field + "], " + l + ")", nil
	}
	if v.isList {
		return "", fmt.Errorf("comparison %q takes a single value, not a list", comp)
	}
	l, err := lit(v.s)
	if err != nil {
		return "", err
	}
	switch comp {
	case "=", "==":
		return field + " == " + l, nil
	case "!=", "<", "<=", ">", ">=":
		return field + " " + comp + " " + l, nil
	case "startswith":
		return field + ".startsWith(" + l + ")", nil
	case "endswith":
		return field + ".endsWith(" + l + ")", nil
	case "contains":
		return field + ".contains(" + l + ")", nil
	case "icontains":
		return "icontains(" + field + ", " + l + ")", nil
	case "glob":
		return "glob(" + field + ", " + l + ")", nil
	}
	return "", fmt.Errorf("unknown comparison %q", comp)
}

// eventReq is what a condition requires of event.name: any, or one of names / prefixes.
type eventReq struct {
	any      bool
	names    []string
	prefixes []string
}

func (c *compiler) eventReq(e ast.Expr) eventReq {
	anyReq := eventReq{any: true}
	if e.Kind() != ast.CallKind {
		return anyReq
	}
	call := e.AsCall()
	args := call.Args()
	isEvent := func(x ast.Expr) bool {
		n, ok := chainName(x)
		return ok && n == EventNameAttr
	}
	strLit := func(x ast.Expr) (string, bool) {
		if x.Kind() != ast.LiteralKind {
			return "", false
		}
		s, ok := x.AsLiteral().(types.String)
		return string(s), ok
	}
	switch call.FunctionName() {
	case operators.LogicalAnd:
		a, b := c.eventReq(args[0]), c.eventReq(args[1])
		switch {
		case a.any:
			return b
		case b.any:
			return a
		case len(b.prefixes) < len(a.prefixes) || (len(b.prefixes) == len(a.prefixes) && len(b.names) < len(a.names)):
			return b
		}
		return a
	case operators.LogicalOr:
		a, b := c.eventReq(args[0]), c.eventReq(args[1])
		if a.any || b.any {
			return anyReq
		}
		return eventReq{names: append(append([]string{}, a.names...), b.names...), prefixes: append(append([]string{}, a.prefixes...), b.prefixes...)}
	case operators.Equals:
		if isEvent(args[0]) {
			if s, ok := strLit(args[1]); ok {
				return eventReq{names: []string{s}}
			}
		}
		if isEvent(args[1]) {
			if s, ok := strLit(args[0]); ok {
				return eventReq{names: []string{s}}
			}
		}
	case operators.In:
		if !isEvent(args[0]) {
			break
		}
		switch args[1].Kind() {
		case ast.ListKind:
			var names []string
			for _, el := range args[1].AsList().Elements() {
				s, ok := strLit(el)
				if !ok {
					return anyReq
				}
				names = append(names, s)
			}
			return eventReq{names: names}
		case ast.IdentKind:
			if l, ok := c.lists[args[1].AsIdent()]; ok {
				return eventReq{names: append([]string{}, l...)}
			}
		}
	case "startsWith":
		if call.IsMemberFunction() && isEvent(call.Target()) && len(args) == 1 {
			if s, ok := strLit(args[0]); ok {
				return eventReq{prefixes: []string{s}}
			}
		}
	}
	return anyReq
}

// eventIndex maps an event name to the rules that can match it, in file order.
type eventIndex struct {
	byName map[string][]*Rule
	other  []*Rule // rules for names not in byName: unrestricted and prefix rules
}

func buildIndex(rules []*Rule) eventIndex {
	names := map[string]bool{}
	for _, n := range schema.EventNames {
		names[n] = true
	}
	names[schema.EventAgentEventsDropped] = true
	for _, r := range rules {
		for _, n := range r.req.names {
			names[n] = true
		}
	}
	idx := eventIndex{byName: map[string][]*Rule{}}
	for n := range names {
		var list []*Rule
		for _, r := range rules {
			if r.req.canMatch(n) {
				list = append(list, r)
			}
		}
		idx.byName[n] = list
	}
	for _, r := range rules {
		if r.req.any || len(r.req.prefixes) > 0 {
			idx.other = append(idx.other, r)
		}
	}
	return idx
}

func (q eventReq) canMatch(name string) bool {
	if q.any {
		return true
	}
	for _, n := range q.names {
		if n == name {
			return true
		}
	}
	for _, p := range q.prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func (x *eventIndex) lookup(name string) []*Rule {
	if l, ok := x.byName[name]; ok {
		return l
	}
	return x.other
}
