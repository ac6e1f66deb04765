package ruleengine

import (
	"sort"
	"strings"
)

// A Falco condition specialized to the records of one event is a term: true, false, a CEL
// condition, or a check on a field the sensor cannot supply, combined with and, or, not.
// Terms fold as they are built, so a check that is false on this event removes what it
// decides (an open_read macro on an exec's records is false, and so is the rule there).

type termOp uint8

const (
	tFalse termOp = iota
	tTrue
	tCEL
	tMissing
	tAnd
	tOr
	tNot
)

type falcoTerm struct {
	op    termOp
	kids  []*falcoTerm
	cel   string // tCEL
	field string // tMissing: the field, and why the sensor cannot supply it
	why   string
}

var (
	termTrue  = &falcoTerm{op: tTrue}
	termFalse = &falcoTerm{op: tFalse}
)

func termBool(b bool) *falcoTerm {
	if b {
		return termTrue
	}
	return termFalse
}

func termCEL(s string) *falcoTerm {
	switch s {
	case "true":
		return termTrue
	case "false":
		return termFalse
	}
	return &falcoTerm{op: tCEL, cel: s}
}

func termAnd(kids ...*falcoTerm) *falcoTerm { return termChain(tAnd, kids) }
func termOr(kids ...*falcoTerm) *falcoTerm  { return termChain(tOr, kids) }

// termChain builds an and (or) of kids: a false (true) kid decides it, true (false) kids
// drop out, nested chains of the same operator are flattened.
func termChain(op termOp, kids []*falcoTerm) *falcoTerm {
	decides, neutral := tFalse, tTrue
	if op == tOr {
		decides, neutral = tTrue, tFalse
	}
	var out []*falcoTerm
	for _, k := range kids {
		switch k.op {
		case decides:
			return k
		case neutral:
			continue
		case op:
			out = append(out, k.kids...)
			continue
		}
		out = append(out, k)
	}
	switch len(out) {
	case 0:
		return termBool(op == tAnd)
	case 1:
		return out[0]
	}
	return &falcoTerm{op: op, kids: out}
}

func termNot(k *falcoTerm) *falcoTerm {
	switch k.op {
	case tTrue:
		return termFalse
	case tFalse:
		return termTrue
	case tNot:
		return k.kids[0]
	}
	return &falcoTerm{op: tNot, kids: []*falcoTerm{k}}
}

// withoutMissing is the term as it runs: a check on a missing field is false.
func (t *falcoTerm) withoutMissing() *falcoTerm {
	switch t.op {
	case tMissing:
		return termFalse
	case tAnd, tOr:
		kids := make([]*falcoTerm, len(t.kids))
		for i, k := range t.kids {
			kids[i] = k.withoutMissing()
		}
		return termChain(t.op, kids)
	case tNot:
		return termNot(t.kids[0].withoutMissing())
	}
	return t
}

// missingFields adds the fields of the term's missing checks to m (field -> why).
func (t *falcoTerm) missingFields(m map[string]string) {
	if t.op == tMissing {
		m[t.field] = t.why
	}
	for _, k := range t.kids {
		k.missingFields(m)
	}
}

// cel writes the term as a CEL condition.
func (t *falcoTerm) celText(b *strings.Builder) {
	switch t.op {
	case tTrue:
		b.WriteString("true")
	case tFalse, tMissing:
		b.WriteString("false")
	case tCEL:
		b.WriteString("(")
		b.WriteString(t.cel)
		b.WriteString(")")
	case tNot:
		b.WriteString("!")
		t.kids[0].celText(b)
	case tAnd, tOr:
		sep := " && "
		if t.op == tOr {
			sep = " || "
		}
		b.WriteString("(")
		for i, k := range t.kids {
			if i > 0 {
				b.WriteString(sep)
			}
			k.celText(b)
		}
		b.WriteString(")")
	}
}

func (t *falcoTerm) String() string {
	var b strings.Builder
	t.celText(&b)
	return b.String()
}

// sortedFields lists a field -> why map as "field (why)", sorted.
func sortedFields(m map[string]string, withWhy bool) string {
	names := make([]string, 0, len(m))
	for f := range m {
		names = append(names, f)
	}
	sort.Strings(names)
	if withWhy {
		for i, f := range names {
			if m[f] != "" {
				names[i] = f + " (" + m[f] + ")"
			}
		}
	}
	return strings.Join(names, ", ")
}
