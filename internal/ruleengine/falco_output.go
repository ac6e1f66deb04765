package ruleengine

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/interpreter"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/logview"
	"github.com/otelsec/otelsec/internal/schema"
)

// A Falco rule's output: its text with %field references, each rendered from the record by
// the field's definition on the record's event (falco_fields.go), evaluated with cel-go
// (outputs are rendered only for violations). A field Falco would render and the sensor
// cannot supply renders as <NA>, as Falco renders a field it could not extract.

type falcoOutput struct {
	raw   string
	lits  []string // len(refs)+1 literal pieces
	refs  []falcoRef
	plans map[string][]falcoRender // event -> one per ref
	attrs []string                 // the attributes the output reads, in order
}

type falcoRef struct {
	field, arg string
	hasArg     bool
	text       string         // as written: proc.aname[2]
	typ        falcoFieldType // the field's type in Falco, which types its output_fields value
}

// falcoRender renders one reference on one event.
type falcoRender struct {
	def      falcoDef
	prog     cel.Program // defExpr: the value
	enum     []cel.Program
	constant string // evt.type of an event with one type
	isConst  bool
}

// parseFalcoOutput splits an output into literal text and %field references; a reference
// to a field Falco does not have is an error, as in Falco.
func parseFalcoOutput(s string) (*falcoOutput, error) {
	o := &falcoOutput{raw: s}
	var lit strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			lit.WriteByte(s[i])
			continue
		}
		name := falcoFieldRE.FindString(s[i+1:])
		if name == "" {
			lit.WriteByte('%')
			continue
		}
		j := i + 1 + len(name)
		ref := falcoRef{field: name}
		if j < len(s) && s[j] == '[' {
			if end := strings.IndexByte(s[j:], ']'); end > 0 {
				ref.arg, ref.hasArg = s[j+1:j+end], true
				j += end + 1
			}
		}
		ref.text = s[i+1 : j]
		f, _, _, ok := lookupFalcoField(ref.field)
		if !ok {
			return nil, fmt.Errorf("invalid formatting token %%%s: no such field", ref.text)
		}
		ref.typ = f.typ
		o.lits = append(o.lits, lit.String())
		o.refs = append(o.refs, ref)
		lit.Reset()
		i = j - 1
	}
	o.lits = append(o.lits, lit.String())
	return o, nil
}

// prepare compiles the output's references for the events the rule fires on and returns the
// fields the sensor cannot supply there.
func (o *falcoOutput) prepare(events []string, progs *falcoPrograms) (map[string]string, error) {
	missingOut := map[string]string{}
	o.plans = map[string][]falcoRender{}
	seen := map[string]bool{}
	for _, ev := range events {
		plans := make([]falcoRender, len(o.refs))
		for i, ref := range o.refs {
			f, arg, hasArg, _ := lookupFalcoField(ref.field)
			if ref.hasArg {
				arg, hasArg = ref.arg, true
			}
			if f.name == "evt.type" {
				if ts := falcoTypesOf(ev); len(ts) == 1 {
					plans[i] = falcoRender{constant: ts[0], isConst: true}
					continue
				}
				f = &falcoField{on: everywhere(attrOf(schema.AttrSyscallName))}
			}
			d := f.on(ev, arg, hasArg)
			r := falcoRender{def: d}
			var err error
			switch d.kind {
			case defMissing:
				missingOut[ref.text] = d.why
			case defExpr:
				expr := d.expr
				if d.list && d.elem != "" {
					expr = d.expr + ".map(x, " + fmt.Sprintf(d.elem, "x") + ")"
				}
				if d.alt != "" {
					alt := d.alt
					if d.list && d.altElem != "" {
						alt = d.alt + ".map(x, " + fmt.Sprintf(d.altElem, "x") + ")"
					}
					expr = "present(" + d.attrs[0] + ") ? " + expr + " : " + alt
				}
				r.prog, err = progs.get(expr)
			case defEnum:
				for _, e := range d.enum {
					p, perr := progs.get(e.cond)
					if perr != nil {
						err = perr
					}
					r.enum = append(r.enum, p)
				}
			}
			if err != nil {
				return nil, fmt.Errorf("output field %s: %v", ref.text, err)
			}
			for _, a := range d.attrs {
				if !seen[a] {
					seen[a] = true
					o.attrs = append(o.attrs, a)
				}
			}
			plans[i] = r
		}
		o.plans[ev] = plans
	}
	return missingOut, nil
}

// render renders the output with the record's values. When fields is a valid map, it also
// gets each referenced field under its name as written (Falco's output_fields), with the
// value the text shows, typed as Falco's JSON types it: integer fields as numbers, boolean
// fields as booleans, a field Falco could not extract (<NA>) as null (an empty value).
func (o *falcoOutput) render(res pcommon.Map, lr plog.LogRecord, fields pcommon.Map) string {
	ev := logview.EventName(lr)
	plans := o.plans[ev]
	act := &falcoActivation{res: res, attrs: lr.Attributes(), event: ev}
	withFields := fields != (pcommon.Map{})
	var b strings.Builder
	for i, lit := range o.lits[:len(o.refs)] {
		b.WriteString(lit)
		v := falcoNA
		if plans != nil {
			v = plans[i].value(act)
		}
		b.WriteString(v)
		if withFields {
			putFalcoField(fields, o.refs[i], v)
		}
	}
	b.WriteString(o.lits[len(o.refs)])
	return b.String()
}

// falcoNA is how Falco renders a field it could not extract.
const falcoNA = "<NA>"

func putFalcoField(fields pcommon.Map, ref falcoRef, v string) {
	if v == falcoNA {
		fields.PutEmpty(ref.text)
		return
	}
	switch ref.typ {
	case falcoInt:
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			fields.PutInt(ref.text, n)
			return
		}
	case falcoBool:
		if t, err := strconv.ParseBool(v); err == nil {
			fields.PutBool(ref.text, t)
			return
		}
	}
	fields.PutStr(ref.text, v)
}

func (r falcoRender) value(act *falcoActivation) string {
	if r.isConst {
		return r.constant
	}
	switch r.def.kind {
	case defExpr:
		v, _, err := r.prog.Eval(act)
		if err != nil || types.IsUnknownOrError(v) {
			if r.def.dflt != nil {
				return *r.def.dflt
			}
			return falcoNA
		}
		if n, ok := v.(types.Int); ok && r.def.clamp != nil && int64(n) < *r.def.clamp {
			return strconv.FormatInt(*r.def.clamp, 10)
		}
		return formatFalcoValue(v)
	case defEnum:
		for i, p := range r.enum {
			if v, _, err := p.Eval(act); err == nil && v == types.True {
				if e := r.def.enum[i]; e.concrete {
					return e.value
				}
				break
			}
		}
	}
	return falcoNA
}

func formatFalcoValue(v ref.Val) string {
	switch x := v.(type) {
	case types.String:
		return string(x)
	case types.Int:
		return strconv.FormatInt(int64(x), 10)
	case types.Bool:
		return strconv.FormatBool(bool(x))
	case traits.Lister:
		var parts []string
		it := x.Iterator()
		for it.HasNext() == types.True {
			parts = append(parts, formatFalcoValue(it.Next()))
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v.Value())
}

// falcoActivation resolves attributes of one record for cel-go.
type falcoActivation struct {
	res, attrs pcommon.Map
	event      string
}

func (a *falcoActivation) ResolveName(name string) (any, bool) {
	if name == EventNameAttr {
		if a.event == "" {
			return absent, true
		}
		return types.String(a.event), true
	}
	return lookupVal(a.attrs, a.res, name), true
}

func (a *falcoActivation) Parent() interpreter.Activation { return nil }

// falcoPrograms compiles output expressions once each, in an environment with every
// attribute of the contract.
type falcoPrograms struct{ progs map[string]cel.Program }

var falcoRenderEnv = sync.OnceValues(func() (*cel.Env, error) {
	opts := append(helperFuncs(), falcoFuncOptions()...)
	for _, name := range sortedKeys(knownAttrs) {
		opts = append(opts, cel.Variable(name, knownAttrs[name].cel()))
	}
	return cel.NewEnv(opts...)
})

func (p *falcoPrograms) get(expr string) (cel.Program, error) {
	if prg, ok := p.progs[expr]; ok {
		return prg, nil
	}
	env, err := falcoRenderEnv()
	if err != nil {
		return nil, err
	}
	checked, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, iss.Err()
	}
	prg, err := env.Program(checked)
	if err != nil {
		return nil, err
	}
	if p.progs == nil {
		p.progs = map[string]cel.Program{}
	}
	p.progs[expr] = prg
	return prg, nil
}
