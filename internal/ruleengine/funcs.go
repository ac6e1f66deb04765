package ruleengine

import (
	"math/bits"
	"strings"
	"unicode/utf8"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/functions"
	"github.com/google/cel-go/common/overloads"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// helperFuncs declares the rule language's helper functions.
func helperFuncs() []cel.EnvOption {
	strList := cel.ListType(cel.StringType)
	return []cel.EnvOption{
		cel.Function("path_under",
			cel.Overload("path_under_string_string", []*cel.Type{cel.StringType, cel.StringType}, cel.BoolType,
				cel.BinaryBinding(func(p, pre ref.Val) ref.Val {
					ps, ok1 := p.(types.String)
					prs, ok2 := pre.(types.String)
					if !ok1 || !ok2 {
						return types.NoSuchOverloadErr()
					}
					return types.Bool(pathUnder(string(ps), string(prs)))
				})),
			cel.Overload("path_under_string_list", []*cel.Type{cel.StringType, strList}, cel.BoolType,
				cel.BinaryBinding(func(p, l ref.Val) ref.Val {
					ps, ok := p.(types.String)
					if !ok {
						return types.NoSuchOverloadErr()
					}
					found := false
					if err := eachString(l, func(pre string) bool {
						found = pathUnder(string(ps), pre)
						return !found
					}); err != nil {
						return err
					}
					return types.Bool(found)
				}))),
		cel.Function("glob",
			cel.Overload("glob_string_string", []*cel.Type{cel.StringType, cel.StringType}, cel.BoolType,
				cel.BinaryBinding(func(s, pat ref.Val) ref.Val {
					ss, ok1 := s.(types.String)
					ps, ok2 := pat.(types.String)
					if !ok1 || !ok2 {
						return types.NoSuchOverloadErr()
					}
					return types.Bool(globMatch(string(ps), string(ss)))
				}))),
		cel.Function("basename",
			cel.Overload("basename_string", []*cel.Type{cel.StringType}, cel.StringType,
				cel.UnaryBinding(func(s ref.Val) ref.Val {
					ss, ok := s.(types.String)
					if !ok {
						return types.NoSuchOverloadErr()
					}
					return types.String(basename(string(ss)))
				}))),
		cel.Function("dirname",
			cel.Overload("dirname_string", []*cel.Type{cel.StringType}, cel.StringType,
				cel.UnaryBinding(func(s ref.Val) ref.Val {
					ss, ok := s.(types.String)
					if !ok {
						return types.NoSuchOverloadErr()
					}
					return types.String(dirname(string(ss)))
				}))),
		cel.Function("icontains",
			cel.Overload("icontains_string_string", []*cel.Type{cel.StringType, cel.StringType}, cel.BoolType,
				cel.BinaryBinding(func(s, sub ref.Val) ref.Val {
					ss, ok1 := s.(types.String)
					subs, ok2 := sub.(types.String)
					if !ok1 || !ok2 {
						return types.NoSuchOverloadErr()
					}
					return types.Bool(icontains(string(ss), string(subs)))
				}))),
		cel.Function("any_in",
			cel.Overload("any_in_list_list", []*cel.Type{strList, strList}, cel.BoolType,
				cel.BinaryBinding(func(a, b ref.Val) ref.Val {
					bl, ok := b.(traits.Lister)
					if !ok {
						return types.NoSuchOverloadErr()
					}
					found := false
					if err := eachVal(a, func(v ref.Val) bool {
						found = bl.Contains(v) == types.True
						return !found
					}); err != nil {
						return err
					}
					return types.Bool(found)
				}))),
		// present(x) is true when x evaluates: present("a.b") is rewritten to present(a.b).
		cel.Function("present",
			cel.Overload("present_dyn", []*cel.Type{cel.DynType}, cel.BoolType, cel.OverloadIsNonStrict(),
				cel.UnaryBinding(func(v ref.Val) ref.Val {
					return types.Bool(!types.IsUnknownOrError(v))
				}))),
	}
}

// notOverload replaces CEL's `!` with a non-strict version: a negated sub-expression that
// could not be evaluated (absent attribute) counts as false, so `!` of it is true. Through
// && and ||, an error already behaves as false (CEL absorbs it when the other side decides),
// so this one change gives "the smallest enclosing boolean sub-expression is false".
var notOverload = &functions.Overload{
	Operator:  overloads.LogicalNot,
	NonStrict: true,
	Unary: func(v ref.Val) ref.Val {
		if b, ok := v.(types.Bool); ok {
			return !b
		}
		return types.True
	},
}

func eachVal(l ref.Val, f func(ref.Val) bool) ref.Val {
	lister, ok := l.(traits.Lister)
	if !ok {
		return types.NoSuchOverloadErr()
	}
	it := lister.Iterator()
	for it.HasNext() == types.True {
		if !f(it.Next()) {
			break
		}
	}
	return nil
}

func eachString(l ref.Val, f func(string) bool) ref.Val {
	return eachVal(l, func(v ref.Val) bool {
		if s, ok := v.(types.String); ok {
			return f(string(s))
		}
		return true
	})
}

// pathUnder reports whether path is prefix or below it, by whole components.
func pathUnder(path, prefix string) bool {
	prefix = strings.TrimRight(prefix, "/")
	if prefix == "" {
		return strings.HasPrefix(path, "/")
	}
	if !strings.HasPrefix(path, prefix) {
		return false
	}
	return len(path) == len(prefix) || path[len(prefix)] == '/'
}

func basename(s string) string {
	s = strings.TrimRight(s, "/")
	if s == "" {
		return ""
	}
	return s[strings.LastIndexByte(s, '/')+1:]
}

func dirname(s string) string {
	s = strings.TrimRight(s, "/")
	i := strings.LastIndexByte(s, '/')
	switch {
	case i < 0:
		return "."
	case i == 0:
		return "/"
	}
	return s[:i]
}

// icontains is an ASCII case-insensitive substring test that does not allocate.
func icontains(s, sub string) bool {
	n := len(sub)
	if n == 0 {
		return true
	}
outer:
	for i := 0; i+n <= len(s); i++ {
		for j := 0; j < n; j++ {
			if lower(s[i+j]) != lower(sub[j]) {
				continue outer
			}
		}
		return true
	}
	return false
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// globMatch matches shell globs: * (any run without /), ** (any run, / included; "**/" may
// also match nothing), ? (one character but /), [...] classes with ranges and ! or ^ negation,
// \ escapes. It simulates the pattern as an NFA over byte offsets of the pattern, so the cost
// is O(len(pattern) * len(s)) whatever the pattern (no exponential backtracking on hostile
// patterns), without allocating for patterns up to 256 bytes.
func globMatch(pat, s string) bool {
	// Most patterns start (and end) with literal text: reject on that before simulating.
	if i := strings.IndexAny(pat, "*?[\\"); i < 0 {
		return pat == s
	} else if !strings.HasPrefix(s, pat[:i]) {
		return false
	}
	if !strings.ContainsRune(pat, '\\') {
		if suffix := pat[strings.LastIndexAny(pat, "*?]")+1:]; !strings.HasSuffix(s, suffix) {
			return false
		}
	}
	var curBuf, nextBuf [4]uint64
	cur, next := curBuf[:], nextBuf[:]
	if n := (len(pat) + 64) / 64; n > len(cur) {
		cur, next = make([]uint64, n), make([]uint64, n)
	}
	g := globNFA{pat: pat}
	g.add(cur, 0)
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRuneInString(s[i:])
		cs := s[i : i+size]
		i += size
		clear(next)
		any := false
		for w, word := range cur {
			for word != 0 {
				bit := word & -word
				word ^= bit
				st := w*64 + bits.TrailingZeros64(bit)
				if st >= len(pat) {
					continue
				}
				if to, ok := g.step(st, c, cs); ok {
					g.add(next, to)
					any = true
				}
			}
		}
		if !any {
			return false
		}
		cur, next = next, cur
	}
	end := len(pat)
	return cur[end/64]&(1<<(end%64)) != 0
}

type globNFA struct{ pat string }

// add sets state i and every state reachable from it without input (past stars).
func (g globNFA) add(set []uint64, i int) {
	for {
		if set[i/64]&(1<<(i%64)) != 0 {
			return
		}
		set[i/64] |= 1 << (i % 64)
		if i >= len(g.pat) || g.pat[i] != '*' {
			return
		}
		if i+1 < len(g.pat) && g.pat[i+1] == '*' {
			if i+2 < len(g.pat) && g.pat[i+2] == '/' {
				g.add(set, i+3) // "**/" may match no directory at all
			}
			i += 2
		} else {
			i++
		}
	}
}

// step returns the state after consuming the character c in state i. Characters are runes:
// ? and classes match one UTF-8 character, as in path.Match; literals compare bytes (cs is the
// character's encoding), so invalid UTF-8 only matches itself.
func (g globNFA) step(i int, c rune, cs string) (int, bool) {
	p := g.pat
	switch p[i] {
	case '*':
		if i+1 < len(p) && p[i+1] == '*' {
			return i, true
		}
		return i, c != '/'
	case '?':
		return i + 1, c != '/'
	case '[':
		end := strings.IndexByte(p[i+1:], ']')
		if end == 0 { // "[]...]": a leading ']' is literal
			if e2 := strings.IndexByte(p[i+2:], ']'); e2 >= 0 {
				end = e2 + 1
			} else {
				end = -1
			}
		}
		if end < 0 {
			return i + 1, c == '[' // unterminated: a literal '['
		}
		class := p[i+1 : i+1+end]
		neg := class != "" && (class[0] == '!' || class[0] == '^')
		if neg {
			class = class[1:]
		}
		in := false
		for class != "" {
			lo, n := utf8.DecodeRuneInString(class)
			class = class[n:]
			hi := lo
			if len(class) > 1 && class[0] == '-' {
				hi, n = utf8.DecodeRuneInString(class[1:])
				class = class[1+n:]
			}
			if lo <= c && c <= hi {
				in = true
			}
		}
		return i + 2 + end, in != neg && c != '/'
	case '\\':
		if i+1 < len(p) {
			_, n := utf8.DecodeRuneInString(p[i+1:])
			return i + 1 + n, p[i+1:i+1+n] == cs
		}
	}
	_, n := utf8.DecodeRuneInString(p[i:])
	return i + n, p[i:i+n] == cs
}
