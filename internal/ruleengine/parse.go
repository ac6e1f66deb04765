package ruleengine

import (
	"fmt"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// item is one parsed YAML item before resolution.
type item struct {
	kind     string // "list", "macro", "rule"
	name     string
	file     string
	line     int
	ruleset  string
	fields   map[string]*yaml.Node
	override map[string]string // field -> "append" | "replace"
	src      []string
}

func (it *item) errf(n *yaml.Node, format string, args ...any) *Error {
	line := it.line
	col := 0
	if n != nil {
		line, col = n.Line, n.Column
	}
	return &Error{File: it.file, Line: line, Column: col, Kind: it.kind, Item: it.name, Msg: fmt.Sprintf(format, args...)}
}

func (it *item) text(field string) text {
	n := it.fields[field]
	return text{s: n.Value, file: it.file, line: n.Line, col: n.Column, style: n.Style, rawSrc: it.src}
}

var allowedKeys = map[string]map[string]bool{
	"list":  {"list": true, "items": true, "override": true, "append": true},
	"macro": {"macro": true, "condition": true, "override": true, "append": true},
	"rule": {"rule": true, "desc": true, "condition": true, "output": true, "priority": true,
		"tags": true, "enabled": true, "exceptions": true, "override": true, "append": true,
		// Falco keys accepted for compatibility and ignored.
		"source": true, "warn_evttypes": true, "skip-if-unknown-filter": true},
}

// overridable lists which fields each kind may override and how.
var overridable = map[string]map[string]string{
	"list":  {"items": "append|replace"},
	"macro": {"condition": "append|replace"},
	"rule": {"condition": "append|replace", "exceptions": "append|replace", "tags": "append|replace",
		"output": "append|replace", "desc": "replace", "priority": "replace", "enabled": "replace"},
}

// parseSource parses one file into items.
func parseSource(src Source) ([]*item, error) {
	root, err := parseDocument(src)
	if err != nil || root == nil {
		return nil, err
	}
	lines := strings.Split(string(src.Data), "\n")
	ruleset := strings.TrimSuffix(filepath.Base(src.Name), filepath.Ext(src.Name))
	rulesetSet := false
	var items []*item
	for _, n := range root.Content {
		fields, err := itemFields(src.Name, n)
		if err != nil {
			return nil, err
		}
		switch {
		case fields["ruleset"] != nil:
			v := fields["ruleset"]
			if len(fields) != 1 || v.Kind != yaml.ScalarNode || strings.TrimSpace(v.Value) == "" {
				return nil, &Error{File: src.Name, Line: n.Line, Column: n.Column, Kind: "ruleset", Item: v.Value, Msg: "a ruleset item is just `- ruleset: <name>`"}
			}
			if rulesetSet {
				return nil, &Error{File: src.Name, Line: n.Line, Column: n.Column, Kind: "ruleset", Item: v.Value, Msg: "ruleset given twice in one file"}
			}
			ruleset, rulesetSet = v.Value, true
			continue
		case fields["required_engine_version"] != nil || fields["required_plugin_versions"] != nil:
			continue // Falco compatibility: nothing to check here
		}
		it, err := newItem(src.Name, n, fields, lines)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	for _, it := range items {
		it.ruleset = ruleset
	}
	return items, nil
}

// parseDocument parses a file's YAML and returns its top-level sequence; nil for an empty
// file.
func parseDocument(src Source) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src.Data, &doc); err != nil {
		return nil, yamlError(src, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil // empty file
	}
	resolveAliases(&doc, map[*yaml.Node]bool{})
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, nil
	}
	if root.Kind != yaml.SequenceNode {
		return nil, &Error{File: src.Name, Line: root.Line, Column: root.Column, Msg: "a rules file must be a YAML sequence of items (- rule: ..., - macro: ..., - list: ...)"}
	}
	return root, nil
}

// itemFields maps an item's keys to their values; a key given twice is an error.
func itemFields(file string, n *yaml.Node) (map[string]*yaml.Node, error) {
	if n.Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: n.Line, Column: n.Column, Msg: "each item must be a mapping (- rule: ..., - macro: ..., - list: ...)"}
	}
	fields := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if _, dup := fields[k.Value]; dup {
			return nil, &Error{File: file, Line: k.Line, Column: k.Column, Msg: fmt.Sprintf("key %q given twice in one item", k.Value)}
		}
		fields[k.Value] = n.Content[i+1]
	}
	return fields, nil
}

// newItem makes a rule, macro or list item and checks its name, keys and override block.
func newItem(file string, n *yaml.Node, fields map[string]*yaml.Node, lines []string) (*item, error) {
	it := &item{file: file, line: n.Line, fields: fields, src: lines}
	switch {
	case fields["rule"] != nil:
		it.kind = "rule"
	case fields["macro"] != nil:
		it.kind = "macro"
	case fields["list"] != nil:
		it.kind = "list"
	default:
		return nil, &Error{File: file, Line: n.Line, Column: n.Column, Msg: "unknown item: expected one of rule, macro, list, ruleset"}
	}
	nameNode := fields[it.kind]
	if nameNode.Kind != yaml.ScalarNode || strings.TrimSpace(nameNode.Value) == "" {
		return nil, &Error{File: file, Line: nameNode.Line, Column: nameNode.Column, Kind: it.kind, Msg: it.kind + " name must be a non-empty string"}
	}
	it.name = nameNode.Value
	for k, v := range fields {
		if !allowedKeys[it.kind][k] {
			return nil, it.errf(v, "unknown key %q", k)
		}
	}
	if err := it.parseOverride(); err != nil {
		return nil, err
	}
	return it, nil
}

func (it *item) parseOverride() error {
	ov := it.fields["override"]
	if ap := it.fields["append"]; ap != nil {
		// Falco's older `append: true`: append every appendable field given.
		b, err := boolValue(ap)
		if err != nil {
			return it.errf(ap, "append: %v", err)
		}
		if ov != nil {
			return it.errf(ap, "use either override or append, not both")
		}
		if !b {
			return nil
		}
		it.override = map[string]string{}
		for k := range it.fields {
			if strings.Contains(overridable[it.kind][k], "append") {
				it.override[k] = "append"
			}
		}
		if len(it.override) == 0 {
			return it.errf(ap, "append: true but no appendable field given")
		}
		return nil
	}
	if ov == nil {
		return nil
	}
	if ov.Kind != yaml.MappingNode {
		return it.errf(ov, "override must be a mapping of field: append|replace")
	}
	it.override = map[string]string{}
	for i := 0; i+1 < len(ov.Content); i += 2 {
		k, v := ov.Content[i], ov.Content[i+1]
		allowed, ok := overridable[it.kind][k.Value]
		if !ok {
			return it.errf(k, "field %q of a %s cannot be overridden", k.Value, it.kind)
		}
		if v.Kind != yaml.ScalarNode || !strings.Contains(allowed, v.Value) || strings.Contains(v.Value, "|") || v.Value == "" {
			return it.errf(v, "override of %q must be one of %s, got %q", k.Value, allowed, v.Value)
		}
		if it.fields[k.Value] == nil {
			return it.errf(k, "override names %q but the item does not give it", k.Value)
		}
		it.override[k.Value] = v.Value
	}
	for k, v := range it.fields {
		if k == it.kind || k == "override" || k == "source" {
			continue
		}
		if _, ok := it.override[k]; !ok {
			return it.errf(v, "field %q is given in an override item but not listed in override", k)
		}
	}
	return nil
}

// resolveAliases replaces alias nodes (*name) by the node they refer to, so anchors can share
// values between items. Pointers are shared, not copied, so an alias bomb costs nothing; a
// node is walked once.
func resolveAliases(n *yaml.Node, seen map[*yaml.Node]bool) {
	if seen[n] {
		return
	}
	seen[n] = true
	for i, c := range n.Content {
		for c.Kind == yaml.AliasNode && c.Alias != nil && c.Alias != c {
			c = c.Alias
		}
		n.Content[i] = c
		resolveAliases(c, seen)
	}
}

func boolValue(n *yaml.Node) (bool, error) {
	if n.Kind != yaml.ScalarNode {
		return false, fmt.Errorf("want true or false")
	}
	switch strings.ToLower(n.Value) {
	case "true", "yes", "on":
		return true, nil
	case "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("want true or false, got %q", n.Value)
}

// stringValue reads a scalar as a string.
func stringValue(n *yaml.Node) (string, bool) {
	if n == nil || n.Kind != yaml.ScalarNode {
		return "", false
	}
	return n.Value, true
}

// stringSeq reads a sequence of scalars.
func stringSeq(n *yaml.Node) ([]string, bool) {
	if n == nil {
		return nil, true
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, true
	}
	if n.Kind != yaml.SequenceNode {
		return nil, false
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode {
			return nil, false
		}
		out = append(out, c.Value)
	}
	return out, true
}
