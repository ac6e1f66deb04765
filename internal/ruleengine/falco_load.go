package ruleengine

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Reading Falco's rules files into one set of definitions, with Falco's rules for several
// files: a later definition of a list, macro or rule replaces the earlier one (keeping its
// place), `append: true` or `override:` extends or replaces parts of it, and `- rule: R
// enabled: false` alone toggles a rule.

// falcoEngineVersion is the version of Falco's rule engine whose rules files otelsec reads:
// the language and fields of falcosecurity/rules at the commit in ../shared/falco-rules. A
// file that requires a newer engine may use what otelsec does not know, so it is refused.
const falcoEngineVersion = "0.57.0"

// falcoSource is the event source otelsec's records are (Falco's syscall source).
const falcoSource = "syscall"

// falcoDefs are the definitions of every Falco file of one Compile.
type falcoDefs struct {
	lists    map[string]*falcoListDef
	macros   map[string]*falcoMacroDef
	rules    map[string]*falcoRuleDef
	order    []*falcoRuleDef // first-definition order
	skipped  map[string]bool // rules of other sources, skipped (and their later changes with them)
	seq      int             // definitions so far: Falco's visibility index
	warnings []Warning
}

type falcoListDef struct {
	name       string
	items      []falcoItem
	index      int // when it was first defined
	visibility int // when it was last defined or changed
	file       string
	line       int
}

// falcoItem is a list item as written, with where.
type falcoItem struct {
	s    string
	file string
	line int
	col  int
}

type falcoMacroDef struct {
	name       string
	cond       falcoCond
	index      int
	visibility int
	file       string
	line       int
}

type falcoRuleDef struct {
	name       string
	desc       string
	cond       falcoCond
	output     string
	outputAt   text
	priority   Priority
	tags       []string
	enabled    bool
	exceptions []*falcoException
	file       string
	line       int
	src        int // index of the file among Compile's sources, for rule order
}

// falcoCond is a condition as Falco composes it: its definition, then each appended piece
// after a space; segs says where each piece is written, for error positions.
type falcoCond struct {
	s    string
	segs []falcoSeg
}

type falcoSeg struct {
	start int // offset in s
	t     text
}

func (c *falcoCond) add(t text) {
	if c.s != "" {
		c.s += " "
	}
	c.segs = append(c.segs, falcoSeg{start: len(c.s), t: t})
	c.s += t.s
}

// position maps a byte offset of the condition to its file, line and column (0: unknown).
func (c *falcoCond) position(off int) (string, int, int) {
	if len(c.segs) == 0 {
		return "", 0, 0
	}
	seg := c.segs[0]
	for _, s := range c.segs {
		if s.start <= off {
			seg = s
		}
	}
	// An error at the end of the text (a missing ")") is shown after its last character,
	// not on the line after a block scalar.
	rel := max(0, min(off-seg.start, len(strings.TrimRight(seg.t.s, " \t\r\n"))))
	before := seg.t.s[:rel]
	line := 1 + strings.Count(before, "\n")
	col := rel - (strings.LastIndexByte(before, '\n') + 1)
	l, cc := seg.t.pos(line, col)
	return seg.t.file, l, cc
}

func newFalcoDefs() *falcoDefs {
	return &falcoDefs{lists: map[string]*falcoListDef{}, macros: map[string]*falcoMacroDef{},
		rules: map[string]*falcoRuleDef{}, skipped: map[string]bool{}}
}

// falcoErrf is an error at a YAML node of a Falco file.
func falcoErrf(file string, n *yaml.Node, kind, name, format string, args ...any) *Error {
	e := &Error{File: file, Kind: kind, Item: name, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

// falcoItemKeys are the keys Falco's schema has for each item.
var falcoItemKeys = map[string]map[string]bool{
	"list":  {"list": true, "items": true, "append": true, "override": true},
	"macro": {"macro": true, "condition": true, "append": true, "override": true},
	"rule": {"rule": true, "desc": true, "condition": true, "output": true, "priority": true, "tags": true,
		"enabled": true, "exceptions": true, "source": true, "append": true, "override": true,
		"warn_evttypes": true, "skip-if-unknown-filter": true, "capture": true, "capture_duration": true},
}

// falcoOverridable lists what `override:` may do to each field.
var falcoOverridable = map[string]map[string]string{
	"list":  {"items": "append|replace"},
	"macro": {"condition": "append|replace"},
	"rule": {"condition": "append|replace", "output": "append|replace", "desc": "append|replace",
		"tags": "append|replace", "exceptions": "append|replace", "priority": "replace", "enabled": "replace",
		"warn_evttypes": "replace", "skip-if-unknown-filter": "replace", "capture": "replace", "capture_duration": "replace"},
}

// load reads one Falco file (src is its index among the sources) into the definitions.
func (d *falcoDefs) load(src Source, index int) error {
	root, err := parseDocument(src)
	if err != nil || root == nil {
		return err
	}
	lines := strings.Split(string(src.Data), "\n")
	for _, n := range root.Content {
		fields, err := itemFields(src.Name, n)
		if err != nil {
			return err
		}
		fi := &falcoYAMLItem{file: src.Name, node: n, fields: fields, lines: lines, src: index}
		switch {
		case fields["required_engine_version"] != nil:
			err = checkFalcoEngineVersion(src.Name, fields["required_engine_version"])
		case fields["required_plugin_versions"] != nil:
			err = checkFalcoPluginVersions(src.Name, fields["required_plugin_versions"])
		case fields["rule"] != nil:
			err = d.rule(fi)
		case fields["macro"] != nil:
			err = d.macro(fi)
		case fields["list"] != nil:
			err = d.list(fi)
		default:
			d.warnings = append(d.warnings, Warning{File: src.Name, Line: n.Line, Msg: "unknown top-level item (Falco's are rule, macro, list, required_engine_version, required_plugin_versions): ignored"})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// falcoYAMLItem is one item of a Falco file being read.
type falcoYAMLItem struct {
	file     string
	node     *yaml.Node
	fields   map[string]*yaml.Node
	lines    []string
	src      int
	kind     string
	name     string
	override map[string]string // field -> append|replace; every appendable field for append: true
}

func (fi *falcoYAMLItem) errf(n *yaml.Node, format string, args ...any) *Error {
	if n == nil {
		n = fi.node
	}
	return falcoErrf(fi.file, n, fi.kind, fi.name, format, args...)
}

func (fi *falcoYAMLItem) text(field string) text {
	n := fi.fields[field]
	return text{s: n.Value, file: fi.file, line: n.Line, col: n.Column, style: n.Style, rawSrc: fi.lines}
}

// begin checks the item's name and keys and reads append/override. It returns whether the
// item changes an existing definition.
func (d *falcoDefs) begin(fi *falcoYAMLItem, kind string) (bool, error) {
	fi.kind = kind
	nameNode := fi.fields[kind]
	if nameNode.Kind != yaml.ScalarNode || strings.TrimSpace(nameNode.Value) == "" {
		return false, fi.errf(nameNode, "%s name must be a non-empty string", kind)
	}
	fi.name = nameNode.Value
	for k, v := range fi.fields {
		if !falcoItemKeys[kind][k] {
			d.warnings = append(d.warnings, Warning{File: fi.file, Line: v.Line,
				Msg: fmt.Sprintf("%s %q: unknown key %q (not in Falco's rules schema): ignored", kind, fi.name, k)})
		}
	}
	ap, ov := fi.fields["append"], fi.fields["override"]
	if ap != nil && ov != nil {
		return false, fi.errf(ap, "keys 'append' and 'override' cannot be used together")
	}
	if ap != nil {
		b, err := boolValue(ap)
		if err != nil {
			return false, fi.errf(ap, "append: %v", err)
		}
		if !b {
			return false, nil
		}
		fi.override = map[string]string{}
		for f, modes := range falcoOverridable[kind] {
			if fi.fields[f] != nil && strings.Contains(modes, "append") {
				fi.override[f] = "append"
			}
		}
		return true, nil
	}
	if ov == nil {
		return false, nil
	}
	if ov.Kind != yaml.MappingNode {
		return false, fi.errf(ov, "override must be a mapping of field: append|replace")
	}
	fi.override = map[string]string{}
	for i := 0; i+1 < len(ov.Content); i += 2 {
		k, v := ov.Content[i], ov.Content[i+1]
		modes, ok := falcoOverridable[kind][k.Value]
		if !ok {
			return false, fi.errf(k, "key %q cannot be overridden", k.Value)
		}
		if v.Kind != yaml.ScalarNode || (v.Value != "append" && v.Value != "replace") || !strings.Contains(modes, v.Value) {
			return false, fi.errf(v, "override of %q must be one of %s", k.Value, modes)
		}
		if fi.fields[k.Value] == nil {
			return false, fi.errf(k, "an override item must define the key %q it overrides", k.Value)
		}
		fi.override[k.Value] = v.Value
	}
	for k, v := range fi.fields {
		if k != kind && k != "override" && falcoItemKeys[kind][k] && fi.override[k] == "" {
			return false, fi.errf(v, "key %q is not defined in override", k)
		}
	}
	return true, nil
}

func (d *falcoDefs) list(fi *falcoYAMLItem) error {
	change, err := d.begin(fi, "list")
	if err != nil {
		return err
	}
	itemsNode := fi.fields["items"]
	if itemsNode == nil {
		return fi.errf(nil, "list has no items")
	}
	items, err := fi.listItems(itemsNode)
	if err != nil {
		return err
	}
	prev := d.lists[fi.name]
	d.seq++
	if change {
		if prev == nil {
			return fi.errf(nil, "list has 'append' or 'override' but no list by that name is defined")
		}
		if fi.override["items"] == "append" {
			prev.items = append(prev.items, items...)
		} else {
			prev.items = items
		}
		prev.visibility = d.seq
		return nil
	}
	l := &falcoListDef{name: fi.name, items: items, index: d.seq, visibility: d.seq, file: fi.file, line: fi.node.Line}
	if prev != nil {
		l.index = prev.index
	}
	d.lists[fi.name] = l
	return nil
}

func (fi *falcoYAMLItem) listItems(n *yaml.Node) ([]falcoItem, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, fi.errf(n, "items must be a sequence")
	}
	items := make([]falcoItem, 0, len(n.Content))
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode {
			return nil, fi.errf(c, "list items must be strings or numbers")
		}
		items = append(items, falcoItem{s: c.Value, file: fi.file, line: c.Line, col: c.Column})
	}
	return items, nil
}

func (fi *falcoYAMLItem) condition(required bool) (text, bool, error) {
	n := fi.fields["condition"]
	if n == nil {
		if required {
			return text{}, false, fi.errf(nil, "%s has no condition", fi.kind)
		}
		return text{}, false, nil
	}
	if n.Kind != yaml.ScalarNode {
		return text{}, false, fi.errf(n, "condition must be a string")
	}
	return fi.text("condition"), true, nil
}

func (d *falcoDefs) macro(fi *falcoYAMLItem) error {
	change, err := d.begin(fi, "macro")
	if err != nil {
		return err
	}
	cond, _, err := fi.condition(true)
	if err != nil {
		return err
	}
	prev := d.macros[fi.name]
	d.seq++
	if change {
		if prev == nil {
			return fi.errf(nil, "macro has 'append' or 'override' but no macro by that name is defined")
		}
		if fi.override["condition"] == "append" {
			prev.cond.add(cond)
		} else {
			prev.cond = falcoCond{}
			prev.cond.add(cond)
		}
		prev.visibility = d.seq
		return nil
	}
	m := &falcoMacroDef{name: fi.name, index: d.seq, visibility: d.seq, file: fi.file, line: fi.node.Line}
	m.cond.add(cond)
	if prev != nil {
		m.index = prev.index
	}
	d.macros[fi.name] = m
	return nil
}

func (d *falcoDefs) rule(fi *falcoYAMLItem) error {
	change, err := d.begin(fi, "rule")
	if err != nil {
		return err
	}
	if s := fi.fields["source"]; s != nil && s.Value != falcoSource {
		if !d.skipped[fi.name] {
			d.warnings = append(d.warnings, Warning{File: fi.file, Line: fi.node.Line, Rule: fi.name,
				Msg: fmt.Sprintf("source %q is not one otelsec has (only Falco's %q source: the kernel's events): the rule is skipped", s.Value, falcoSource)})
		}
		d.skipped[fi.name] = true
		return nil
	}
	if d.skipped[fi.name] {
		return nil // a change to a rule of another source
	}
	prev := d.rules[fi.name]
	d.seq++
	if len(fi.fields) == 2 && fi.fields["enabled"] != nil {
		if prev == nil {
			return fi.errf(nil, "rule has only 'enabled' but no rule by that name is defined")
		}
		return fi.setEnabled(prev)
	}
	if change {
		if prev == nil {
			return fi.errf(nil, "rule has 'append' or 'override' but no rule by that name is defined")
		}
		if fi.fields["append"] != nil && fi.fields["condition"] == nil && fi.fields["exceptions"] == nil {
			return fi.errf(nil, "appended rule must have exceptions or condition property")
		}
		return fi.changeRule(prev)
	}
	r := &falcoRuleDef{name: fi.name, enabled: true, file: fi.file, line: fi.node.Line, src: fi.src}
	cond, _, err := fi.condition(true)
	if err != nil {
		return err
	}
	r.cond.add(cond)
	for _, f := range []string{"desc", "output", "priority"} {
		if fi.fields[f] == nil {
			return fi.errf(nil, "rule has no %s", f)
		}
	}
	if err := fi.setRuleFields(r, false); err != nil {
		return err
	}
	if prev != nil {
		r.src, r.file, r.line = prev.src, prev.file, prev.line
		*prev = *r
		return nil
	}
	d.rules[fi.name] = r
	d.order = append(d.order, r)
	return nil
}

func (fi *falcoYAMLItem) setEnabled(r *falcoRuleDef) error {
	b, err := boolValue(fi.fields["enabled"])
	if err != nil {
		return fi.errf(fi.fields["enabled"], "enabled: %v", err)
	}
	r.enabled = b
	return nil
}

// changeRule applies an append or override item to an existing rule.
func (fi *falcoYAMLItem) changeRule(r *falcoRuleDef) error {
	if mode, ok := fi.override["condition"]; ok {
		cond, _, err := fi.condition(true)
		if err != nil {
			return err
		}
		if mode == "replace" {
			r.cond = falcoCond{}
		}
		r.cond.add(cond)
	}
	return fi.setRuleFields(r, true)
}

// setRuleFields sets every field of a rule but its condition, honouring the item's override
// modes when it changes an existing rule.
func (fi *falcoYAMLItem) setRuleFields(r *falcoRuleDef, change bool) error {
	appending := func(f string) bool { return change && fi.override[f] == "append" }
	if change {
		for f := range fi.fields {
			if falcoOverridable["rule"][f] != "" && fi.override[f] == "" {
				return fi.errf(fi.fields[f], "key %q cannot be appended", f)
			}
		}
	}
	if n := fi.fields["desc"]; n != nil {
		s, ok := stringValue(n)
		if !ok {
			return fi.errf(n, "desc must be a string")
		}
		if appending("desc") {
			r.desc += " " + strings.TrimSpace(s)
		} else {
			r.desc = strings.TrimSpace(s)
		}
	}
	if n := fi.fields["output"]; n != nil {
		s, ok := stringValue(n)
		if !ok {
			return fi.errf(n, "output must be a string")
		}
		if appending("output") {
			r.output += " " + strings.TrimSpace(s)
		} else {
			r.output, r.outputAt = strings.TrimSpace(s), fi.text("output")
		}
	}
	if n := fi.fields["priority"]; n != nil {
		s, _ := stringValue(n)
		p, err := ParsePriority(strings.TrimSpace(s))
		if err != nil {
			return fi.errf(n, "%v", err)
		}
		r.priority = p
	}
	if n := fi.fields["tags"]; n != nil {
		tags, ok := stringSeq(n)
		if !ok {
			return fi.errf(n, "tags must be a sequence of strings")
		}
		if appending("tags") {
			r.tags = append(r.tags, tags...)
		} else {
			r.tags = tags
		}
	}
	if n := fi.fields["enabled"]; n != nil {
		if err := fi.setEnabled(r); err != nil {
			return err
		}
	}
	if n := fi.fields["exceptions"]; n != nil {
		excs, err := fi.exceptions(n)
		if err != nil {
			return err
		}
		if !appending("exceptions") {
			r.exceptions = excs
			return nil
		}
		return fi.appendExceptions(r, excs)
	}
	return nil
}

// checkFalcoEngineVersion accepts a version otelsec's engine is at least (Falco's old integer
// form N is 0.N.0).
func checkFalcoEngineVersion(file string, n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return falcoErrf(file, n, "", "", "required_engine_version must be a version (0.57.0)")
	}
	want, ok := parseFalcoVersion(n.Value)
	if !ok {
		return falcoErrf(file, n, "", "", "required_engine_version %q is not a version (0.57.0)", n.Value)
	}
	have, _ := parseFalcoVersion(falcoEngineVersion)
	for i := range want {
		if want[i] != have[i] {
			if want[i] > have[i] {
				return falcoErrf(file, n, "", "", "the file requires Falco rule engine version %s; otelsec reads rules files up to engine version %s (fields or syntax of newer engines are unknown to it)", n.Value, falcoEngineVersion)
			}
			break
		}
	}
	return nil
}

func parseFalcoVersion(s string) ([3]int, bool) {
	var v [3]int
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return [3]int{0, n, 0}, true
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return v, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, false
		}
		v[i] = n
	}
	return v, true
}

// checkFalcoPluginVersions accepts Falco's plugin requirements: otelsec has no plugins; the
// fields of the container plugin are supplied by the container_metadata processor.
func checkFalcoPluginVersions(file string, n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return falcoErrf(file, n, "", "", "required_plugin_versions must be a sequence of {name, version}")
	}
	for _, p := range n.Content {
		fields, err := itemFields(file, p)
		if err != nil {
			return err
		}
		if fields["name"] == nil || fields["version"] == nil {
			return falcoErrf(file, p, "", "", "each required_plugin_versions entry needs a name and a version")
		}
	}
	return nil
}
