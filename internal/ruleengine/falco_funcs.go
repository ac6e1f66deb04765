package ruleengine

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/otelsec/otelsec/internal/capability"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// The functions Falco's fields are computed with (falco_fields.go), for cel-go and for the
// fast path: each is written once here and used by both.

// falcoStrFuncs are string-to-string functions over attribute values.
var falcoStrFuncs = map[string]func(string) string{
	// falco_argv0 is argv[0] (Falco's proc.exe).
	"falco_argv0": argv0,
	// falco_args is the arguments after argv[0] (Falco's proc.args).
	"falco_args": func(cmdline string) string {
		if i := strings.IndexByte(cmdline, ' '); i >= 0 {
			return cmdline[i+1:]
		}
		return ""
	},
	// falco_mode is a chmod's mode as Falco prints it: the names of its bits (S_IRUSR|...),
	// from the octal mode the records hold; not octal, it is left as it is.
	"falco_mode": falcoMode,
	// falco_trunc cuts an executable's name to the kernel's 15 bytes of comm: the comm exec
	// gives it, which the records leave out when it is just that.
	"falco_trunc": func(s string) string {
		if len(s) > 15 {
			return s[:15]
		}
		return s
	},
	// falco_spaced puts a space before a non-empty string (proc.cmdline: the comm, then the
	// arguments if any).
	"falco_spaced": func(s string) string {
		if s == "" {
			return ""
		}
		return " " + s
	},
	// falco_dir is a directory as Falco shows proc.cwd: with a trailing slash.
	"falco_dir": func(s string) string {
		if strings.HasSuffix(s, "/") {
			return s
		}
		return s + "/"
	},
}

func argv0(cmdline string) string {
	if i := strings.IndexByte(cmdline, ' '); i >= 0 {
		return cmdline[:i]
	}
	return cmdline
}

// falcoJoins are the functions joining a string list into one string, by their separator:
// falco_join joins flags as Falco shows them (O_WRONLY|O_CREAT); falco_env an environment as
// Falco's proc.env shows it (NAME=VALUE NAME=VALUE).
var falcoJoins = map[string]string{"falco_join": "|", "falco_env": " "}

// falcoPreds are predicates of two strings.
var falcoPreds = map[string]func(x, y string) bool{
	// falco_cidr reports whether the address x is in the network y ("10.0.0.0/8"), or is
	// the address y; Falco's ipnet comparison.
	"falco_cidr": cidrContains,
}

func cidrContains(addr, network string) bool {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	a = a.Unmap()
	if p, err := netip.ParsePrefix(network); err == nil {
		return p.Masked().Contains(a)
	}
	if b, err := netip.ParseAddr(network); err == nil {
		return b.Unmap() == a
	}
	return false
}

// falcoFuncOptions declares the functions for cel-go.
func falcoFuncOptions() []cel.EnvOption {
	var opts []cel.EnvOption
	for _, name := range sortedKeys(falcoStrFuncs) {
		f := falcoStrFuncs[name]
		opts = append(opts, cel.Function(name, cel.Overload(name+"_string", []*cel.Type{cel.StringType}, cel.StringType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				s, ok := v.(types.String)
				if !ok {
					return types.NoSuchOverloadErr()
				}
				return types.String(f(string(s)))
			}))))
	}
	for _, name := range sortedKeys(falcoPreds) {
		f := falcoPreds[name]
		opts = append(opts, cel.Function(name, cel.Overload(name+"_string_string", []*cel.Type{cel.StringType, cel.StringType}, cel.BoolType,
			cel.BinaryBinding(func(x, y ref.Val) ref.Val {
				xs, ok1 := x.(types.String)
				ys, ok2 := y.(types.String)
				if !ok1 || !ok2 {
					return types.NoSuchOverloadErr()
				}
				return types.Bool(f(string(xs), string(ys)))
			}))))
	}
	opts = append(opts, cel.Function("falco_caps", cel.Overload("falco_caps_int", []*cel.Type{cel.IntType}, cel.StringType,
		cel.UnaryBinding(func(v ref.Val) ref.Val {
			n, ok := v.(types.Int)
			if !ok {
				return types.NoSuchOverloadErr()
			}
			return types.String(capability.Join(uint64(n)))
		}))))
	for _, name := range sortedKeys(falcoJoins) {
		sep := falcoJoins[name]
		opts = append(opts, cel.Function(name, cel.Overload(name+"_list", []*cel.Type{cel.ListType(cel.StringType)}, cel.StringType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				l, ok := v.(traits.Lister)
				if !ok {
					return types.NoSuchOverloadErr()
				}
				var elems []string
				if err := eachString(l, func(s string) bool { elems = append(elems, s); return true }); err != nil {
					return err
				}
				return types.String(strings.Join(elems, sep))
			}))))
	}
	return opts
}

// falcoCall compiles a call of one of these functions onto the fast path; ok is false for
// other functions.
func (fc *fastCompiler) falcoCall(fn string, args []ast.Expr) (valNode, string, bool, error) {
	f, isStr := falcoStrFuncs[fn]
	sep, isJoin := falcoJoins[fn]
	if len(args) != 1 || (!isStr && !isJoin && fn != "falco_caps") {
		return nil, "", false, nil
	}
	x, k, err := fc.valExpr(args[0])
	if err != nil {
		return nil, "", true, err
	}
	key := joinKey(fn, k)
	switch {
	case isStr:
		return fc.shareVal(strFunc{x, f}, key), key, true, nil
	case fn == "falco_caps":
		return fc.shareVal(capsVal{x}, key), key, true, nil
	}
	return fc.shareVal(joinVal{x, sep}, key), key, true, nil
}

// capsVal is falco_caps on the fast path: a capability mask as Falco shows it.
type capsVal struct{ x valNode }

func (n capsVal) value(a *activation) (fval, bool) {
	x, ok := n.x.value(a)
	if !ok || x.k != kInt {
		return fval{}, false
	}
	return fval{k: kStr, s: capability.Join(uint64(x.i))}, true
}

// joinVal is falco_join or falco_env on the fast path.
type joinVal struct {
	x   valNode
	sep string
}

func (n joinVal) value(a *activation) (fval, bool) {
	x, ok := n.x.value(a)
	if !ok || !isList(x) {
		return fval{}, false
	}
	elems := make([]string, 0, listLen(x))
	for i := 0; i < listLen(x); i++ {
		if e, ok := listAt(x, i); ok && e.k == kStr {
			elems = append(elems, e.s)
		}
	}
	return fval{k: kStr, s: strings.Join(elems, n.sep)}, true
}

// falcoModeBits are the mode bits in the order of Falco's chmod mode flags table.
var falcoModeBits = []struct {
	bit  uint64
	name string
}{
	{0o1, "S_IXOTH"}, {0o2, "S_IWOTH"}, {0o4, "S_IROTH"}, {0o10, "S_IXGRP"}, {0o20, "S_IWGRP"}, {0o40, "S_IRGRP"},
	{0o100, "S_IXUSR"}, {0o200, "S_IWUSR"}, {0o400, "S_IRUSR"}, {0o1000, "S_ISVTX"}, {0o2000, "S_ISGID"}, {0o4000, "S_ISUID"},
}

func falcoMode(octal string) string {
	m, err := strconv.ParseUint(octal, 8, 32)
	if err != nil {
		return octal
	}
	var names []string
	for _, b := range falcoModeBits {
		if m&b.bit != 0 {
			names = append(names, b.name)
		}
	}
	return strings.Join(names, "|")
}
