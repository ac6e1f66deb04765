package ruleengine

import (
	"fmt"
	"strings"
)

// checkNames checks list and macro names: conditions reference them as CEL identifiers, so
// they must be identifiers, not keywords, and a list and a macro cannot share one.
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

// resolveLists expands every list's items (lists of lists) into c.lists.
func (c *compiler) resolveLists() error {
	for name, l := range c.d.lists {
		items, err := c.resolveList(name, nil)
		if err != nil {
			return &Error{File: l.file, Line: l.line, Kind: "list", Item: name, Msg: err.Error()}
		}
		c.lists[name] = items
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
