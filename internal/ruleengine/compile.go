package ruleengine

import (
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
)

type ruleProgram = cel.Program

type compiler struct {
	d        *definitions
	parseEnv *cel.Env
	env      *cel.Env
	attrs    map[string]attrType // every attribute any condition reads
	lists    map[string][]string // resolved list items
	warnings []Warning
	expanded map[string]string // macro name -> expanded condition
	scans    map[*text]*scanned
	excTexts map[*ruleDef][]text // each rule's exceptions as condition text
	built    map[*text]ast.Expr  // the trees of exception texts that need no parse
	terms    conjuncts           // the terms of && chains, parsed once each
	// parseWhole parses every condition whole (tests compare it with assembling chains).
	parseWhole bool
	graft      *grafter
	seed       *cel.Ast // any checked Ast: see checkTree
	opts       Options
	progress   *progress
	// macroReqs memoizes what each macro requires of event.name.
	macroReqs map[string]eventReq
}

// Compile parses, resolves and compiles rule sources into an Engine. Errors are *Error values
// naming the file, line (and column when known) and item. Warnings do not stop compilation.
func Compile(srcs []Source, opts Options) (*Engine, []Warning, error) {
	p := startProgress(opts.Progress, opts.ProgressInterval)
	defer p.end()
	p.begin("reading", len(srcs))
	var items []*item
	var warnings []Warning
	ff := newFalcoFront()
	for i, s := range srcs {
		if ff.claims(s) {
			if err := ff.load(s, i); err != nil {
				return nil, nil, err
			}
			p.add()
			continue
		}
		its, err := parseSource(s)
		if err != nil {
			return nil, nil, err
		}
		if len(its) == 0 {
			warnings = append(warnings, Warning{File: s.Name, Msg: "the file defines no rule, macro or list (it is empty or only comments): it adds nothing"})
		}
		items = append(items, its...)
		p.add()
	}
	d, err := resolve(items)
	if err != nil {
		return nil, nil, err
	}
	falcoWarnings, err := ff.addTo(d, srcs)
	if err != nil {
		return nil, nil, err
	}
	p.setRules(len(d.ruleOrder))
	c := newCompiler(d)
	c.progress, c.warnings = p, append(warnings, falcoWarnings...)
	e, err := c.compile(opts)
	if err != nil {
		return nil, nil, err
	}
	e.falco = ff.report
	return e, c.warnings, nil
}

func newCompiler(d *definitions) *compiler {
	return &compiler{d: d, attrs: map[string]attrType{}, lists: map[string][]string{}, expanded: map[string]string{},
		scans: map[*text]*scanned{}, built: map[*text]ast.Expr{}, terms: conjuncts{m: map[string]*conjunct{}}, macroReqs: map[string]eventReq{}, progress: startProgress(nil, 0)}
}

// compile runs the phases after parsing and overrides, in order: names and lists, exceptions
// as condition text, scanning every condition, the CEL environment and the type check of every
// piece of condition as written (so errors point into the text the user wrote), then each
// enabled rule on its own (expanded, counted for the fast path, compiled for cel-go if it
// needs it), and last the fast path and the event index over all of them.
func (c *compiler) compile(opts Options) (*Engine, error) {
	c.opts = opts
	if err := c.prepare(); err != nil {
		return nil, err
	}
	e := c.newEngine(opts)
	fc := newFastCompiler(e.attrs, c.lists, c.macroParts)
	c.progress.begin("compiling", len(c.d.ruleOrder))
	for _, r := range c.d.ruleOrder {
		c.progress.add()
		if !r.enabled || (opts.MinPriority != 0 && r.priority > opts.MinPriority) {
			continue
		}
		rule, err := c.compileRule(r, c.excTexts[r], fc)
		if err != nil {
			return nil, err
		}
		rule.index = len(e.rules)
		e.rules = append(e.rules, rule)
	}
	if err := e.finish(fc); err != nil {
		return nil, err
	}
	return e, nil
}

// prepare runs the phases before rules are compiled one by one: names and lists, exceptions
// as text, scanning, the CEL environment, and the type checks.
func (c *compiler) prepare() error {
	var err error
	if c.parseEnv, err = cel.NewEnv(); err != nil {
		return err
	}
	if err := c.checkNames(); err != nil {
		return err
	}
	if err := c.resolveLists(); err != nil {
		return err
	}
	if c.excTexts, err = c.exceptionTexts(); err != nil {
		return err
	}
	pieces := c.pieces()
	if err := c.scanAll(pieces); err != nil {
		return err
	}
	if err := c.buildEnv(); err != nil {
		return err
	}
	return c.checkAll(pieces)
}

// exceptionTexts turns every rule's exceptions into condition text appended to the rule, and
// into trees (c.built) where no parse is needed.
func (c *compiler) exceptionTexts() (map[*ruleDef][]text, error) {
	excTexts := map[*ruleDef][]text{}
	for _, r := range c.d.ruleOrder {
		var trees []ast.Expr
		for _, e := range r.exceptions {
			t, tree, ok, err := c.exceptionText(e)
			if err != nil {
				return nil, &Error{File: e.file, Line: e.line, Kind: "rule", Item: r.name, Msg: fmt.Sprintf("exception %q: %v", e.name, err)}
			}
			if ok {
				excTexts[r] = append(excTexts[r], t)
				trees = append(trees, tree)
			}
		}
		for i, tree := range trees { // now that excTexts[r] holds them where they stay
			if tree != nil {
				c.built[&excTexts[r][i]] = tree
			}
		}
	}
	return excTexts, nil
}

// piece is one piece of condition text and the item it belongs to.
type piece struct {
	t *text
	o owner
}

// pieces lists every piece of condition text, in a stable order: macros by name, then each
// rule's condition parts and exceptions in file order. Errors are reported in this order.
func (c *compiler) pieces() []piece {
	var ps []piece
	for _, name := range sortedKeys(c.d.macros) {
		m := c.d.macros[name]
		for i := range m.parts {
			ps = append(ps, piece{&m.parts[i], owner{"macro", name}})
		}
	}
	for _, r := range c.d.ruleOrder {
		for i := range r.parts {
			ps = append(ps, piece{&r.parts[i], owner{"rule", r.name}})
		}
		ts := c.excTexts[r]
		for i := range ts {
			ps = append(ps, piece{&ts[i], owner{"rule", r.name}})
		}
	}
	return ps
}

// inParallel calls f(0..n-1) on every CPU and returns when all calls have.
func inParallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		})
	}
	wg.Wait()
}

// checkAll type-checks every piece as written, in parallel; the error is the first in order.
func (c *compiler) checkAll(ps []piece) error {
	c.progress.begin("checking", len(ps))
	errs := make([]error, len(ps))
	inParallel(len(ps), func(i int) {
		errs[i] = c.check(ps[i].t, ps[i].o)
		c.progress.add()
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// newEngine is an Engine without rules, with a slot for every attribute a condition reads.
func (c *compiler) newEngine(opts Options) *Engine {
	e := &Engine{matchAll: opts.MatchAll, lists: c.lists, attrType: c.attrs, celOnly: opts.celOnly}
	e.attrs = newAttrTable()
	for _, name := range sortedKeys(c.attrs) {
		e.attrs.add(name)
	}
	e.attrs.add(EventNameAttr)
	return e
}

// compileRule compiles one enabled rule: its full condition (macros expanded, exceptions
// appended) for cel-go, its first fast-path pass (counting shared sub-expressions), what it
// requires of event.name, and its output template.
func (c *compiler) compileRule(r *ruleDef, excs []text, fc *fastCompiler) (*Rule, error) {
	full, err := c.fullCondition(r, excs)
	if err != nil {
		return nil, err
	}
	rule := &Rule{Name: r.name, Description: r.desc, Output: r.output.s, Ruleset: r.ruleset, File: r.file,
		Line: r.line, Priority: r.priority, Tags: r.tags, Condition: full,
		Category: category(r.tags)}
	if rule.output, err = parseTemplate(r.output.s); err != nil {
		// Each output was checked where it is written (setRuleFields): only appending can
		// make a bad one.
		return nil, &Error{File: r.output.file, Line: r.output.line, Kind: "rule", Item: r.name, Msg: "output: " + err.Error()}
	}
	for _, ref := range rule.output.refs {
		if !slices.Contains(rule.OutputFields, ref) {
			rule.OutputFields = append(rule.OutputFields, ref)
		}
	}
	rule.pieces = c.rulePieces(r, excs)
	rule.req = c.ruleReq(rule.pieces.parts)
	// The first fast-path pass tells whether the rule needs cel-go: only then is its
	// condition type-checked as a whole and made a program.
	if _, err := fc.compileRule(rule.pieces.parts, rule.pieces.excs, true); err != nil || c.opts.celOnly {
		if rule.prog, err = c.program(r, excs, full); err != nil {
			return nil, err
		}
	}
	if rule.req.any {
		c.warnings = append(c.warnings, Warning{File: r.file, Line: r.line, Rule: r.name,
			Msg: "condition does not restrict event.name: it is evaluated on every record"})
	}
	for _, ref := range rule.output.refs {
		c.warnUnknownAttr(ref, r.output.file, r.output.line, r.name, "output")
	}
	if r.falco != nil {
		rule.Output, rule.falco, rule.OutputFields = r.falco.raw, r.falco, r.falco.attrs
	}
	return rule, nil
}

// rulePieces are a rule's scanned parts and exceptions.
func (c *compiler) rulePieces(r *ruleDef, excs []text) *rulePieces {
	p := &rulePieces{}
	for i := range r.parts {
		p.parts = append(p.parts, c.scans[&r.parts[i]])
	}
	for i := range excs {
		p.excs = append(p.excs, c.scans[&excs[i]])
	}
	return p
}

type rulePieces struct{ parts, excs []*scanned }

// macroParts are a macro's scanned parts.
func (c *compiler) macroParts(name string) []*scanned {
	m := c.d.macros[name]
	parts := make([]*scanned, len(m.parts))
	for i := range m.parts {
		parts[i] = c.scans[&m.parts[i]]
	}
	return parts
}

// program is the rule's cel-go program: its condition expanded (as a tree, the text parsed
// once), type-checked as a whole.
func (c *compiler) program(r *ruleDef, excs []text, full string) (ruleProgram, error) {
	checked, ok := c.checkTree(c.graft.rule(r, excs))
	if !ok {
		// The text says what is wrong (and is the reference should the tree ever disagree).
		var iss *cel.Issues
		if checked, iss = c.env.Compile(full); iss.Err() != nil {
			return nil, &Error{File: r.file, Line: r.line, Kind: "rule", Item: r.name, Msg: "expanded condition: " + iss.Err().Error()}
		}
		if !checked.OutputType().IsExactType(cel.BoolType) {
			return nil, &Error{File: r.file, Line: r.line, Kind: "rule", Item: r.name,
				Msg: fmt.Sprintf("expanded condition must be a boolean, it is %s", checked.OutputType())}
		}
	}
	prg, err := c.env.Program(checked, cel.EvalOptions(cel.OptOptimize), cel.Functions(notOverload))
	if err != nil {
		return nil, &Error{File: r.file, Line: r.line, Kind: "rule", Item: r.name, Msg: err.Error()}
	}
	return prg, nil
}

// fullCondition is the rule's condition as compiled: its parts ANDed with macros expanded,
// and `&& !(...)` of its exceptions.
func (c *compiler) fullCondition(r *ruleDef, excs []text) (string, error) {
	var conds []string
	for i := range r.parts {
		x, err := c.expand(c.scans[&r.parts[i]], nil)
		if err != nil {
			return "", &Error{File: r.file, Line: r.line, Kind: "rule", Item: r.name, Msg: err.Error()}
		}
		conds = append(conds, "("+x+")")
	}
	full := strings.Join(conds, " && ")
	if len(excs) > 0 {
		var parts []string
		for i := range excs {
			parts = append(parts, "("+string(c.scans[&excs[i]].s)+")")
		}
		full += " && !(" + strings.Join(parts, " || ") + ")"
	}
	return full, nil
}

// finish compiles every rule onto the fast path (the second pass, now that shared
// sub-expressions are known) and builds the event index and the activation pool.
func (e *Engine) finish(fc *fastCompiler) error {
	for _, rule := range e.rules {
		if fast, err := fc.compileRule(rule.pieces.parts, rule.pieces.excs, false); err == nil {
			rule.fast = fast
		} else {
			rule.slowReason = err.Error()
			if rule.prog == nil { // both passes walk the same tree: they fail alike
				return &Error{File: rule.File, Line: rule.Line, Kind: "rule", Item: rule.Name, Msg: "internal error: " + rule.slowReason}
			}
		}
		rule.pieces = nil
	}
	memoSlots, valSlots := fc.slots, fc.vslots
	e.idx = buildIndex(e.rules, e.attrs, !e.celOnly)
	e.pool.New = func() any {
		return &activation{table: e.attrs, cache: make([]cached, len(e.attrs.names)),
			fcache: make([]fslot, len(e.attrs.names)), memo: make([]memoSlot, memoSlots),
			vmemo: make([]fslot, valSlots)}
	}
	return nil
}

func (c *compiler) buildEnv() error {
	opts := append(helperFuncs(), falcoFuncOptions()...)
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
	if c.env, err = cel.NewEnv(opts...); err != nil {
		return err
	}
	c.graft = newGrafter(c)
	seed, iss := c.env.Compile("true")
	c.seed = seed
	return iss.Err()
}

// check type-checks one piece of condition as written.
func (c *compiler) check(t *text, o owner) error {
	var checked *cel.Ast
	var iss *cel.Issues
	switch sc := c.scans[t]; {
	case sc.parsed != nil:
		checked, iss = c.env.Check(sc.parsed)
	case sc.terms != nil:
		if c.checkChain(sc.terms) {
			return nil
		}
		// An assembled tree has no source to point into: the whole text, parsed, does.
		parsed, piss := c.parseEnv.Parse(string(sc.s))
		if piss.Err() != nil {
			return issuesErr(t, o, piss, "invalid condition")
		}
		checked, iss = c.env.Check(parsed)
	default:
		checked, iss = c.checkExpr(sc.ast.Expr())
	}
	if iss.Err() != nil {
		return issuesErr(t, o, iss, "invalid condition")
	}
	if !checked.OutputType().IsExactType(cel.BoolType) {
		return &Error{File: t.file, Line: t.line, Column: t.col, Kind: o.kind, Item: o.name,
			Msg: fmt.Sprintf("condition must be a boolean, it is %s", checked.OutputType())}
	}
	return nil
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

var mitreTagRE = regexp.MustCompile(`^(?i:mitre_|T\d|TA\d)`)

func category(tags []string) string {
	for _, t := range tags {
		if !mitreTagRE.MatchString(t) {
			return t
		}
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
