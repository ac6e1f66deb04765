package ruleengine

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/google/cel-go/cel"
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
}

// Compile parses, resolves and compiles rule sources into an Engine. Errors are *Error values
// naming the file, line (and column when known) and item. Warnings do not stop compilation.
func Compile(srcs []Source, opts Options) (*Engine, []Warning, error) {
	var items []*item
	ff := newFalcoFront()
	for i, s := range srcs {
		if ff.claims(s) {
			if err := ff.load(s, i); err != nil {
				return nil, nil, err
			}
			continue
		}
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
	falcoWarnings, err := ff.addTo(d, srcs)
	if err != nil {
		return nil, nil, err
	}
	c := &compiler{d: d, attrs: map[string]attrType{}, lists: map[string][]string{}, expanded: map[string]string{},
		scans: map[*text]*scanned{}, warnings: falcoWarnings}
	e, err := c.compile(opts)
	if err != nil {
		return nil, nil, err
	}
	e.falco = ff.report
	return e, c.warnings, nil
}

// compile runs the phases after parsing and overrides, in order: names and lists, exceptions
// as condition text, scanning every condition, the CEL environment, type checks of each piece
// as written, then each enabled rule on its own (expanded, compiled for cel-go and counted for
// the fast path), and last the fast path and the event index over all of them.
func (c *compiler) compile(opts Options) (*Engine, error) {
	var err error
	if c.parseEnv, err = cel.NewEnv(); err != nil {
		return nil, err
	}
	if err := c.checkNames(); err != nil {
		return nil, err
	}
	if err := c.resolveLists(); err != nil {
		return nil, err
	}
	excTexts, err := c.exceptionTexts()
	if err != nil {
		return nil, err
	}
	if err := c.eachCondition(excTexts, c.scan); err != nil {
		return nil, err
	}
	if err := c.buildEnv(); err != nil {
		return nil, err
	}
	// Type-check each piece on its own so errors point into the text the user wrote.
	if err := c.eachCondition(excTexts, c.check); err != nil {
		return nil, err
	}
	e := c.newEngine(opts)
	fc := newFastCompiler(e.attrs, c.lists)
	for _, r := range c.d.ruleOrder {
		if !r.enabled || (opts.MinPriority != 0 && r.priority > opts.MinPriority) {
			continue
		}
		rule, err := c.compileRule(r, excTexts[r], fc)
		if err != nil {
			return nil, err
		}
		rule.index = len(e.rules)
		e.rules = append(e.rules, rule)
	}
	e.finish(fc)
	return e, nil
}

// exceptionTexts turns every rule's exceptions into condition text appended to the rule.
func (c *compiler) exceptionTexts() (map[*ruleDef][]text, error) {
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
	return excTexts, nil
}

// eachCondition calls f on every piece of condition text, in a stable order: macros by name,
// then each rule's condition parts and exceptions in file order.
func (c *compiler) eachCondition(excTexts map[*ruleDef][]text, f func(*text, owner) error) error {
	for _, name := range sortedKeys(c.d.macros) {
		m := c.d.macros[name]
		for i := range m.parts {
			if err := f(&m.parts[i], owner{"macro", name}); err != nil {
				return err
			}
		}
	}
	for _, r := range c.d.ruleOrder {
		for i := range r.parts {
			if err := f(&r.parts[i], owner{"rule", r.name}); err != nil {
				return err
			}
		}
		ts := excTexts[r]
		for i := range ts {
			if err := f(&ts[i], owner{"rule", r.name}); err != nil {
				return err
			}
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
	if r.falco != nil {
		rule.Output, rule.falco, rule.OutputFields = r.falco.raw, r.falco, r.falco.attrs
	}
	return rule, nil
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
func (e *Engine) finish(fc *fastCompiler) {
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
