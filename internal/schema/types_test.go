package schema

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"
)

// Every attribute name the contract declares has its one type in Types.
func TestEveryAttributeHasAType(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "schema.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Attr") || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok {
					continue
				}
				v, _ := strconv.Unquote(lit.Value)
				if v == AttrLogRecordOriginal {
					continue
				}
				n++
				if _, ok := Types[v]; !ok {
					t.Errorf("%s (%q) has no type in Types", name.Name, v)
				}
			}
		}
	}
	if n < 50 || len(Types) != n {
		t.Errorf("schema.go declares %d attributes, Types has %d", n, len(Types))
	}
}
