package ruleengine

import "slices"

// Conditions decided for one event name.
//
// Every record is evaluated against the rules of its event name (the index), and on those
// records event.name is a constant: a macro such as file_modified (open_write || a rename ||
// a link) is, on a file.open record, open_write alone. specialize rewrites a condition for
// one event name: each event.name term becomes the constant it is for that name, and &&, ||
// and ! around constants fold. The rewritten condition gives, on every record of that name,
// the result the original gives; a rule whose condition folds to a constant other than true
// cannot match the name's records and is left out of its candidates.

// constTri is a condition decided before any record is seen.
type constTri tri

func (n constTri) eval(*activation) tri { return tri(n) }

// specializer rewrites conditions for one event name; shared sub-expressions are rewritten
// once (the rewritten one keeps its memo slot: on records of the name both give the same
// value).
type specializer struct {
	event  string
	probe  *activation // a record with nothing but the event name
	shared map[*shared]boolNode
	costs  map[*shared]int
}

func newSpecializer(attrs *attrTable, event string) *specializer {
	probe := &activation{table: attrs, fcache: make([]fslot, len(attrs.names)), event: event, gen: 1}
	return &specializer{event: event, probe: probe, shared: map[*shared]boolNode{}, costs: map[*shared]int{}}
}

// node returns n rewritten, and whether the rewrite changed anything (unchanged nodes are
// kept, so sub-expressions no event.name term reaches are not copied per name).
func (s *specializer) node(n boolNode) (boolNode, bool) {
	switch x := n.(type) {
	case attrStrOp:
		if x.slot == s.probe.table.eventSlot {
			return constTri(x.eval(s.probe)), true
		}
	case attrInSet:
		if x.slot == s.probe.table.eventSlot {
			return constTri(x.eval(s.probe)), true
		}
	case andNode:
		return s.fold(x.xs, fFalse, fTrue, func(xs []boolNode) boolNode { return andNode{xs: xs} })
	case orNode:
		return s.fold(x.xs, fTrue, fFalse, func(xs []boolNode) boolNode { return orNode{xs: xs} })
	case notNode:
		inner, changed := s.node(x.x)
		if !changed {
			return n, false
		}
		if c, ok := inner.(constTri); ok {
			if tri(c) == fTrue {
				return constTri(fFalse), true
			}
			return constTri(fTrue), true // ! of what could not be evaluated is true
		}
		return notNode{x: inner}, true
	case *shared:
		if r, ok := s.shared[x]; ok {
			return r, r != boolNode(x)
		}
		var r boolNode = x
		switch inner, changed := s.node(x.inner); {
		case !changed:
		case isConst(inner):
			r = inner
		default:
			r = &shared{inner: inner, slot: x.slot}
		}
		s.shared[x] = r
		return r, r != boolNode(x)
	}
	return n, false
}

func isConst(n boolNode) bool {
	_, ok := n.(constTri)
	return ok
}

// fold rewrites the operands of an && (decides fFalse, neutral fTrue) or an || (decides
// fTrue, neutral fFalse): an operand that is the deciding constant decides the node, neutral
// ones are dropped. An operand that could not be evaluated stays: it still makes the node
// fail when no other operand decides it.
func (s *specializer) fold(xs []boolNode, decides, neutral tri, build func([]boolNode) boolNode) (boolNode, bool) {
	out := make([]boolNode, 0, len(xs))
	changed := false
	for _, x := range xs {
		r, ch := s.node(x)
		changed = changed || ch
		if c, ok := r.(constTri); ok {
			switch tri(c) {
			case decides:
				return c, true
			case neutral:
				continue
			}
		}
		out = append(out, r)
	}
	switch {
	case len(out) == 0:
		return constTri(neutral), true
	case len(out) == 1:
		return out[0], true
	}
	if s.cheapFirst(out) {
		changed = true
	}
	if !changed {
		return build(xs), false
	}
	return build(out), true
}

// cheapFirst orders the operands of an && or || by their estimated cost, cheapest first, and
// says whether the order changed. Both are commutative here (an operand that fails does not
// decide; the first deciding one does), so any order gives the same result; the cheap test
// of a flag then rules out a rule before its path set is looked up.
func (s *specializer) cheapFirst(xs []boolNode) bool {
	costs := make([]int, len(xs))
	for i, x := range xs {
		costs[i] = s.cost(x)
	}
	if slices.IsSorted(costs) {
		return false
	}
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(i, j int) int { return costs[i] - costs[j] })
	orig := slices.Clone(xs)
	for i, j := range idx {
		xs[i] = orig[j]
	}
	return true
}

// cost estimates what evaluating a condition costs, in rough units of one attribute
// comparison: a set lookup or flag test is cheap, string searches, globs, regular
// expressions and comprehensions over lists are not.
func (s *specializer) cost(n boolNode) int {
	switch x := n.(type) {
	case constTri:
		return 0
	case attrStrOp:
		switch x.op {
		case opContains, opIContains:
			return 4
		case opGlob:
			return 8
		}
		return 2
	case attrInSet, strInAttrList, presentNode:
		return 2
	case pathUnderSet:
		return 4
	case andNode:
		return s.sum(x.xs)
	case orNode:
		return s.sum(x.xs)
	case notNode:
		return s.cost(x.x)
	case *shared:
		c, ok := s.costs[x]
		if !ok {
			c = s.cost(x.inner)
			s.costs[x] = c
		}
		return c
	case matchesNode:
		return 30
	case compNode:
		return 30
	}
	return 5
}

func (s *specializer) sum(xs []boolNode) int {
	c := 0
	for _, x := range xs {
		c += s.cost(x)
	}
	return c
}
