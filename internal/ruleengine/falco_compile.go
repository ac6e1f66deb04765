package ruleengine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/otelsec/otelsec/internal/schema"
)

// Compiling Falco's definitions: each rule's condition (with its exceptions) is parsed,
// checked as Falco checks it (fields exist, operators fit their types, macros are defined
// before use), then specialized to the records of each otelsec event and folded; the events
// on which it can be true become one CEL condition, `event.name == E && (...) || ...`, so
// the engine's index sends each record only to the rules of its event.

type falcoCompiler struct {
	d      *falcoDefs
	lists  map[string][]string     // resolved list values
	macros map[string]*falcoNode   // parsed
	valid  map[string]*macroFacts  // validated macros
	ops    map[*falcoNode][]string // resolved operands of checks
	memo   map[string]*falcoTerm   // macro + "\x00" + event
	approx map[string]string       // approximated fields in use -> how
}

// macroFacts is what validating a macro found: the evt.type values of events the sensor does
// not capture.
type macroFacts struct {
	uncaptured map[string]bool
}

func newFalcoCompiler(d *falcoDefs) *falcoCompiler {
	return &falcoCompiler{d: d, lists: map[string][]string{}, macros: map[string]*falcoNode{},
		valid: map[string]*macroFacts{}, ops: map[*falcoNode][]string{}, memo: map[string]*falcoTerm{},
		approx: map[string]string{}}
}

// falcoErrAt is an error at a byte offset of a condition.
func falcoErrAt(c *falcoCond, off int, kind, item, msg string) *Error {
	file, line, col := c.position(off)
	return &Error{File: file, Line: line, Column: col, Kind: kind, Item: item, Msg: msg}
}

func parseErr(c *falcoCond, err error, kind, item string) *Error {
	se := err.(*falcoSyntaxError)
	return falcoErrAt(c, se.pos, kind, item, "invalid condition: "+se.msg)
}

// resolveLists resolves every list's items (lists in lists, quoted items) to values.
func (fc *falcoCompiler) resolveLists() error {
	for _, name := range sortedKeys(fc.d.lists) {
		if _, err := fc.resolveList(name, nil); err != nil {
			return err
		}
	}
	return nil
}

func (fc *falcoCompiler) resolveList(name string, stack []string) ([]string, error) {
	if vals, ok := fc.lists[name]; ok {
		return vals, nil
	}
	l := fc.d.lists[name]
	if slices.Contains(stack, name) {
		return nil, &Error{File: l.file, Line: l.line, Kind: "list", Item: name, Msg: "list cycle: " + strings.Join(append(stack, name), " -> ")}
	}
	vals := []string{}
	for _, it := range l.items {
		if _, isList := fc.d.lists[it.s]; isList && it.s != name {
			sub, err := fc.resolveList(it.s, append(stack, name))
			if err != nil {
				return nil, err
			}
			vals = append(vals, sub...)
			continue
		}
		v, err := falcoItemValues(it.s)
		if err != nil {
			return nil, &Error{File: it.file, Line: it.line, Column: it.col, Kind: "list", Item: name, Msg: err.Error()}
		}
		vals = append(vals, v...)
	}
	fc.lists[name] = vals
	return vals, nil
}

// falcoItemValues reads a list item as Falco does when it writes the item into a condition:
// quoted when it has a space, then parsed as values (so '"(systemd)"' is (systemd), and an
// unquoted a,b is two values).
func falcoItemValues(item string) ([]string, error) {
	s := falcoQuoteItem(item)
	if s == "" {
		return []string{""}, nil
	}
	p := &falcoParser{s: s}
	var out []string
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				se, ok := r.(*falcoSyntaxError)
				if !ok {
					panic(r)
				}
				err = fmt.Errorf("list item %q: %s", item, se.msg)
			}
		}()
		for {
			v, ok := p.strValue()
			if !ok {
				p.fail("not a value Falco can read in a list")
			}
			out = append(out, v.s)
			p.blank()
			if p.i == len(p.s) {
				return
			}
			if !p.lit(",") {
				p.fail("not a value Falco can read in a list")
			}
			p.blank()
		}
	}()
	return out, err
}

func (fc *falcoCompiler) macroTree(name string) (*falcoNode, error) {
	if n, ok := fc.macros[name]; ok {
		return n, nil
	}
	m := fc.d.macros[name]
	n, err := parseFalcoCondition(m.cond.s)
	if err != nil {
		return nil, parseErr(&m.cond, err, "macro", name)
	}
	fc.macros[name] = n
	return n, nil
}

// validation walks one condition as Falco's compiler would, at its positions.
type validation struct {
	fc         *falcoCompiler
	cond       *falcoCond
	kind, item string
	visibility int // macros defined before it are visible (rules see all)
	stack      []string
	uncaptured map[string]bool
}

func (v *validation) walk(n *falcoNode) error {
	switch n.kind {
	case falcoAnd, falcoOr, falcoNot:
		for _, k := range n.kids {
			if err := v.walk(k); err != nil {
				return err
			}
		}
		return nil
	case falcoMacro:
		return v.macro(n)
	}
	return v.check(n)
}

func (v *validation) macro(n *falcoNode) error {
	m := v.fc.d.macros[n.macro]
	if m == nil || m.index >= v.visibility {
		return falcoErrAt(v.cond, n.pos, v.kind, v.item, fmt.Sprintf("undefined macro '%s' used in filter", n.macro))
	}
	if slices.Contains(v.stack, n.macro) {
		return falcoErrAt(v.cond, n.pos, v.kind, v.item, "macro cycle: "+strings.Join(append(v.stack, n.macro), " -> "))
	}
	facts, err := v.fc.validateMacro(n.macro, v.stack)
	if err != nil {
		return err
	}
	for t := range facts.uncaptured {
		v.uncaptured[t] = true
	}
	return nil
}

func (fc *falcoCompiler) validateMacro(name string, stack []string) (*macroFacts, error) {
	if f, ok := fc.valid[name]; ok {
		return f, nil
	}
	tree, err := fc.macroTree(name)
	if err != nil {
		return nil, err
	}
	m := fc.d.macros[name]
	sub := &validation{fc: fc, cond: &m.cond, kind: "macro", item: name, visibility: m.visibility,
		stack: append(stack, name), uncaptured: map[string]bool{}}
	if err := sub.walk(tree); err != nil {
		return nil, err
	}
	f := &macroFacts{uncaptured: sub.uncaptured}
	fc.valid[name] = f
	return f, nil
}

func (v *validation) check(n *falcoNode) error {
	f, _, _, ok := lookupFalcoField(n.field)
	if !ok {
		return falcoErrAt(v.cond, n.pos, v.kind, v.item, fmt.Sprintf("filter_check called with nonexistent field %s", n.field))
	}
	vals, err := v.fc.operands(n)
	if err != nil {
		return falcoErrAt(v.cond, n.pos, v.kind, v.item, err.Error())
	}
	if f.name == "evt.type" {
		if n.op != "exists" {
			for _, t := range vals {
				if !falcoCaptured[t] && (n.op == "=" || n.op == "==" || n.isList) {
					v.uncaptured[t] = true
				}
			}
		}
		return nil
	}
	if err := checkOperands(n.op, f.typ, vals); err != nil {
		return falcoErrAt(v.cond, n.pos, v.kind, v.item, fmt.Sprintf("%s %s: %v", n.field, n.op, err))
	}
	return nil
}

// operands are a check's values, lists expanded (a bare value naming a list stands for its
// items, as Falco writes lists into conditions).
func (fc *falcoCompiler) operands(n *falcoNode) ([]string, error) {
	if vals, ok := fc.ops[n]; ok {
		return vals, nil
	}
	var vals []string
	for _, o := range n.vals {
		if _, isList := fc.d.lists[o.s]; isList && !o.quoted && (n.isList || n.listID != "") {
			items, err := fc.resolveList(o.s, nil)
			if err != nil {
				return nil, err
			}
			vals = append(vals, items...)
			continue
		}
		vals = append(vals, o.s)
	}
	fc.ops[n] = vals
	return vals, nil
}

// spec is the condition on the records of one event.
func (fc *falcoCompiler) spec(n *falcoNode, event string) *falcoTerm {
	switch n.kind {
	case falcoAnd, falcoOr:
		kids := make([]*falcoTerm, 0, len(n.kids))
		for _, k := range n.kids {
			t := fc.spec(k, event)
			kids = append(kids, t)
			if (n.kind == falcoAnd && t.op == tFalse) || (n.kind == falcoOr && t.op == tTrue) {
				break
			}
		}
		if n.kind == falcoAnd {
			return termAnd(kids...)
		}
		return termOr(kids...)
	case falcoNot:
		return termNot(fc.spec(n.kids[0], event))
	case falcoMacro:
		key := n.macro + "\x00" + event
		if t, ok := fc.memo[key]; ok {
			return t
		}
		t := fc.spec(fc.macros[n.macro], event)
		fc.memo[key] = t
		return t
	}
	return fc.checkTerm(n, event)
}

// checkTerm is one check on the records of one event.
func (fc *falcoCompiler) checkTerm(n *falcoNode, event string) *falcoTerm {
	f, arg, hasArg, _ := lookupFalcoField(n.field)
	if n.hasArg {
		arg, hasArg = n.arg, true
	}
	vals := fc.ops[n]
	if f.name == "evt.type" {
		return evtTypeTerm(n.op, event, vals)
	}
	name := n.field
	if n.hasArg {
		name += "[" + n.arg + "]"
	}
	d := f.on(event, arg, hasArg)
	if d.approx != "" {
		fc.approx[name] = d.approx
	}
	typ := f.typ
	if d.typ != 0 {
		typ = d.typ
	}
	switch d.kind {
	case defNone:
		return termFalse
	case defMissing:
		return &falcoTerm{op: tMissing, field: name, why: d.why}
	case defEnum:
		return enumTerm(d, n.op, typ, vals, name)
	}
	return exprTerm(d, n.op, typ, vals)
}

// evtTypeTerm is a check on evt.type for one event: true or false when the event's types all
// pass or fail it, else a test of syscall.name.
func evtTypeTerm(op, event string, vals []string) *falcoTerm {
	types := falcoTypesOf(event)
	var pass []string
	for _, t := range types {
		if falcoEval(op, falcoStr, t, vals) {
			pass = append(pass, t)
		}
	}
	switch {
	case len(pass) == 0:
		return termFalse
	case len(pass) == len(types):
		return termTrue
	case len(pass) == 1:
		return termCEL("syscall.name == " + celString(pass[0]))
	}
	return termCEL("syscall.name in " + celStrings(pass))
}

func falcoTypesOf(event string) []string {
	for _, e := range falcoEventTypes {
		if e.event == event {
			return e.types
		}
	}
	return nil
}

// enumTerm is a check on an enumerated field: the tests of the values that pass it.
func enumTerm(d falcoDef, op string, typ falcoFieldType, vals []string, name string) *falcoTerm {
	var ors []*falcoTerm
	for _, e := range d.enum {
		pass := false
		if e.concrete {
			pass = falcoEval(op, typ, e.value, vals)
		} else {
			var decided bool
			if pass, decided = evalPositive(op, vals); !decided {
				return &falcoTerm{op: tMissing, field: name, why: d.approx}
			}
		}
		if pass {
			ors = append(ors, termCEL(e.cond))
		}
	}
	return termOr(ors...)
}

// exprTerm is a check on a field read by an expression.
func exprTerm(d falcoDef, op string, typ falcoFieldType, vals []string) *falcoTerm {
	if d.list {
		anyElem := func(list, wrap string) *falcoTerm {
			elem := "x"
			if wrap != "" {
				elem = fmt.Sprintf(wrap, "x")
			}
			inner := exprCheck(elem, op, typ, d.lenient, vals)
			if op == "exists" {
				inner = termTrue
			}
			return termCEL(list + ".exists(x, " + inner.String() + ")")
		}
		t := anyElem(d.expr, d.elem)
		if d.alt == "" {
			return t
		}
		return orAlt(d, t, anyElem(d.alt, d.altElem))
	}
	if d.byName != "" {
		if t := byNameCheck(d, op, typ, vals); t != nil {
			return t
		}
	}
	if d.clamp != nil && op != "exists" && typ == falcoInt {
		return clampedCheck(d.expr, op, *d.clamp, vals)
	}
	t := exprCheck(d.expr, op, typ, d.lenient, vals)
	if d.alt != "" {
		return orAlt(d, t, exprCheck(d.alt, op, typ, d.lenient, vals))
	}
	if d.dflt == nil {
		return t
	}
	// Falco's value when the attribute is absent: container.id is "host".
	if op == "exists" || falcoEval(op, typ, *d.dflt, vals) {
		return termOr(termNot(termCEL(d.present)), t)
	}
	return termAnd(termCEL(d.present), t)
}

// condition is a rule's condition, its exceptions applied, on the records of each event
// where it can be true: the term as it runs, and the term with missing fields kept (for what
// the warning names).
type falcoEventCond struct {
	event    string
	term     *falcoTerm
	optimist *falcoTerm
}

func (fc *falcoCompiler) eventConds(root *falcoNode) ([]falcoEventCond, error) {
	var out []falcoEventCond
	memo, sizes, size := map[*falcoTerm]*falcoTerm{}, map[*falcoTerm]int{}, 0
	for _, ev := range schema.EventNames {
		t := fc.spec(root, ev)
		if t.op == tFalse {
			continue
		}
		c := falcoEventCond{event: ev, term: t.withoutMissing(memo), optimist: t}
		if size += c.term.celSize(sizes); size > maxExpanded {
			return nil, fmt.Errorf("condition is over %d bytes once macros are expanded (macros that use each other several times grow exponentially)", maxExpanded)
		}
		out = append(out, c)
	}
	return out, nil
}

// celCondition is the rule's CEL condition: for each group of events with the same
// condition, `event.name in [...] && (condition)`.
func celCondition(conds []falcoEventCond) string {
	var groups []string
	byText := map[string][]string{}
	for _, c := range conds {
		if c.term.op == tFalse {
			continue
		}
		s := c.term.String()
		if _, ok := byText[s]; !ok {
			groups = append(groups, s)
		}
		byText[s] = append(byText[s], c.event)
	}
	if len(groups) == 0 {
		return "false"
	}
	parts := make([]string, len(groups))
	for i, s := range groups {
		evs := byText[s]
		ev := "event.name == " + celString(evs[0])
		if len(evs) > 1 {
			ev = "event.name in " + celStrings(evs)
		}
		if s == "true" {
			parts[i] = "(" + ev + ")"
		} else {
			parts[i] = "(" + ev + " && " + s + ")"
		}
	}
	return strings.Join(parts, " || ")
}

// orAlt is t where d's attribute is present, else alt: the check on d's fallback expression.
func orAlt(d falcoDef, t, alt *falcoTerm) *falcoTerm {
	present := termCEL("present(" + d.attrs[0] + ")")
	return termOr(termAnd(present, t), termAnd(termNot(present), alt))
}

// byNameCheck is an equality check on a number that Falco renders as a name, for the values
// that are names: they compare with d.byName where d.byNameKnown holds. nil when every value
// is a number, or for another operator (the number alone then, as for any lenient field).
func byNameCheck(d falcoDef, op string, typ falcoFieldType, vals []string) *falcoTerm {
	var nums, names []string
	for _, v := range vals {
		if _, ok := parseFalcoInt(v); ok {
			nums = append(nums, v)
		} else {
			names = append(names, v)
		}
	}
	if len(names) == 0 {
		return nil
	}
	named := termAnd(termCEL(d.byNameKnown), exprCheck(d.byName, "in", falcoStr, false, names))
	switch op {
	case "=", "==", "in", "intersects":
		if len(nums) == 0 {
			return named
		}
		return termOr(exprCheck(d.expr, op, typ, true, nums), named)
	case "!=":
		return termNot(named)
	}
	return nil
}
