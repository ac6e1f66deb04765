package ruleengine

import (
	"strings"

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

type excValue struct {
	s      string
	list   []string // a YAML sequence given as the value (for in, pmatch, intersects)
	isList bool
	node   *yaml.Node
}

type exceptionDef struct {
	name   string
	fields []string
	comps  []string
	single bool
	values [][]excValue
	file   string
	line   int
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
		for _, e := range excs {
			var prev *exceptionDef
			for _, o := range r.exceptions {
				if o.name == e.name {
					prev = o
				}
			}
			if prev == nil {
				if len(e.fields) == 0 {
					return it.errf(n, "exception %q: no fields, and the rule has no exception of that name to append values to", e.name)
				}
				r.exceptions = append(r.exceptions, e)
				continue
			}
			// Same name: append values (Falco semantics); fields may be omitted.
			if len(e.fields) != 0 && strings.Join(e.fields, ",") != strings.Join(prev.fields, ",") {
				return it.errf(n, "exception %q: appended fields %v differ from the original %v", e.name, e.fields, prev.fields)
			}
			for _, tup := range e.values {
				if len(tup) != len(prev.fields) && !prev.single {
					return it.errf(n, "exception %q: value tuple has %d elements, want %d (one per field)", e.name, len(tup), len(prev.fields))
				}
			}
			prev.values = append(prev.values, e.values...)
		}
	}
	return nil
}

var validComps = map[string]bool{"=": true, "==": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true,
	"startswith": true, "endswith": true, "contains": true, "icontains": true, "in": true, "intersects": true,
	"pmatch": true, "glob": true}

func parseExceptions(it *item, n *yaml.Node) ([]*exceptionDef, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, it.errf(n, "exceptions must be a sequence")
	}
	var out []*exceptionDef
	for _, en := range n.Content {
		if en.Kind != yaml.MappingNode {
			return nil, it.errf(en, "each exception must be a mapping with name, fields, values")
		}
		e := &exceptionDef{file: it.file, line: en.Line}
		var fieldsN, compsN, valuesN *yaml.Node
		for i := 0; i+1 < len(en.Content); i += 2 {
			k, v := en.Content[i], en.Content[i+1]
			switch k.Value {
			case "name":
				e.name = v.Value
			case "fields":
				fieldsN = v
			case "comps":
				compsN = v
			case "values":
				valuesN = v
			default:
				return nil, it.errf(k, "exception: unknown key %q", k.Value)
			}
		}
		if e.name == "" {
			return nil, it.errf(en, "exception without a name")
		}
		if fieldsN != nil {
			if fieldsN.Kind == yaml.ScalarNode {
				e.single = true
				e.fields = []string{fieldsN.Value}
			} else if f, ok := stringSeq(fieldsN); ok && len(f) > 0 {
				e.fields = f
			} else {
				return nil, it.errf(fieldsN, "exception %q: fields must be a field name or a sequence of field names", e.name)
			}
		}
		if compsN != nil {
			if compsN.Kind == yaml.ScalarNode {
				e.comps = []string{compsN.Value}
			} else if c, ok := stringSeq(compsN); ok {
				e.comps = c
			} else {
				return nil, it.errf(compsN, "exception %q: comps must be a comparison or a sequence of them", e.name)
			}
			if len(e.fields) != 0 && len(e.comps) != len(e.fields) {
				return nil, it.errf(compsN, "exception %q: %d comps for %d fields", e.name, len(e.comps), len(e.fields))
			}
			for _, c := range e.comps {
				if !validComps[strings.ToLower(c)] {
					return nil, it.errf(compsN, "exception %q: unknown comparison %q (want =, !=, <, <=, >, >=, startswith, endswith, contains, icontains, in, intersects, pmatch, glob)", e.name, c)
				}
			}
		}
		if valuesN != nil {
			if valuesN.Kind != yaml.SequenceNode {
				return nil, it.errf(valuesN, "exception %q: values must be a sequence", e.name)
			}
			for _, vn := range valuesN.Content {
				var tup []excValue
				if e.single || (fieldsN == nil && vn.Kind == yaml.ScalarNode) {
					v, err := excVal(it, e, vn)
					if err != nil {
						return nil, err
					}
					tup = []excValue{v}
				} else {
					if vn.Kind != yaml.SequenceNode {
						return nil, it.errf(vn, "exception %q: each value must be a tuple [v1, v2, ...] matching fields", e.name)
					}
					if fieldsN != nil && len(vn.Content) != len(e.fields) {
						return nil, it.errf(vn, "exception %q: value tuple has %d elements, want %d (one per field)", e.name, len(vn.Content), len(e.fields))
					}
					for _, c := range vn.Content {
						v, err := excVal(it, e, c)
						if err != nil {
							return nil, err
						}
						tup = append(tup, v)
					}
				}
				e.values = append(e.values, tup)
			}
		}
		out = append(out, e)
	}
	return out, nil
}

func excVal(it *item, e *exceptionDef, n *yaml.Node) (excValue, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		return excValue{s: n.Value, node: n}, nil
	case yaml.SequenceNode:
		l, ok := stringSeq(n)
		if !ok {
			return excValue{}, it.errf(n, "exception %q: nested value lists must hold strings", e.name)
		}
		return excValue{list: l, isList: true, node: n}, nil
	}
	return excValue{}, it.errf(n, "exception %q: bad value", e.name)
}
