package ruleengine

import (
	"strings"

	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"

	"github.com/otelsec/otelsec/internal/schema"
)

// eventReq is what a condition requires of event.name: any, or one of names / prefixes.
type eventReq struct {
	any      bool
	names    []string
	prefixes []string
}

// ruleReq is what a rule's condition requires: what all its parts do (an exception, under
// `!`, requires nothing).
func (c *compiler) ruleReq(parts []*scanned) eventReq {
	req := eventReq{any: true}
	for _, p := range parts {
		req = req.and(c.eventReq(p.ast.Expr(), p.macroIdents))
	}
	return req
}

// macroReq is what a macro requires, computed once.
func (c *compiler) macroReq(name string) eventReq {
	if q, ok := c.macroReqs[name]; ok {
		return q
	}
	q := c.ruleReq(c.macroParts(name))
	c.macroReqs[name] = q
	return q
}

// and is what a && b requires: the narrower requirement (the left one among equals).
func (q eventReq) and(b eventReq) eventReq {
	switch {
	case q.any:
		return b
	case b.any:
		return q
	case len(b.prefixes) < len(q.prefixes) || (len(b.prefixes) == len(q.prefixes) && len(b.names) < len(q.names)):
		return b
	}
	return q
}

// eventReq is what condition e requires; idents are its macro references.
func (c *compiler) eventReq(e ast.Expr, idents map[int64]string) eventReq {
	anyReq := eventReq{any: true}
	if name, ok := idents[e.ID()]; ok && e.Kind() == ast.IdentKind {
		return c.macroReq(name)
	}
	if e.Kind() != ast.CallKind {
		return anyReq
	}
	call := e.AsCall()
	args := call.Args()
	isEvent := func(x ast.Expr) bool {
		n, ok := chainName(x)
		return ok && n == EventNameAttr
	}
	strLit := func(x ast.Expr) (string, bool) {
		if x.Kind() != ast.LiteralKind {
			return "", false
		}
		s, ok := x.AsLiteral().(types.String)
		return string(s), ok
	}
	switch call.FunctionName() {
	case operators.LogicalAnd:
		return c.eventReq(args[0], idents).and(c.eventReq(args[1], idents))
	case operators.LogicalOr:
		a, b := c.eventReq(args[0], idents), c.eventReq(args[1], idents)
		if a.any || b.any {
			return anyReq
		}
		return eventReq{names: append(append([]string{}, a.names...), b.names...), prefixes: append(append([]string{}, a.prefixes...), b.prefixes...)}
	case operators.Equals:
		if isEvent(args[0]) {
			if s, ok := strLit(args[1]); ok {
				return eventReq{names: []string{s}}
			}
		}
		if isEvent(args[1]) {
			if s, ok := strLit(args[0]); ok {
				return eventReq{names: []string{s}}
			}
		}
	case operators.In:
		if !isEvent(args[0]) {
			break
		}
		switch args[1].Kind() {
		case ast.ListKind:
			var names []string
			for _, el := range args[1].AsList().Elements() {
				s, ok := strLit(el)
				if !ok {
					return anyReq
				}
				names = append(names, s)
			}
			return eventReq{names: names}
		case ast.IdentKind:
			if l, ok := c.lists[args[1].AsIdent()]; ok {
				return eventReq{names: append([]string{}, l...)}
			}
		}
	case "startsWith":
		if call.IsMemberFunction() && isEvent(call.Target()) && len(args) == 1 {
			if s, ok := strLit(args[0]); ok {
				return eventReq{prefixes: []string{s}}
			}
		}
	}
	return anyReq
}

func (q eventReq) canMatch(name string) bool {
	if q.any {
		return true
	}
	for _, n := range q.names {
		if n == name {
			return true
		}
	}
	for _, p := range q.prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// eventIndex maps an event name to the rules that can match it, in file order, each with its
// condition decided for that name (specialize).
type eventIndex struct {
	byName map[string][]candidate
	other  []candidate // rules for names not in byName: unrestricted and prefix rules
}

// candidate is a rule as its event name's records are evaluated against it: cond is its
// fast-path condition for that name, nil when cel-go evaluates the rule.
type candidate struct {
	*Rule
	cond boolNode
}

// buildIndex builds the index; fast is false when the fast path is not used (then every rule
// the event requirements allow stays a candidate, for cel-go).
func buildIndex(rules []*Rule, attrs *attrTable, fast bool) eventIndex {
	names := map[string]bool{}
	for _, n := range schema.EventNames {
		names[n] = true
	}
	names[schema.EventAgentEventsDropped] = true
	for _, r := range rules {
		for _, n := range r.req.names {
			names[n] = true
		}
	}
	idx := eventIndex{byName: map[string][]candidate{}}
	for n := range names {
		spec := newSpecializer(attrs, n)
		var list []candidate
		for _, r := range rules {
			if !r.req.canMatch(n) {
				continue
			}
			c := candidate{Rule: r}
			if fast && r.fast != nil {
				c.cond, _ = spec.node(r.fast)
				if k, ok := c.cond.(constTri); ok && tri(k) != fTrue {
					continue // never true on this name's records
				}
			}
			list = append(list, c)
		}
		idx.byName[n] = list
	}
	for _, r := range rules {
		if r.req.any || len(r.req.prefixes) > 0 {
			c := candidate{Rule: r}
			if fast {
				c.cond = r.fast
			}
			idx.other = append(idx.other, c)
		}
	}
	return idx
}

func (x *eventIndex) lookup(name string) []candidate {
	if l, ok := x.byName[name]; ok {
		return l
	}
	return x.other
}
