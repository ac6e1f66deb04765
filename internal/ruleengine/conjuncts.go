package ruleengine

import (
	"sync"
	"unicode"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
)

// Parsing is most of compiling, and rule conditions are mostly chains of && whose terms recur
// across rules (spawned_process, a list test, a macro): each distinct term of a chain is
// parsed once, and a condition's tree is assembled from its terms' trees, with the offsets
// the whole text would give. cel-go's parser balances a chain of && into a tree; assembling
// balances it the same way, so the tree is the one parsing the whole text gives. A condition
// with anything else at its top level (||, ?:, a comment), or a term that does not parse on
// its own, is parsed whole.

// conjuncts caches the parses of terms, by text; safe for concurrent use.
type conjuncts struct {
	mu sync.Mutex
	m  map[string]*conjunct
}

type conjunct struct {
	parse  sync.Once
	parsed *cel.Ast // nil when the term does not parse on its own
	ast    *ast.AST // parsed.NativeRep(), copied into conditions before it is checked

	check sync.Once
	ok    bool // it checks as a bool (or dyn): a chain of such terms checks as a bool
}

// parseChain returns the tree of the && chain s and its terms, or nil when s is to be parsed
// whole.
func (c *compiler) parseChain(s []rune) (*ast.AST, []*conjunct) {
	spans, ok := splitConjuncts(s)
	if !ok {
		return nil, nil
	}
	terms := make([]*conjunct, len(spans))
	for i, sp := range spans {
		if terms[i] = c.conjunct(string(s[sp[0]:sp[1]])); terms[i].parsed == nil {
			return nil, nil
		}
	}
	info := ast.NewSourceInfo(common.NewTextSource(string(s)))
	g := &grafter{fac: ast.NewExprFactory()}
	exprs := make([]ast.Expr, len(terms))
	for i, t := range terms {
		shift := int32(spans[i][0])
		g.onCopy = func(from, to int64) {
			if r, ok := t.ast.SourceInfo().GetOffsetRange(from); ok {
				info.SetOffsetRange(to, ast.OffsetRange{Start: r.Start + shift, Stop: r.Stop + shift})
			}
		}
		exprs[i] = g.copy(t.ast.Expr(), func(ast.Expr) (ast.Expr, bool) { return nil, false })
	}
	g.onCopy = nil
	return ast.NewAST(g.balanced(operators.LogicalAnd, exprs), info), terms
}

// checkChain reports whether a chain of terms checks as a bool, checking each distinct term
// once (cel-go's checker rewrites a tree in place: terms are checked after conditions copied
// them). false means: check the whole condition, which says why.
func (c *compiler) checkChain(terms []*conjunct) bool {
	for _, t := range terms {
		t.check.Do(func() {
			checked, iss := c.env.Check(t.parsed)
			t.ok = iss.Err() == nil && (checked.OutputType().IsExactType(cel.BoolType) || checked.OutputType().IsExactType(cel.DynType))
		})
		if !t.ok {
			return false
		}
	}
	return true
}

// conjunct parses one term, once.
func (c *compiler) conjunct(s string) *conjunct {
	c.terms.mu.Lock()
	t := c.terms.m[s]
	if t == nil {
		t = &conjunct{}
		c.terms.m[s] = t
	}
	c.terms.mu.Unlock()
	t.parse.Do(func() {
		if parsed, iss := c.parseEnv.Parse(s); iss.Err() == nil {
			t.parsed, t.ast = parsed, parsed.NativeRep()
		}
	})
	return t
}

// splitConjuncts returns the rune spans [start, end) of the terms of s when s is a chain of
// at least two terms joined by && at its top level, and nothing but && there.
func splitConjuncts(s []rune) (spans [][2]int, ok bool) {
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			if depth--; depth < 0 {
				return nil, false
			}
		case '"', '\'':
			end, ok := skipString(s, i)
			if !ok {
				return nil, false
			}
			i = end - 1
		case '/':
			if i+1 < len(s) && s[i+1] == '/' {
				return nil, false // a comment: parse the whole text
			}
		case '|', '?', ':':
			if depth == 0 {
				return nil, false
			}
		case '&':
			if depth > 0 {
				continue
			}
			if i+1 >= len(s) || s[i+1] != '&' {
				return nil, false
			}
			spans = append(spans, [2]int{start, i})
			start = i + 2
			i++
		}
	}
	if depth != 0 {
		return nil, false
	}
	spans = append(spans, [2]int{start, len(s)})
	if len(spans) < 2 {
		return nil, false
	}
	for _, sp := range spans {
		blank := true
		for _, r := range s[sp[0]:sp[1]] {
			blank = blank && unicode.IsSpace(r)
		}
		if blank {
			return nil, false
		}
	}
	return spans, true
}

// skipString returns the offset just past the string literal whose opening quote is at i:
// '...', "...", or tripled, raw (r or R before the quote, no escapes) or not.
func skipString(s []rune, i int) (int, bool) {
	q := s[i]
	raw := false
	for j := i - 1; j >= 0 && j >= i-2 && isPrefixLetter(s[j]); j-- {
		raw = raw || s[j] == 'r' || s[j] == 'R'
	}
	n := 1
	if i+2 < len(s) && s[i+1] == q && s[i+2] == q {
		n = 3
	}
	for j := i + n; j < len(s); j++ {
		switch {
		case s[j] == '\\' && !raw:
			j++
		case s[j] == q && (n == 1 || (j+2 < len(s) && s[j+1] == q && s[j+2] == q)):
			return j + n, true
		}
	}
	return 0, false
}

func isPrefixLetter(r rune) bool { return r == 'r' || r == 'R' || r == 'b' || r == 'B' }
