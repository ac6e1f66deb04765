package ruleengine

import (
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Falco rule exceptions: each names fields, comparisons and value tuples; a record that
// matches any tuple is excepted. Falco turns them into condition text appended to the rule
// (`and not (...)`), quoting values that contain spaces and parenthesising list values; the
// text is built here the same way and parsed as any condition.

type falcoException struct {
	name       string
	fields     []string
	fieldsList bool // fields is a sequence (values are tuples) rather than one field
	comps      []string
	values     []falcoExcValue   // a single field's values
	tuples     [][]falcoExcValue // a sequence of fields' value tuples
	file       string
	line       int
}

// falcoExcValue is a value of an exception: a string, or a list of them.
type falcoExcValue struct {
	s      string
	list   []string
	isList bool
}

// falcoOperators are the comparisons an exception may use.
var falcoOperators = []string{"=", "==", "!=", "<=", ">=", "<", ">", "contains", "icontains", "bcontains",
	"glob", "iglob", "startswith", "bstartswith", "endswith", "in", "intersects", "pmatch", "regex", "exists"}

func (fi *falcoYAMLItem) exceptions(n *yaml.Node) ([]*falcoException, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, fi.errf(n, "exceptions must be a sequence")
	}
	var out []*falcoException
	for _, en := range n.Content {
		e, err := fi.exception(en)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// exception reads one exception; fields may be absent only in one appending values to an
// exception of the same name.
func (fi *falcoYAMLItem) exception(en *yaml.Node) (*falcoException, error) {
	if en.Kind != yaml.MappingNode {
		return nil, fi.errf(en, "each exception must be a mapping with name, fields, comps, values")
	}
	e := &falcoException{file: fi.file, line: en.Line}
	name, fieldsN, compsN, valuesN, bad := exceptionKeys(en)
	if bad != nil {
		return nil, fi.errf(bad, "exception: unknown key %q", bad.Value)
	}
	e.name = name
	if e.name == "" {
		return nil, fi.errf(en, "rule exception item must have a name")
	}
	if fieldsN != nil {
		switch {
		case fieldsN.Kind == yaml.ScalarNode:
			e.fields = []string{fieldsN.Value}
		case fieldsN.Kind == yaml.SequenceNode:
			f, ok := stringSeq(fieldsN)
			if !ok {
				return nil, fi.errf(fieldsN, "exception %q: fields must be a field or a sequence of fields", e.name)
			}
			e.fields, e.fieldsList = f, true
		default:
			return nil, fi.errf(fieldsN, "exception %q: fields must be a field or a sequence of fields", e.name)
		}
	}
	if err := fi.exceptionComps(e, fieldsN, compsN); err != nil {
		return nil, err
	}
	if valuesN != nil {
		if err := fi.exceptionValues(e, valuesN); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// exceptionComps reads comps, defaulting as Falco does: "=" for each of a sequence of
// fields, "in" for a single field (which allows only in, pmatch and intersects).
func (fi *falcoYAMLItem) exceptionComps(e *falcoException, fieldsN, compsN *yaml.Node) error {
	if fieldsN == nil {
		if compsN != nil {
			return fi.errf(compsN, "exception %q: comps without fields", e.name)
		}
		return nil
	}
	if !e.fieldsList {
		e.comps = []string{"in"}
		if compsN != nil {
			if compsN.Kind != yaml.ScalarNode {
				return fi.errf(compsN, "exception %q: fields and comps must both be strings", e.name)
			}
			e.comps = []string{compsN.Value}
		}
		if c := e.comps[0]; c != "in" && c != "pmatch" && c != "intersects" {
			return fi.errf(compsN, "exception %q: when fields is a single value, comps must be one of (in, pmatch, intersects)", e.name)
		}
		return nil
	}
	if compsN == nil {
		for range e.fields {
			e.comps = append(e.comps, "=")
		}
		return nil
	}
	c, ok := stringSeq(compsN)
	if !ok || compsN.Kind != yaml.SequenceNode {
		return fi.errf(compsN, "exception %q: fields and comps lists must both be sequences", e.name)
	}
	if len(c) != len(e.fields) {
		return fi.errf(compsN, "exception %q: fields and comps lists must have equal length", e.name)
	}
	for _, op := range c {
		if !slices.Contains(falcoOperators, op) {
			return fi.errf(compsN, "exception %q: invalid comparison operator %q", e.name, op)
		}
	}
	e.comps = c
	return nil
}

func (fi *falcoYAMLItem) exceptionValues(e *falcoException, n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return fi.errf(n, "exception %q: values must be a sequence", e.name)
	}
	for _, vn := range n.Content {
		if (!e.fieldsList && len(e.fields) == 1) || (len(e.fields) == 0 && vn.Kind == yaml.ScalarNode) {
			if vn.Kind != yaml.ScalarNode {
				return fi.errf(vn, "exception %q: expected values array to contain a list of strings", e.name)
			}
			e.values = append(e.values, falcoExcValue{s: vn.Value})
			continue
		}
		if vn.Kind != yaml.SequenceNode {
			return fi.errf(vn, "exception %q: each value must be a sequence of one value per field", e.name)
		}
		var tup []falcoExcValue
		for _, c := range vn.Content {
			switch c.Kind {
			case yaml.ScalarNode:
				tup = append(tup, falcoExcValue{s: c.Value})
			case yaml.SequenceNode:
				l, ok := stringSeq(c)
				if !ok {
					return fi.errf(c, "exception %q: a list value must hold strings", e.name)
				}
				tup = append(tup, falcoExcValue{list: l, isList: true})
			default:
				return fi.errf(c, "exception %q: bad value", e.name)
			}
		}
		if len(e.fields) > 0 && len(tup) != len(e.fields) {
			return fi.errf(vn, "exception %q: fields and values lists must have equal length", e.name)
		}
		e.tuples = append(e.tuples, tup)
	}
	return nil
}

// appendExceptions adds exceptions to a rule: values of one with an existing name are added
// to it (its fields cannot be changed), a new one is added whole.
func (fi *falcoYAMLItem) appendExceptions(r *falcoRuleDef, excs []*falcoException) error {
	for _, e := range excs {
		i := slices.IndexFunc(r.exceptions, func(o *falcoException) bool { return o.name == e.name })
		if i < 0 {
			if len(e.fields) == 0 {
				return fi.errf(nil, "rule exception %q must have fields property with a list of fields", e.name)
			}
			if len(e.values) == 0 && len(e.tuples) == 0 {
				return fi.errf(nil, "rule exception %q must have values property with a list of values", e.name)
			}
			r.exceptions = append(r.exceptions, e)
			continue
		}
		prev := r.exceptions[i]
		if len(e.fields) > 0 {
			return fi.errf(nil, "can not append exception fields to existing exception %q, only values", e.name)
		}
		if prev.fieldsList {
			if len(e.values) > 0 {
				return fi.errf(nil, "exception %q: each value must be a sequence of one value per field", e.name)
			}
			for _, tup := range e.tuples {
				if len(tup) != len(prev.fields) {
					return fi.errf(nil, "exception %q: fields and values lists must have equal length", e.name)
				}
			}
			prev.tuples = append(prev.tuples, e.tuples...)
		} else {
			if len(e.tuples) > 0 {
				return fi.errf(nil, "exception %q: expected values array to contain a list of strings", e.name)
			}
			prev.values = append(prev.values, e.values...)
		}
	}
	return nil
}

// conditionText is the exception as Falco's condition text; "" when it has no values.
func (e *falcoException) conditionText() string {
	if !e.fieldsList {
		if len(e.fields) == 0 || len(e.values) == 0 {
			return ""
		}
		vals := make([]string, len(e.values))
		for i, v := range e.values {
			vals[i] = falcoQuoteItem(v.s)
		}
		return "(" + e.fields[0] + " " + e.comps[0] + " (" + strings.Join(vals, ", ") + "))"
	}
	var ors []string
	for _, tup := range e.tuples {
		var ands []string
		for k, f := range e.fields {
			v := tup[k]
			var s string
			switch {
			case v.isList:
				items := make([]string, len(v.list))
				for i, it := range v.list {
					items[i] = falcoQuoteItem(it)
				}
				s = "(" + strings.Join(items, ", ") + ")"
			case slices.Contains(falcoListOps, e.comps[k]):
				s = v.s
				if !strings.HasPrefix(s, "(") {
					s = "(" + s + ")"
				}
			default:
				s = falcoQuoteItem(v.s)
			}
			ands = append(ands, f+" "+e.comps[k]+" "+s)
		}
		ors = append(ors, "("+strings.Join(ands, " and ")+")")
	}
	if len(ors) == 0 {
		return ""
	}
	return "(" + strings.Join(ors, " or ") + ")"
}

// falcoQuoteItem quotes a value that contains a space, as Falco does when it writes list
// items and exception values into a condition (a value already quoted stays as it is).
func falcoQuoteItem(s string) string {
	if strings.Contains(s, " ") && !strings.HasPrefix(s, `"`) && !strings.HasPrefix(s, "'") {
		return `"` + s + `"`
	}
	return s
}
