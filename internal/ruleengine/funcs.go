package ruleengine

import (
	"strings"

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

// globMatch matches shell globs: * (any run without /), ** (any run, / included), ? (one
// character but /), [...] classes with ranges and ! or ^ negation, \ escapes. It interprets
// the pattern directly, without compiling or allocating.
func globMatch(pat, s string) bool {
	for len(pat) > 0 {
		switch pat[0] {
		case '*':
			double := len(pat) > 1 && pat[1] == '*'
			if double {
				pat = pat[2:]
			} else {
				pat = pat[1:]
			}
			if pat == "" {
				return double || !strings.Contains(s, "/")
			}
			// "a/**/b" also matches "a/b": ** may stand for no directory at all.
			if double && pat[0] == '/' && globMatch(pat[1:], s) {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if globMatch(pat, s[i:]) {
					return true
				}
				if i < len(s) && s[i] == '/' && !double {
					return false
				}
			}
			return false
		case '?':
			if s == "" || s[0] == '/' {
				return false
			}
			pat, s = pat[1:], s[1:]
		case '[':
			if s == "" {
				return false
			}
			end := strings.IndexByte(pat[1:], ']')
			if end < 0 {
				// Unterminated class: a literal '['.
				if s[0] != '[' {
					return false
				}
				pat, s = pat[1:], s[1:]
				continue
			}
			if end == 0 { // "[]...]": ']' first is literal
				if e2 := strings.IndexByte(pat[2:], ']'); e2 >= 0 {
					end = e2 + 1
				}
			}
			class := pat[1 : 1+end]
			neg := len(class) > 0 && (class[0] == '!' || class[0] == '^')
			if neg {
				class = class[1:]
			}
			c := s[0]
			in := false
			for i := 0; i < len(class); i++ {
				if i+2 < len(class) && class[i+1] == '-' {
					if class[i] <= c && c <= class[i+2] {
						in = true
					}
					i += 2
				} else if class[i] == c {
					in = true
				}
			}
			if in == neg || c == '/' {
				return false
			}
			pat, s = pat[2+end:], s[1:]
		case '\\':
			if len(pat) > 1 {
				pat = pat[1:]
			}
			fallthrough
		default:
			if s == "" || s[0] != pat[0] {
				return false
			}
			pat, s = pat[1:], s[1:]
		}
	}
	return s == ""
}
