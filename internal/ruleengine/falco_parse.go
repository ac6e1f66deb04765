package ruleengine

import (
	"fmt"
	"regexp"
	"strings"
)

// Falco's condition language, parsed by the grammar of libsinsp's filter parser: `or` binds
// loosest, then `and`, then any number of `not`; a check is a field, an operator and its
// operand (a value, a number, or a list in parentheses or by name), or `field exists`; a bare
// identifier is a macro. Keywords and operators are matched the way Falco matches them
// (`and` and `or` must be followed by a blank or "(", word operators by a space), so a
// condition Falco rejects is rejected here, at the same place.

// falcoNode is a node of a parsed Falco condition. Nodes are not changed after parsing:
// macros are shared by every rule that uses them.
type falcoNode struct {
	kind falcoKind
	kids []*falcoNode // and, or: two or more; not: one
	pos  int          // byte offset of the node in its condition

	// falcoCheck: field[arg] op vals
	field  string // proc.aname
	arg    string // proc.aname[2]: "2"
	hasArg bool
	op     string         // "=", "!=", "<", ..., "contains", "in", "exists"
	vals   []falcoOperand // the operand: one value, or a list's items
	isList bool           // the operand is a list: in, intersects, pmatch
	listID string         // the operand named a list (`in shell_binaries`)

	macro string // falcoMacro: its name
}

type falcoKind uint8

const (
	falcoAnd falcoKind = iota + 1
	falcoOr
	falcoNot
	falcoCheck
	falcoMacro
)

// falcoOperand is one operand value: a bare or quoted string or number, as written (quotes
// removed, escapes resolved), with its offset in the condition.
type falcoOperand struct {
	s      string
	quoted bool
	pos    int
}

// falcoSyntaxError is a parse error at a byte offset of the condition.
type falcoSyntaxError struct {
	pos int
	msg string
}

func (e *falcoSyntaxError) Error() string { return e.msg }

// falcoMaxDepth bounds the parser's recursion, as Falco's own parser does (it allows 1000 when
// loading rules).
const falcoMaxDepth = 1000

var (
	falcoNotRE      = regexp.MustCompile(`^not[ \t\n\r\v\f]+`)
	falcoIdentRE    = regexp.MustCompile(`^[a-zA-Z]+[a-zA-Z0-9_]*`)
	falcoFieldRE    = regexp.MustCompile(`^[a-zA-Z]+[a-zA-Z0-9_]*(\.[a-zA-Z]+[a-zA-Z0-9_]*)+`)
	falcoFieldArgRE = regexp.MustCompile(`^[^\]\["' \t\n\r\v\f]+`)
	falcoHexRE      = regexp.MustCompile(`^0[xX][0-9a-zA-Z]+`)
	falcoNumRE      = regexp.MustCompile(`^[+\-]?[0-9]+\.?[0-9]*([eE][+\-][0-9]+)?`)
	falcoBareRE     = regexp.MustCompile(`^[^()"' \t\n\r\v\f=,]+`)
)

// Operators in the order Falco tries them: "==" before "=", "intersects" before "in".
var (
	falcoNumOps  = []string{"<=", "<", ">=", ">"}
	falcoStrOps  = []string{"==", "=", "!=", "glob ", "iglob ", "contains ", "icontains ", "bcontains ", "startswith ", "bstartswith ", "endswith ", "regex "}
	falcoListOps = []string{"intersects", "in", "pmatch"}
	// Falco's field transformers: accepted by Falco, not (yet) by otelsec; named in the error.
	falcoTransformers = []string{"val(", "tolower(", "toupper(", "b64(", "basename(", "len("}
)

type falcoParser struct {
	s     string
	i     int
	depth int
}

// parseFalcoCondition parses one condition.
func parseFalcoCondition(s string) (n *falcoNode, err error) {
	if strings.TrimSpace(s) == "" {
		return nil, &falcoSyntaxError{0, "condition is empty"}
	}
	p := &falcoParser{s: s}
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(*falcoSyntaxError)
			if !ok {
				panic(r)
			}
			n, err = nil, se
		}
	}()
	n = p.parseOr()
	if p.i != len(p.s) {
		p.fail("unexpected token after the condition, expecting 'or', 'and'")
	}
	return n, nil
}

func (p *falcoParser) fail(format string, args ...any) {
	panic(&falcoSyntaxError{p.i, fmt.Sprintf(format, args...)})
}

func (p *falcoParser) enter() {
	p.depth++
	if p.depth >= falcoMaxDepth {
		p.fail("condition nests deeper than %d levels", falcoMaxDepth)
	}
}

func (p *falcoParser) leave() { p.depth-- }

func (p *falcoParser) blank() bool {
	start := p.i
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\b', '\r', '\n':
			p.i++
			continue
		}
		break
	}
	return p.i > start
}

// lit consumes the literal prefix tok if the input continues with it.
func (p *falcoParser) lit(tok string) bool {
	if strings.HasPrefix(p.s[p.i:], tok) {
		p.i += len(tok)
		return true
	}
	return false
}

func (p *falcoParser) re(re *regexp.Regexp) (string, bool) {
	m := re.FindString(p.s[p.i:])
	if m == "" {
		return "", false
	}
	p.i += len(m)
	return m, true
}

func (p *falcoParser) oneOf(toks []string) (string, bool) {
	for _, t := range toks {
		if p.lit(t) {
			return strings.TrimSpace(t), true
		}
	}
	return "", false
}

// parseOr and parseAnd parse a chain of one operator; each operand after the keyword is
// separated by a blank or starts with "(".
func (p *falcoParser) parseOr() *falcoNode  { return p.parseChain("or", falcoOr, p.parseAnd) }
func (p *falcoParser) parseAnd() *falcoNode { return p.parseChain("and", falcoAnd, p.parseNot) }

func (p *falcoParser) parseChain(kw string, kind falcoKind, operand func() *falcoNode) *falcoNode {
	p.enter()
	defer p.leave()
	p.blank()
	pos := p.i
	kids := []*falcoNode{operand()}
	p.blank()
	for p.lit(kw) {
		var kid *falcoNode
		if p.blank() {
			kid = operand()
		} else if p.lit("(") {
			kid = p.embedded()
		} else {
			p.fail("expected blank or '(' after '%s'", kw)
		}
		kids = append(kids, kid)
		p.blank()
	}
	if len(kids) == 1 {
		return kids[0]
	}
	return &falcoNode{kind: kind, kids: kids, pos: pos}
}

func (p *falcoParser) parseNot() *falcoNode {
	p.enter()
	defer p.leave()
	p.blank()
	pos := p.i
	neg := false
	for {
		if _, ok := p.re(falcoNotRE); !ok {
			break
		}
		neg = !neg
	}
	var kid *falcoNode
	if p.lit("not(") {
		neg = !neg
		kid = p.embedded()
	} else {
		kid = p.parseCheck()
	}
	if neg {
		return &falcoNode{kind: falcoNot, kids: []*falcoNode{kid}, pos: pos}
	}
	return kid
}

// embedded parses what follows a "(": a condition and its ")".
func (p *falcoParser) embedded() *falcoNode {
	p.enter()
	defer p.leave()
	p.blank()
	n := p.parseOr()
	p.blank()
	if !p.lit(")") {
		p.fail("expected a ')' token")
	}
	return n
}

func (p *falcoParser) parseCheck() *falcoNode {
	p.enter()
	defer p.leave()
	p.blank()
	pos := p.i
	if p.lit("(") {
		return p.embedded()
	}
	if name, ok := p.re(falcoFieldRE); ok {
		n := &falcoNode{kind: falcoCheck, field: name, pos: pos}
		p.fieldArg(n)
		p.condition(n)
		return n
	}
	for _, t := range falcoTransformers {
		if strings.HasPrefix(p.s[p.i:], t) {
			p.fail("field transformer %s) is not supported by otelsec", t)
		}
	}
	if name, ok := p.re(falcoIdentRE); ok {
		return &falcoNode{kind: falcoMacro, macro: name, pos: pos}
	}
	p.fail("expected a '(' token, a field check, or an identifier")
	return nil
}

func (p *falcoParser) fieldArg(n *falcoNode) {
	if !p.lit("[") {
		return
	}
	if v, ok := p.quoted(); ok {
		n.arg = v
	} else if v, ok := p.re(falcoFieldArgRE); ok {
		n.arg = v
	} else {
		p.fail("expected a valid field argument: a quoted string or a bare string")
	}
	n.hasArg = true
	if !p.lit("]") {
		p.fail("expected a ']' token")
	}
}

// condition parses the operator and operand of a check.
func (p *falcoParser) condition(n *falcoNode) {
	p.blank()
	if p.lit("exists") {
		n.op = "exists"
		return
	}
	p.blank()
	if op, ok := p.oneOf(falcoNumOps); ok {
		n.op = op
		p.blank()
		p.noTransformer()
		pos := p.i
		v, ok := p.re(falcoHexRE)
		if !ok {
			v, ok = p.re(falcoNumRE)
		}
		if !ok {
			p.fail("expected a number value")
		}
		n.vals = []falcoOperand{{s: v, pos: pos}}
		return
	}
	if op, ok := p.oneOf(falcoStrOps); ok {
		n.op = op
		p.blank()
		p.noTransformer()
		v, ok := p.strValue()
		if !ok {
			p.fail("expected a string value")
		}
		n.vals = []falcoOperand{v}
		return
	}
	if op, ok := p.oneOf(falcoListOps); ok {
		n.op, n.isList = op, true
		p.listValue(n)
		return
	}
	p.fail("expected a valid check operator: one of 'exists', '<=', '<', '>=', '>', '==', '=', '!=', 'glob', 'iglob', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'regex', 'intersects', 'in', 'pmatch'")
}

// noTransformer rejects a field on the right-hand side (val(...), tolower(...)).
func (p *falcoParser) noTransformer() {
	for _, t := range falcoTransformers {
		if strings.HasPrefix(p.s[p.i:], t) {
			p.fail("field transformer %s) is not supported by otelsec", t)
		}
	}
}

func (p *falcoParser) strValue() (falcoOperand, bool) {
	pos := p.i
	if v, ok := p.quoted(); ok {
		return falcoOperand{s: v, quoted: true, pos: pos}, true
	}
	if v, ok := p.re(falcoBareRE); ok {
		return falcoOperand{s: v, pos: pos}, true
	}
	return falcoOperand{}, false
}

// listValue parses a list operand: "(" values ")" (possibly empty) or a list's name.
func (p *falcoParser) listValue(n *falcoNode) {
	p.blank()
	if p.lit("(") {
		p.blank()
		if v, ok := p.strValue(); ok {
			n.vals = append(n.vals, v)
			p.blank()
			for p.lit(",") {
				p.blank()
				v, ok := p.strValue()
				if !ok {
					p.fail("expected a string value")
				}
				n.vals = append(n.vals, v)
				p.blank()
			}
		}
		if !p.lit(")") {
			p.fail("expected a ')' token")
		}
		return
	}
	p.noTransformer()
	pos := p.i
	if name, ok := p.re(falcoIdentRE); ok {
		n.listID = name
		n.vals = []falcoOperand{{s: name, pos: pos}}
		return
	}
	p.fail("expected a list or an identifier")
}

// quoted lexes a '...' or "..." string the way Falco does: it ends at the first delimiter
// not preceded by a backslash, then its escapes are resolved.
func (p *falcoParser) quoted() (string, bool) {
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", false
	}
	delim := p.s[p.i]
	prev := byte('\\')
	for j := p.i; j < len(p.s); j++ {
		c := p.s[j]
		if c == delim && prev != '\\' {
			raw := p.s[p.i : j+1]
			start := p.i
			p.i = j + 1
			v, err := falcoUnescape(raw)
			if err != nil {
				p.i = start
				p.fail("%v", err)
			}
			return v, true
		}
		prev = c
	}
	return "", false
}

// falcoUnescape resolves the escapes of a quoted string (quotes included), as libsinsp's
// unescape_str: \b \f \n \r \t \\ \/ and the string's own quote; a backslash-space is a
// backslash (kept for rules written that way).
func falcoUnescape(raw string) (string, error) {
	var b strings.Builder
	delim := raw[0]
	escaped := false
	for i := 1; i < len(raw)-1; i++ {
		c := raw[i]
		if !escaped {
			if c == '\\' {
				escaped = true
			} else {
				b.WriteByte(c)
			}
			continue
		}
		escaped = false
		switch c {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case ' ', '\\':
			b.WriteByte('\\')
		case '/':
			b.WriteByte('/')
		case '"', '\'':
			if c != delim {
				return "", fmt.Errorf("invalid \\%c escape in a %c-quoted string", c, delim)
			}
			b.WriteByte(c)
		default:
			return "", fmt.Errorf("unsupported string escape sequence: \\%c", c)
		}
	}
	return b.String(), nil
}
