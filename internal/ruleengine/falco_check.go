package ruleengine

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// One Falco check (field op operand) on the records of one event, as a term: its field's
// definition there (falco_fields.go) and its operator give CEL, or decide it outright.

var falcoStrOnlyOps = []string{"contains", "icontains", "bcontains", "startswith", "bstartswith", "endswith", "glob", "iglob", "regex", "pmatch"}

// checkOperands validates a check's operands for its field's type, as Falco does when it
// compiles a rule: numbers for numeric fields, true or false for booleans, a valid regex,
// hex bytes for bcontains. The error is a message for the check's position.
func checkOperands(op string, typ falcoFieldType, vals []string) error {
	if op == "exists" {
		return nil
	}
	if typ != falcoStr && slices.Contains(falcoStrOnlyOps, op) {
		return fmt.Errorf("'%s' is not supported for %s fields", op, typ)
	}
	if typ == falcoBool && slices.Contains(falcoNumOps, op) {
		return fmt.Errorf("'%s' is not supported for boolean fields", op)
	}
	for _, v := range vals {
		switch {
		case typ == falcoInt:
			if _, ok := parseFalcoInt(v); !ok {
				return fmt.Errorf("%q is not a number", v)
			}
		case typ == falcoBool:
			if v != "true" && v != "false" {
				return fmt.Errorf("%q is not true or false", v)
			}
		case typ == falcoIPNet:
			if _, err := netip.ParsePrefix(v); err != nil {
				if _, err := netip.ParseAddr(v); err != nil {
					return fmt.Errorf("%q is not a network (10.0.0.0/8) or an address", v)
				}
			}
		case op == "regex":
			if _, err := regexp.Compile(v); err != nil {
				return fmt.Errorf("invalid regex %q: %v", v, err)
			}
		case op == "glob" || op == "iglob":
			if _, err := regexp.Compile(falcoGlobRegexp(v, op == "iglob")); err != nil {
				return fmt.Errorf("invalid glob %q: %v", v, err)
			}
		case op == "bcontains" || op == "bstartswith":
			if _, err := falcoHexBytes(v); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t falcoFieldType) String() string {
	switch t {
	case falcoInt:
		return "numeric"
	case falcoBool:
		return "boolean"
	case falcoIPNet:
		return "network"
	}
	return "string"
}

// parseFalcoInt parses a number as Falco does: decimal or 0x hex, optionally signed.
func parseFalcoInt(s string) (int64, bool) {
	neg := false
	t := s
	if strings.HasPrefix(t, "-") || strings.HasPrefix(t, "+") {
		neg, t = t[0] == '-', t[1:]
	}
	base := 10
	if strings.HasPrefix(t, "0x") || strings.HasPrefix(t, "0X") {
		base, t = 16, t[2:]
	}
	n, err := strconv.ParseInt(t, base, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// falcoHexBytes decodes bcontains' operand (hex digits, as "cafebabe").
func falcoHexBytes(s string) (string, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return "", fmt.Errorf("bcontains/bstartswith take hex bytes, %q is not", s)
	}
	return string(b), nil
}

// falcoGlobRegexp is a Falco glob (fnmatch without flags: * and ? match any character, /
// included; [...] classes, [!...] negated; \ escapes) as an anchored regular expression.
func falcoGlobRegexp(pat string, fold bool) string {
	var b strings.Builder
	b.WriteString("^(?s")
	if fold {
		b.WriteString("i")
	}
	b.WriteString(":")
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		switch c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '\\':
			if i+1 < len(pat) {
				i++
				b.WriteString(regexp.QuoteMeta(pat[i : i+1]))
			} else {
				b.WriteString(`\\`)
			}
		case '[':
			end := i + 1
			if end < len(pat) && (pat[end] == '!' || pat[end] == '^') {
				end++
			}
			if end < len(pat) && pat[end] == ']' {
				end++
			}
			for end < len(pat) && pat[end] != ']' {
				end++
			}
			if end >= len(pat) {
				b.WriteString(`\[`) // unterminated: a literal [
				continue
			}
			class := pat[i+1 : end]
			b.WriteString("[")
			if class[0] == '!' || class[0] == '^' {
				b.WriteString("^")
				class = class[1:]
			}
			for _, r := range class {
				if r == '\\' || r == '[' || r == ']' {
					b.WriteString(`\`)
				}
				b.WriteRune(r)
			}
			b.WriteString("]")
			i = end
		default:
			b.WriteString(regexp.QuoteMeta(pat[i : i+1]))
		}
	}
	b.WriteString(")$")
	return b.String()
}

// falcoEval evaluates op on a known value (an enumerated field's, a default), as Falco would.
func falcoEval(op string, typ falcoFieldType, value string, vals []string) bool {
	if op == "exists" {
		return true
	}
	any := func(f func(string) bool) bool { return slices.ContainsFunc(vals, f) }
	if typ == falcoInt {
		x, ok := parseFalcoInt(value)
		return ok && any(func(v string) bool {
			y, ok := parseFalcoInt(v)
			return ok && compareOrdered(op, cmp3(x < y, x > y))
		})
	}
	switch op {
	case "=", "==", "in", "intersects":
		return slices.Contains(vals, value)
	case "!=":
		return len(vals) > 0 && value != vals[0]
	case "<", "<=", ">", ">=":
		return len(vals) > 0 && compareOrdered(op, strings.Compare(value, vals[0]))
	case "contains":
		return any(func(v string) bool { return strings.Contains(value, v) })
	case "icontains":
		return any(func(v string) bool { return icontains(value, v) })
	case "startswith":
		return any(func(v string) bool { return strings.HasPrefix(value, v) })
	case "endswith":
		return any(func(v string) bool { return strings.HasSuffix(value, v) })
	case "bcontains", "bstartswith":
		return any(func(v string) bool {
			b, err := falcoHexBytes(v)
			if op == "bcontains" {
				return err == nil && strings.Contains(value, b)
			}
			return err == nil && strings.HasPrefix(value, b)
		})
	case "glob", "iglob":
		return any(func(v string) bool { return regexp.MustCompile(falcoGlobRegexp(v, op == "iglob")).MatchString(value) })
	case "regex":
		return any(func(v string) bool { return regexp.MustCompile("^(?:" + v + ")$").MatchString(value) })
	case "pmatch":
		return any(func(v string) bool { return pathUnder(value, v) })
	}
	return false
}

func compareOrdered(op string, c int) bool {
	switch op {
	case "=", "==", "in", "intersects":
		return c == 0
	case "!=":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

// evalPositive evaluates op for "some positive number" (evt.num, a terminal's number):
// decided is false when the answer depends on which.
func evalPositive(op string, vals []string) (result, decided bool) {
	if op == "exists" {
		return true, true
	}
	if len(vals) == 0 {
		return false, true
	}
	v, ok := parseFalcoInt(vals[0])
	if !ok {
		return false, false
	}
	switch op {
	case "=", "==", "in", "intersects":
		for _, s := range vals {
			if n, ok := parseFalcoInt(s); !ok || n >= 1 {
				return false, false
			}
		}
		return false, true
	case "!=":
		return true, v < 1
	case "<":
		return false, v <= 1
	case "<=":
		return false, v < 1
	case ">":
		return true, v < 1
	case ">=":
		return true, v <= 1
	}
	return false, false
}

// celString is a CEL string literal.
func celString(s string) string {
	if !utf8.ValidString(s) {
		// CEL strings are UTF-8; escape each byte (CEL reads \xHH in strings as a code point,
		// so invalid UTF-8 cannot be matched and does not occur in attribute values).
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return strconv.Quote(s)
}

func celStrings(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = celString(v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// exprCheck is the term of op on the expression x (not a list, no default) of type typ; a
// lenient number compared with text is false (or, for !=, true when x is there).
func exprCheck(x string, op string, typ falcoFieldType, lenient bool, vals []string) *falcoTerm {
	switch op {
	case "exists":
		return termCEL("present(" + x + ")")
	}
	switch typ {
	case falcoInt:
		var nums []string
		for _, v := range vals {
			if n, ok := parseFalcoInt(v); ok {
				nums = append(nums, strconv.FormatInt(n, 10))
			} else if !lenient {
				return termFalse // validated already: not reached
			}
		}
		if len(nums) == 0 {
			return termBool(op == "!=" && lenient).withPresence(x)
		}
		switch op {
		case "in", "intersects":
			if len(nums) == 1 {
				return termCEL(x + " == " + nums[0])
			}
			return termCEL(x + " in [" + strings.Join(nums, ", ") + "]")
		case "=", "==":
			return termCEL(x + " == " + nums[0])
		}
		return termCEL(x + " " + op + " " + nums[0])
	case falcoBool:
		var ors []*falcoTerm
		for _, v := range vals {
			if op == "!=" {
				return termCEL(x + " != " + v)
			}
			ors = append(ors, termCEL(x+" == "+v))
		}
		return termOr(ors...)
	case falcoIPNet:
		var ors []*falcoTerm
		for _, v := range vals {
			ors = append(ors, termCEL("falco_cidr("+x+", "+celString(v)+")"))
		}
		if op == "!=" {
			return termCEL("falco_cidr(" + x + ", " + celString(vals[0]) + ") == false")
		}
		return termOr(ors...)
	}
	if len(vals) == 0 {
		return termFalse
	}
	v := celString(vals[0])
	switch op {
	case "=", "==":
		return termCEL(x + " == " + v)
	case "!=", "<", "<=", ">", ">=":
		return termCEL(x + " " + op + " " + v)
	case "contains":
		return termCEL(x + ".contains(" + v + ")")
	case "icontains":
		return termCEL("icontains(" + x + ", " + v + ")")
	case "startswith":
		return termCEL(x + ".startsWith(" + v + ")")
	case "endswith":
		return termCEL(x + ".endsWith(" + v + ")")
	case "bcontains", "bstartswith":
		b, _ := falcoHexBytes(vals[0])
		if !utf8.ValidString(b) {
			return termFalse // attribute values are UTF-8
		}
		if op == "bcontains" {
			return termCEL(x + ".contains(" + celString(b) + ")")
		}
		return termCEL(x + ".startsWith(" + celString(b) + ")")
	case "glob", "iglob":
		return termCEL(x + ".matches(" + celString(falcoGlobRegexp(vals[0], op == "iglob")) + ")")
	case "regex":
		return termCEL(x + ".matches(" + celString("^(?:"+vals[0]+")$") + ")")
	case "in", "intersects":
		if len(vals) == 1 {
			return termCEL(x + " == " + v)
		}
		return termCEL(x + " in " + celStrings(vals))
	case "pmatch":
		return termCEL("path_under(" + x + ", " + celStrings(vals) + ")")
	}
	return termFalse
}

// withPresence turns a decided true into "the value is there" (a check on an absent field is
// false even when its value would not matter).
func (t *falcoTerm) withPresence(x string) *falcoTerm {
	if t.op == tTrue {
		return termCEL("present(" + x + ")")
	}
	return t
}

// clampedCheck is op on max(x, m) with a number operand: Falco's fd.num is -1 for a failed
// open, whose return value is a negative errno.
func clampedCheck(x, op string, m int64, vals []string) *falcoTerm {
	var ors []*falcoTerm
	for _, s := range vals {
		v, _ := parseFalcoInt(s)
		num := strconv.FormatInt(v, 10)
		ms := strconv.FormatInt(m, 10)
		present := termCEL("present(" + x + ")")
		var t *falcoTerm
		switch op {
		case "=", "==", "in", "intersects":
			switch {
			case v < m:
				t = termFalse
			case v == m:
				t = termCEL(x + " <= " + ms)
			default:
				t = termCEL(x + " == " + num)
			}
		case "!=":
			switch {
			case v < m:
				t = present
			case v == m:
				t = termCEL(x + " > " + ms)
			default:
				t = termCEL(x + " != " + num)
			}
		case "<":
			t = termCEL(x + " < " + num)
			if v <= m {
				t = termFalse
			}
		case "<=":
			t = termCEL(x + " <= " + num)
			if v < m {
				t = termFalse
			}
		case ">":
			t = termCEL(x + " > " + num)
			if v < m {
				t = present
			}
		case ">=":
			t = termCEL(x + " >= " + num)
			if v <= m {
				t = present
			}
		}
		ors = append(ors, t)
	}
	return termOr(ors...)
}
