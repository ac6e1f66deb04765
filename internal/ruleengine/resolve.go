package ruleengine

import (
	"errors"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

type listDef struct {
	name  string
	items []string
	file  string
	line  int
}

type macroDef struct {
	name  string
	parts []text // ANDed
	file  string
	line  int
}

type ruleDef struct {
	name       string
	desc       string
	output     text
	priority   Priority
	tags       []string
	enabled    bool
	exceptions []*exceptionDef
	parts      []text // ANDed
	file       string
	line       int
	ruleset    string
	falco      *falcoOutput // a rule from a Falco file: its output, in Falco's fields
}

// definitions is every item after overrides were applied, in first-definition order.
type definitions struct {
	lists     map[string]*listDef
	macros    map[string]*macroDef
	rules     map[string]*ruleDef
	ruleOrder []*ruleDef
}

func resolve(items []*item) (*definitions, error) {
	d := &definitions{lists: map[string]*listDef{}, macros: map[string]*macroDef{}, rules: map[string]*ruleDef{}}
	for _, it := range items {
		var err error
		switch it.kind {
		case "list":
			err = d.addList(it)
		case "macro":
			err = d.addMacro(it)
		case "rule":
			err = d.addRule(it)
		}
		if err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (d *definitions) addList(it *item) error {
	itemsNode := it.fields["items"]
	if itemsNode == nil {
		return it.errf(nil, "list has no items")
	}
	vals, ok := stringSeq(itemsNode)
	if !ok {
		return it.errf(itemsNode, "items must be a sequence of strings")
	}
	old := d.lists[it.name]
	if it.override == nil {
		if old != nil {
			return it.errf(nil, "duplicate list (first defined at %s:%d); use override: {items: append|replace} to change it", old.file, old.line)
		}
		d.lists[it.name] = &listDef{name: it.name, items: vals, file: it.file, line: it.line}
		return nil
	}
	if old == nil {
		return it.errf(nil, "override of unknown list")
	}
	if it.override["items"] == "append" {
		old.items = append(old.items, vals...)
	} else {
		old.items = vals
	}
	return nil
}

func (d *definitions) condText(it *item) (text, error) {
	n := it.fields["condition"]
	if n == nil {
		return text{}, it.errf(nil, "%s has no condition", it.kind)
	}
	if n.Kind != yaml.ScalarNode || strings.TrimSpace(n.Value) == "" {
		return text{}, it.errf(n, "condition must be a non-empty string")
	}
	return it.text("condition"), nil
}

func (d *definitions) addMacro(it *item) error {
	cond, err := d.condText(it)
	if err != nil {
		return err
	}
	old := d.macros[it.name]
	if it.override == nil {
		if old != nil {
			return it.errf(nil, "duplicate macro (first defined at %s:%d); use override: {condition: append|replace} to change it", old.file, old.line)
		}
		d.macros[it.name] = &macroDef{name: it.name, parts: []text{cond}, file: it.file, line: it.line}
		return nil
	}
	if old == nil {
		return it.errf(nil, "override of unknown macro")
	}
	if it.override["condition"] == "append" {
		old.parts = append(old.parts, cond)
	} else {
		old.parts = []text{cond}
	}
	return nil
}

func (d *definitions) addRule(it *item) error {
	old := d.rules[it.name]
	// `- rule: R  enabled: false` on its own toggles an existing rule.
	if it.override == nil && old != nil && len(it.fields) == 2 && it.fields["enabled"] != nil {
		b, err := boolValue(it.fields["enabled"])
		if err != nil {
			return it.errf(it.fields["enabled"], "enabled: %v", err)
		}
		old.enabled = b
		return nil
	}
	if it.override == nil {
		if old != nil {
			return it.errf(nil, "duplicate rule (first defined at %s:%d); use override: to change it, or `enabled: false` alone to disable it", old.file, old.line)
		}
		if len(it.fields) == 2 && it.fields["enabled"] != nil {
			return it.errf(nil, "enabling/disabling an unknown rule")
		}
		r := &ruleDef{name: it.name, enabled: true, file: it.file, line: it.line, ruleset: it.ruleset}
		cond, err := d.condText(it)
		if err != nil {
			return err
		}
		r.parts = []text{cond}
		for _, f := range []string{"desc", "output", "priority"} {
			if it.fields[f] == nil {
				return it.errf(nil, "rule has no %s", f)
			}
		}
		if err := d.setRuleFields(it, r, false); err != nil {
			return err
		}
		d.rules[it.name] = r
		d.ruleOrder = append(d.ruleOrder, r)
		return nil
	}
	if old == nil {
		return it.errf(nil, "override of unknown rule")
	}
	if mode, ok := it.override["condition"]; ok {
		cond, err := d.condText(it)
		if err != nil {
			return err
		}
		if mode == "append" {
			old.parts = append(old.parts, cond)
		} else {
			old.parts = []text{cond}
		}
	}
	return d.setRuleFields(it, old, true)
}

// setRuleFields applies every field but the condition, honouring override modes.
func (d *definitions) setRuleFields(it *item, r *ruleDef, isOverride bool) error {
	mode := func(f string) string {
		if !isOverride {
			return "replace"
		}
		return it.override[f]
	}
	if n := it.fields["desc"]; n != nil {
		s, ok := stringValue(n)
		if !ok {
			return it.errf(n, "desc must be a string")
		}
		r.desc = strings.TrimSpace(s)
	}
	if n := it.fields["output"]; n != nil {
		if _, ok := stringValue(n); !ok {
			return it.errf(n, "output must be a string")
		}
		t := it.text("output")
		if _, err := parseTemplate(t.s); err != nil {
			var te *templateError
			errors.As(err, &te)
			line, col := t.pos(lineCol([]rune(t.s), utf8.RuneCountInString(t.s[:te.off])))
			return &Error{File: it.file, Line: line, Column: col, Kind: it.kind, Item: it.name, Msg: "output: " + te.msg}
		}
		t.s = strings.TrimSpace(t.s)
		if mode("output") == "append" {
			r.output.s = r.output.s + " " + t.s
		} else {
			r.output = t
		}
	}
	if n := it.fields["priority"]; n != nil {
		s, _ := stringValue(n)
		p, err := ParsePriority(s)
		if err != nil {
			return it.errf(n, "%v", err)
		}
		r.priority = p
	}
	if n := it.fields["tags"]; n != nil {
		tags, ok := stringSeq(n)
		if !ok {
			return it.errf(n, "tags must be a sequence of strings")
		}
		if mode("tags") == "append" {
			r.tags = append(r.tags, tags...)
		} else {
			r.tags = tags
		}
	}
	if n := it.fields["enabled"]; n != nil {
		b, err := boolValue(n)
		if err != nil {
			return it.errf(n, "enabled: %v", err)
		}
		r.enabled = b
	}
	if n := it.fields["exceptions"]; n != nil {
		excs, err := parseExceptions(it, n)
		if err != nil {
			return err
		}
		if mode("exceptions") != "append" {
			r.exceptions = excs
			return nil
		}
		if err := r.appendExceptions(it, n, excs); err != nil {
			return err
		}
	}
	return nil
}
