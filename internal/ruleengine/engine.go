package ruleengine

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/interpreter"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/logview"
)

// Options tune Compile.
type Options struct {
	// MinPriority keeps only rules at least this severe; zero keeps every rule.
	MinPriority Priority
	// MatchAll makes Match report every matching rule instead of only the first.
	MatchAll bool
	// Progress, when set, is called every ProgressInterval (default two seconds) while Compile
	// runs, from another goroutine; never once Compile has returned, and never for a compile
	// quicker than the interval.
	Progress         func(Progress)
	ProgressInterval time.Duration

	celOnly bool // tests: evaluate every rule with cel-go, not the fast path
}

// Warning is a non-fatal finding about the rules, e.g. a rule that runs on every record.
// Rule is empty for findings about a macro (Msg names it), Line zero for findings about a
// whole file.
type Warning struct {
	File string
	Line int
	Rule string
	Msg  string
}

func (w Warning) String() string {
	pos := w.File
	if w.Line > 0 {
		pos += ":" + strconv.Itoa(w.Line)
	}
	if w.Rule == "" {
		return fmt.Sprintf("%s: %s", pos, w.Msg)
	}
	return fmt.Sprintf("%s: rule %q: %s", pos, w.Rule, w.Msg)
}

// Error is a rule-file error: where (file, line, column when known), which item, and what.
type Error struct {
	File   string
	Line   int
	Column int    // 0 when unknown
	Kind   string // "rule", "macro", "list", "ruleset" or "" for file-level errors
	Item   string
	Msg    string
}

func (e *Error) Error() string {
	pos := fmt.Sprintf("%s:%d", e.File, e.Line)
	if e.Column > 0 {
		pos += fmt.Sprintf(":%d", e.Column)
	}
	if e.Kind != "" {
		return fmt.Sprintf("%s: %s %q: %s", pos, e.Kind, e.Item, e.Msg)
	}
	return fmt.Sprintf("%s: %s", pos, e.Msg)
}

// Rule is one compiled, enabled rule.
type Rule struct {
	Name        string
	Description string
	Output      string // the output template as written
	Ruleset     string
	File        string
	Line        int
	Priority    Priority
	Tags        []string
	Condition   string // the condition with macros expanded and exceptions appended, as compiled
	// Category is the first tag that is not a MITRE ATT&CK tactic or technique (mitre_*, T1234,
	// TA0001), e.g. "process" or "file"; empty if there is none.
	Category string
	// OutputFields are the attributes the output template references, in order, without
	// duplicates (the alert exporter fills Falco's output_fields with them).
	OutputFields []string

	index  int // position in Engine.rules (file order)
	prog   ruleProgram
	output template
	req    eventReq
	// fast is the condition on the fast path; nil when it needs cel-go (slowReason says why).
	fast       boolNode
	slowReason string
	pieces     *rulePieces  // during compilation only
	falco      *falcoOutput // a rule from a Falco file renders Falco's fields
}

// Engine holds compiled rules; it is immutable and safe for concurrent use.
type Engine struct {
	rules    []*Rule
	matchAll bool
	idx      eventIndex
	attrs    *attrTable
	pool     sync.Pool // *activation
	lists    map[string][]string
	attrType map[string]attrType
	celOnly  bool
	falco    []FalcoRuleReport // what became of each rule of the Falco files
}

// Rules returns the enabled rules in file order.
func (e *Engine) Rules() []*Rule { return e.rules }

// Match evaluates a record (its resource attributes and the log record) and appends the
// matching rules to dst. Without MatchAll only the first matching rule in file order is
// appended (Falco's behaviour); with MatchAll every matching rule, in file order.
func (e *Engine) Match(res pcommon.Map, lr plog.LogRecord, dst []*Rule) []*Rule {
	name := logview.EventName(lr)
	rules := e.idx.lookup(name)
	if len(rules) == 0 {
		return dst
	}
	act := e.pool.Get().(*activation)
	act.reset(res, lr, name)
	var frame *interpreter.ExecutionFrame // made on first use, for all of the record's CEL rules
	for _, r := range rules {
		var matched bool
		if r.cond != nil {
			matched = r.cond.eval(act) == fTrue
		} else {
			if frame == nil {
				var err error
				if frame, err = interpreter.NewExecutionFrame(act); err != nil {
					break
				}
			}
			v, _, _ := r.prog.Eval(frame)
			matched = v == types.True
		}
		if matched {
			dst = append(dst, r.Rule)
			if !e.matchAll {
				break
			}
		}
	}
	if frame != nil {
		frame.Close()
	}
	act.res, act.attrs, act.body = pcommon.Map{}, pcommon.Map{}, pcommon.Value{}
	e.pool.Put(act)
	return dst
}

// Candidates returns how many rules a record with this event name is evaluated against.
func (e *Engine) Candidates(eventName string) int { return len(e.idx.lookup(eventName)) }

// Index is the rule's position in Engine.Rules(), for per-rule tables.
func (r *Rule) Index() int { return r.index }

// Render renders the rule's output template with the record's values; absent attributes
// render as <NA>.
func (r *Rule) Render(res pcommon.Map, lr plog.LogRecord) string {
	return r.RenderFalco(res, lr, pcommon.Map{})
}

// FromFalco says whether the rule came from a Falco rules file: its output references
// Falco's fields (RenderFalco).
func (r *Rule) FromFalco() bool { return r.falco != nil }

// RenderFalco is Render, and for a rule from a Falco file it also puts the fields its output
// references into fields, keyed by Falco's names (proc.name, fd.name, ...), with the values
// the text shows: what Falco's JSON alert carries as output_fields. One evaluation serves
// both. fields may be the zero Map, and is left alone for other rules.
func (r *Rule) RenderFalco(res pcommon.Map, lr plog.LogRecord, fields pcommon.Map) string {
	if r.falco != nil {
		return r.falco.render(res, lr, fields)
	}
	return r.output.render(res, lr)
}
