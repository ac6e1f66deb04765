package ruleengine

import (
	"math"
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

// Terms of macros are shared (a macro is specialized once per event), so a term is a DAG:
// the walks below visit each node once.

// withoutMissing is the term as it runs: a check on a missing field is false.
func (t *falcoTerm) withoutMissing(memo map[*falcoTerm]*falcoTerm) *falcoTerm {
	if r, ok := memo[t]; ok {
		return r
	}
	r := t
	switch t.op {
	case tMissing:
		r = termFalse
	case tAnd, tOr:
		kids := make([]*falcoTerm, len(t.kids))
		for i, k := range t.kids {
			kids[i] = k.withoutMissing(memo)
		}
		r = termChain(t.op, kids)
	case tNot:
		r = termNot(t.kids[0].withoutMissing(memo))
	}
	memo[t] = r
	return r
}

// missingFields adds the fields of the term's missing checks to m (field -> why).
func (t *falcoTerm) missingFields(m map[string]string, seen map[*falcoTerm]bool) {
	if seen[t] {
		return
	}
	seen[t] = true
	if t.op == tMissing {
		m[t.field] = t.why
	}
	for _, k := range t.kids {
		k.missingFields(m, seen)
	}
}

// celSize is the length of the term's CEL text, without writing it (a DAG of shared macros
// can stand for more text than memory holds).
func (t *falcoTerm) celSize(memo map[*falcoTerm]int) int {
	if n, ok := memo[t]; ok {
		return n
	}
	n := 0
	switch t.op {
	case tTrue, tFalse, tMissing:
		n = 5
	case tCEL:
		n = len(t.cel) + 2
	case tNot:
		n = 1 + t.kids[0].celSize(memo)
	case tAnd, tOr:
		n = 2
		for _, k := range t.kids {
			n = min(n+4+k.celSize(memo), math.MaxInt/2)
		}
	}
	memo[t] = n
	return n
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
