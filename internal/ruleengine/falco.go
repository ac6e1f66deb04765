package ruleengine

import (
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Falco's rules files, as a second front end of the engine: a file is recognised as Falco's
// by its content (falcoClaims), Falco's files of one Compile are read together with Falco's
// rules for several files (falco_load.go), and each Falco rule becomes a rule of the engine
// whose condition is CEL over otelsec's attributes (falco_compile.go), so it is indexed by
// event and runs on the fast path like any other. Falco's rules keep their names, priorities
// and tags; their outputs render Falco's fields (falco_output.go). Falco's lists and macros
// are Falco's: otelsec rule files do not see them, nor Falco files otelsec's.

// falcoFront collects the Falco files of one Compile.
type falcoFront struct {
	defs   *falcoDefs
	files  []string
	report []FalcoRuleReport
}

// FalcoRuleReport says what became of one Falco rule at load.
type FalcoRuleReport struct {
	Name, File string
	// State is "loaded", "disabled" (enabled: false in its file), "missing fields" (it
	// needs fields the sensor cannot supply, so it could never fire), "no events" (it is
	// only on events the sensor does not capture) or "never fires" (its condition is false
	// on every event, in Falco too: a template rule whose list is empty).
	State string
	// Missing are the fields of its condition the sensor cannot supply; MissingOutput those
	// of its output (rendered <NA>); Uncaptured its event types the sensor does not capture.
	Missing, MissingOutput, Uncaptured []string
}

// FalcoRules says what became of each rule of the Falco files loaded, in file order.
func (e *Engine) FalcoRules() []FalcoRuleReport { return e.falco }

func newFalcoFront() *falcoFront { return &falcoFront{defs: newFalcoDefs()} }

var (
	falcoQuotedRE = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	falcoWordRE   = regexp.MustCompile(`(^|[\s(])(and|or|not)[\s(]|(^|[^\w.])(evt|proc|thread|user|group)\.[a-z]`)
	celOpRE       = regexp.MustCompile(`&&|\|\||![^=]|!$`)
)

// claims reports whether a source is a Falco rules file: it has required_engine_version or
// required_plugin_versions, or its conditions are in Falco's syntax (and, or, not; Falco's
// fields) rather than CEL (&&, ||, !), or, having no condition that tells, it changes
// lists, macros or rules that Falco files before it defined. A file that cannot be read is
// left to the otelsec reader, which reports why.
func (ff *falcoFront) claims(src Source) bool {
	root, err := parseDocument(src)
	if err != nil || root == nil {
		return false
	}
	falco, cel, changesFalco := false, false, false
	for _, n := range root.Content {
		fields, err := itemFields(src.Name, n)
		if err != nil {
			return false
		}
		switch {
		case fields["ruleset"] != nil:
			return false
		case fields["required_engine_version"] != nil, fields["required_plugin_versions"] != nil:
			return true
		}
		var texts []string
		if c := fields["condition"]; c != nil {
			texts = append(texts, c.Value)
		}
		if ex := fields["exceptions"]; ex != nil && ex.Kind == yaml.SequenceNode {
			for _, e := range ex.Content {
				if f, _ := itemFields(src.Name, e); f != nil && f["fields"] != nil {
					texts = append(texts, nodeText(f["fields"]))
				}
			}
		}
		for _, t := range texts {
			t = falcoQuotedRE.ReplaceAllString(t, `""`)
			cel = cel || celOpRE.MatchString(t)
			falco = falco || falcoWordRE.MatchString(t)
		}
		changesFalco = changesFalco || ff.changesDefinition(fields)
	}
	if cel {
		return false
	}
	return falco || changesFalco
}

func nodeText(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return n.Value
	}
	var parts []string
	for _, c := range n.Content {
		parts = append(parts, nodeText(c))
	}
	return strings.Join(parts, " ")
}

// changesDefinition reports whether an item appends to, overrides or toggles a definition
// of the Falco files read so far.
func (ff *falcoFront) changesDefinition(fields map[string]*yaml.Node) bool {
	if fields["append"] == nil && fields["override"] == nil && !(len(fields) == 2 && fields["enabled"] != nil) {
		return false
	}
	switch {
	case fields["list"] != nil:
		return ff.defs.lists[fields["list"].Value] != nil
	case fields["macro"] != nil:
		return ff.defs.macros[fields["macro"].Value] != nil
	case fields["rule"] != nil:
		return ff.defs.rules[fields["rule"].Value] != nil || ff.defs.skipped[fields["rule"].Value]
	}
	return false
}

func (ff *falcoFront) load(src Source, index int) error {
	ff.files = append(ff.files, src.Name)
	return ff.defs.load(src, index)
}

// addTo compiles the Falco rules and adds them to d, ordered with otelsec's rules by the
// position of their files among srcs (Falco's first matching rule is the first in files'
// order). It returns the Falco files' warnings.
func (ff *falcoFront) addTo(d *definitions, srcs []Source) ([]Warning, error) {
	if len(ff.files) == 0 {
		return nil, nil
	}
	fc := newFalcoCompiler(ff.defs)
	if err := fc.resolveLists(); err != nil {
		return nil, err
	}
	warnings := ff.defs.warnings
	progs := &falcoPrograms{}
	order := map[*ruleDef]int{}
	pos := map[string]int{}
	for i := len(srcs) - 1; i >= 0; i-- {
		pos[srcs[i].Name] = i
	}
	for _, r := range d.ruleOrder {
		order[r] = pos[r.file]
	}
	for _, r := range ff.defs.order {
		rd, rep, err := fc.compileRule(r, progs)
		if err != nil {
			return nil, err
		}
		if prev := d.rules[r.name]; prev != nil {
			return nil, &Error{File: r.file, Line: r.line, Kind: "rule", Item: r.name,
				Msg: fmt.Sprintf("an otelsec rule of that name exists (%s:%d): Falco's rules and otelsec's share one namespace of rule names", prev.file, prev.line)}
		}
		d.rules[r.name] = rd
		d.ruleOrder = append(d.ruleOrder, rd)
		order[rd] = r.src
		ff.report = append(ff.report, rep)
		if w := rep.warning(); w != "" {
			warnings = append(warnings, Warning{File: r.file, Line: r.line, Rule: r.name, Msg: w})
		}
	}
	sort.SliceStable(d.ruleOrder, func(i, j int) bool { return order[d.ruleOrder[i]] < order[d.ruleOrder[j]] })
	if len(fc.approx) > 0 {
		warnings = append(warnings, Warning{File: ff.files[0], Msg: "Falco fields read approximately (docs/falco.md says how each differs): " + sortedFields(fc.approx, false)})
	}
	return warnings, nil
}

// compileRule turns one Falco rule into a rule of the engine.
func (fc *falcoCompiler) compileRule(r *falcoRuleDef, progs *falcoPrograms) (*ruleDef, FalcoRuleReport, error) {
	rep := FalcoRuleReport{Name: r.name, File: r.file}
	root, uncaptured, err := fc.ruleTree(r)
	if err != nil {
		return nil, rep, err
	}
	out, err := parseFalcoOutput(r.output)
	if err != nil {
		return nil, rep, &Error{File: r.outputAt.file, Line: r.outputAt.line, Column: r.outputAt.col, Kind: "rule", Item: r.name, Msg: "output: " + err.Error()}
	}
	conds, err := fc.eventConds(root)
	if err != nil {
		return nil, rep, &Error{File: r.file, Line: r.line, Kind: "rule", Item: r.name, Msg: err.Error()}
	}
	missingCond, seen := map[string]string{}, map[*falcoTerm]bool{}
	var fires []string
	for _, c := range conds {
		c.optimist.missingFields(missingCond, seen)
		if c.term.op != tFalse {
			fires = append(fires, c.event)
		}
	}
	missingOut, err := out.prepare(fires, progs)
	if err != nil {
		return nil, rep, &Error{File: r.outputAt.file, Line: r.outputAt.line, Kind: "rule", Item: r.name, Msg: err.Error()}
	}
	rep.Missing, rep.MissingOutput = strings.Split(sortedFields(missingCond, true), ", "), strings.Split(sortedFields(missingOut, false), ", ")
	if len(missingCond) == 0 {
		rep.Missing = nil
	}
	if len(missingOut) == 0 {
		rep.MissingOutput = nil
	}
	rep.Uncaptured = sortedKeys(uncaptured)
	switch {
	case !r.enabled:
		rep.State = "disabled"
	case len(conds) == 0 && len(uncaptured) > 0:
		rep.State = "no events"
	case len(conds) == 0:
		rep.State = "never fires"
	case len(fires) == 0:
		rep.State = "missing fields"
	default:
		rep.State = "loaded"
	}
	first := r.cond.segs[0].t
	rd := &ruleDef{name: r.name, desc: r.desc, priority: r.priority, tags: r.tags, enabled: rep.State == "loaded",
		file: r.file, line: r.line, ruleset: strings.TrimSuffix(filepath.Base(r.file), filepath.Ext(r.file)),
		parts: []text{{s: celCondition(conds), file: first.file, line: first.line}}, falco: out}
	return rd, rep, nil
}

// ruleTree parses and validates a rule's condition and its exceptions, as Falco builds them:
// (condition) and not (exception) and not ...
func (fc *falcoCompiler) ruleTree(r *falcoRuleDef) (*falcoNode, map[string]bool, error) {
	tree, err := parseFalcoCondition(r.cond.s)
	if err != nil {
		return nil, nil, parseErr(&r.cond, err, "rule", r.name)
	}
	v := &validation{fc: fc, cond: &r.cond, kind: "rule", item: r.name, visibility: math.MaxInt, uncaptured: map[string]bool{}}
	if err := v.walk(tree); err != nil {
		return nil, nil, err
	}
	kids := []*falcoNode{tree}
	for _, e := range r.exceptions {
		for _, f := range e.fields {
			if _, _, _, ok := lookupFalcoField(f); !ok {
				return nil, nil, &Error{File: e.file, Line: e.line, Kind: "rule", Item: r.name, Msg: fmt.Sprintf("exception %q: unknown exception field %s", e.name, f)}
			}
		}
		s := e.conditionText()
		if s == "" {
			continue
		}
		ec := &falcoCond{}
		ec.add(text{s: s, file: e.file, line: e.line})
		en, err := parseFalcoCondition(s)
		if err != nil {
			return nil, nil, parseErr(ec, err, "rule", r.name)
		}
		ev := &validation{fc: fc, cond: ec, kind: "rule", item: r.name, visibility: math.MaxInt, uncaptured: v.uncaptured}
		if err := ev.walk(en); err != nil {
			return nil, nil, err
		}
		kids = append(kids, &falcoNode{kind: falcoNot, kids: []*falcoNode{en}})
	}
	if len(kids) == 1 {
		return tree, v.uncaptured, nil
	}
	return &falcoNode{kind: falcoAnd, kids: kids}, v.uncaptured, nil
}

// warning is the one warning of a rule: what it cannot have from the sensor.
func (rep FalcoRuleReport) warning() string {
	var parts []string
	switch rep.State {
	case "missing fields":
		parts = append(parts, "disabled: it needs Falco fields the sensor cannot supply, so it could never fire: "+strings.Join(rep.Missing, ", "))
	case "no events":
		parts = append(parts, "disabled: it is only on events the sensor does not capture: "+strings.Join(rep.Uncaptured, ", "))
	case "never fires":
		parts = append(parts, "not run: its condition is false on every event, in Falco too (an empty list of a template rule?)")
	default:
		if len(rep.Missing) > 0 {
			parts = append(parts, "checks on Falco fields the sensor cannot supply are false, as in Falco for a field it cannot read: "+strings.Join(rep.Missing, ", "))
		}
	}
	if len(rep.Uncaptured) > 0 && rep.State != "no events" {
		parts = append(parts, "events the sensor does not capture: "+strings.Join(rep.Uncaptured, ", "))
	}
	if len(rep.MissingOutput) > 0 && rep.State == "loaded" {
		parts = append(parts, "output fields the sensor cannot supply show <NA>: "+strings.Join(rep.MissingOutput, ", "))
	}
	return strings.Join(parts, "; ")
}
