package rules

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"gopkg.in/yaml.v3"

	"github.com/otelsec/otelsec/internal/ruleengine"
)

// fixture is one rule's test records (testdata/fixtures.yaml).
type fixture struct {
	Rule    string   `yaml:"rule"`
	Match   []record `yaml:"match"`
	NoMatch []record `yaml:"no_match"`
}

type record struct {
	Event      string    `yaml:"event"`
	Attributes yaml.Node `yaml:"attributes"`
	Line       int       `yaml:"-"`
}

func (r *record) UnmarshalYAML(n *yaml.Node) error {
	type plain record
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*r = record(p)
	r.Line = n.Line
	return nil
}

// logRecord builds the LogRecord the receiver would emit: YAML ints become int attributes,
// bools bools, sequences string slices, everything else strings.
func (r *record) logRecord(t *testing.T) plog.LogRecord {
	t.Helper()
	lr := plog.NewLogRecord()
	lr.SetEventName(r.Event)
	attrs := lr.Attributes()
	n := &r.Attributes
	if n.Kind == 0 {
		return lr
	}
	if n.Kind != yaml.MappingNode {
		t.Fatalf("fixtures.yaml:%d: attributes must be a mapping", r.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, n.Content[i+1]
		switch {
		case v.Kind == yaml.SequenceNode:
			s := attrs.PutEmptySlice(k)
			for _, el := range v.Content {
				if el.Kind != yaml.ScalarNode {
					t.Fatalf("fixtures.yaml:%d: %s: list elements must be scalars", v.Line, k)
				}
				s.AppendEmpty().SetStr(el.Value)
			}
		case v.Kind == yaml.ScalarNode && v.Tag == "!!int":
			i, err := strconv.ParseInt(v.Value, 0, 64)
			if err != nil {
				t.Fatalf("fixtures.yaml:%d: %s: %v", v.Line, k, err)
			}
			attrs.PutInt(k, i)
		case v.Kind == yaml.ScalarNode && v.Tag == "!!bool":
			attrs.PutBool(k, v.Value == "true")
		case v.Kind == yaml.ScalarNode:
			attrs.PutStr(k, v.Value)
		default:
			t.Fatalf("fixtures.yaml:%d: %s: unsupported value", v.Line, k)
		}
	}
	return lr
}

func loadFixtures(t *testing.T) map[string]*fixture {
	t.Helper()
	data, err := os.ReadFile("testdata/fixtures.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var list []*fixture
	if err := yaml.Unmarshal(data, &list); err != nil {
		t.Fatalf("fixtures.yaml: %v", err)
	}
	byRule := map[string]*fixture{}
	for _, f := range list {
		if old, dup := byRule[f.Rule]; dup {
			old.Match = append(old.Match, f.Match...)
			old.NoMatch = append(old.NoMatch, f.NoMatch...)
			continue
		}
		byRule[f.Rule] = f
	}
	return byRule
}

func compileDefault(t testing.TB) *ruleengine.Engine {
	t.Helper()
	e, warns, err := ruleengine.Compile(Default(), ruleengine.Options{MatchAll: true})
	if err != nil {
		t.Fatalf("default rules do not compile: %v", err)
	}
	// A warning means a rule is not restricted by event.name: it runs on every record.
	for _, w := range warns {
		t.Errorf("warning: %s", w)
	}
	return e
}

func ruleNames(rs []*ruleengine.Rule) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

func TestDefaultRulesFixtures(t *testing.T) {
	e := compileDefault(t)
	fixtures := loadFixtures(t)
	if n := len(e.Rules()); n < 30 {
		t.Errorf("the default ruleset has %d rules, want at least 30", n)
	}
	res := pcommon.NewMap()
	res.PutStr("host.name", "fixture")
	known := map[string]bool{}
	for _, r := range e.Rules() {
		known[r.Name] = true
		f := fixtures[r.Name]
		if f == nil || len(f.Match) == 0 || len(f.NoMatch) == 0 {
			t.Errorf("rule %q (%s:%d) needs at least one match and one no_match fixture", r.Name, r.File, r.Line)
			continue
		}
		for _, rec := range f.Match {
			lr := rec.logRecord(t)
			got := e.Match(res, lr, nil)
			if !containsRule(got, r.Name) {
				t.Errorf("fixtures.yaml:%d: rule %q did not match (matched: %v)", rec.Line, r.Name, ruleNames(got))
			}
			if out := r.Render(res, lr); out == "" {
				t.Errorf("fixtures.yaml:%d: rule %q rendered an empty output", rec.Line, r.Name)
			}
		}
		for _, rec := range f.NoMatch {
			got := e.Match(res, rec.logRecord(t), nil)
			if containsRule(got, r.Name) {
				t.Errorf("fixtures.yaml:%d: rule %q matched a no_match record", rec.Line, r.Name)
			}
		}
	}
	for name := range fixtures {
		if !known[name] {
			t.Errorf("fixtures for unknown rule %q", name)
		}
	}
}

func containsRule(rs []*ruleengine.Rule, name string) bool {
	for _, r := range rs {
		if r.Name == name {
			return true
		}
	}
	return false
}

var (
	mitreID     = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)
	mitreTactic = regexp.MustCompile(`^mitre_[a-z_]+$`)
)

var tactics = map[string]bool{
	"mitre_reconnaissance": true, "mitre_resource_development": true, "mitre_initial_access": true,
	"mitre_execution": true, "mitre_persistence": true, "mitre_privilege_escalation": true,
	"mitre_defense_evasion": true, "mitre_credential_access": true, "mitre_discovery": true,
	"mitre_lateral_movement": true, "mitre_collection": true, "mitre_command_and_control": true,
	"mitre_exfiltration": true, "mitre_impact": true,
}

func TestDefaultRulesMetadata(t *testing.T) {
	e := compileDefault(t)
	for _, r := range e.Rules() {
		var ids, tacs int
		for _, tag := range r.Tags {
			switch {
			case mitreID.MatchString(tag):
				ids++
			case mitreTactic.MatchString(tag):
				if !tactics[tag] {
					t.Errorf("rule %q: unknown ATT&CK tactic tag %q", r.Name, tag)
				}
				tacs++
			}
		}
		if ids == 0 {
			t.Errorf("rule %q: no ATT&CK technique id tag (T1234 or T1234.001) in %v", r.Name, r.Tags)
		}
		if tacs == 0 {
			t.Errorf("rule %q: no ATT&CK tactic tag (mitre_*) in %v", r.Name, r.Tags)
		}
		if len(r.Tags) == 0 || mitreID.MatchString(r.Tags[0]) || mitreTactic.MatchString(r.Tags[0]) {
			t.Errorf("rule %q: the first tag must be its category (process, file, ...): %v", r.Name, r.Tags)
		}
		if strings.TrimSpace(r.Description) == "" {
			t.Errorf("rule %q: no desc", r.Name)
		}
		if strings.Contains(strings.TrimSpace(r.Description), "\n") {
			t.Errorf("rule %q: desc should be one line", r.Name)
		}
		if strings.TrimSpace(r.Output) == "" {
			t.Errorf("rule %q: no output", r.Name)
		}
		if r.Priority == 0 {
			t.Errorf("rule %q: no priority", r.Name)
		}
	}
}

// schemaAttributes reads the contract's attribute names from internal/schema's source: every
// string constant whose name starts with Attr.
func schemaAttributes(t *testing.T) map[string]bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../internal/schema/schema.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	attrs := map[string]bool{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Attr") || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				v, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				attrs[v] = true
			}
		}
	}
	if len(attrs) < 30 {
		t.Fatalf("read only %d attribute names from schema.go", len(attrs))
	}
	attrs["event.name"] = true
	return attrs
}

// listNames are the list identifiers the default files define.
func listNames(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	for _, src := range Default() {
		var items []map[string]any
		if err := yaml.Unmarshal(src.Data, &items); err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if n, ok := it["list"].(string); ok {
				names[n] = true
			}
		}
	}
	return names
}

// TestDefaultRulesUseSchemaAttributes catches attribute typos: the engine accepts any dotted
// name (other sources may carry other attributes), so a misspelt one would silently never
// match. Every dotted name in a compiled condition, every present("...") argument and every
// %reference in an output must be in internal/schema.
func TestDefaultRulesUseSchemaAttributes(t *testing.T) {
	e := compileDefault(t)
	attrs := schemaAttributes(t)
	lists := listNames(t)
	env, err := cel.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range e.Rules() {
		parsed, iss := env.Parse(r.Condition)
		if iss.Err() != nil {
			t.Fatalf("rule %q: parsing its compiled condition: %v", r.Name, iss.Err())
		}
		root := parsed.NativeRep().Expr()
		iterVars := map[string]bool{}
		collectIterVars(root, iterVars)
		var bad []string
		walkNames(root, func(name string) {
			switch {
			case attrs[name], lists[name], iterVars[name]:
			default:
				bad = append(bad, name)
			}
		}, func(fn, arg string) {
			if fn == "present" && !attrs[arg] {
				bad = append(bad, fmt.Sprintf("present(%q)", arg))
			}
		})
		for _, ref := range r.OutputFields {
			if !attrs[ref] {
				bad = append(bad, "%"+ref)
			}
		}
		if len(bad) > 0 {
			sort.Strings(bad)
			t.Errorf("rule %q uses names that are neither schema attributes nor lists: %v", r.Name, bad)
		}
	}
}

func collectIterVars(e celast.Expr, vars map[string]bool) {
	switch e.Kind() {
	case celast.ComprehensionKind:
		c := e.AsComprehension()
		vars[c.IterVar()] = true
		if c.HasIterVar2() {
			vars[c.IterVar2()] = true
		}
		vars[c.AccuVar()] = true
		for _, x := range []celast.Expr{c.IterRange(), c.AccuInit(), c.LoopCondition(), c.LoopStep(), c.Result()} {
			collectIterVars(x, vars)
		}
	case celast.CallKind:
		c := e.AsCall()
		if c.IsMemberFunction() {
			collectIterVars(c.Target(), vars)
		}
		for _, a := range c.Args() {
			collectIterVars(a, vars)
		}
	case celast.SelectKind:
		collectIterVars(e.AsSelect().Operand(), vars)
	case celast.ListKind:
		for _, el := range e.AsList().Elements() {
			collectIterVars(el, vars)
		}
	}
}

// walkNames reports each maximal identifier chain (a, a.b.c) and each global call whose first
// argument is a string literal.
func walkNames(e celast.Expr, onName func(string), onCall func(fn, arg string)) {
	if name, ok := chain(e); ok {
		onName(name)
		return
	}
	switch e.Kind() {
	case celast.SelectKind:
		walkNames(e.AsSelect().Operand(), onName, onCall)
	case celast.CallKind:
		c := e.AsCall()
		if c.IsMemberFunction() {
			walkNames(c.Target(), onName, onCall)
		} else if args := c.Args(); len(args) > 0 && args[0].Kind() == celast.LiteralKind {
			if s, ok := args[0].AsLiteral().Value().(string); ok {
				onCall(c.FunctionName(), s)
			}
		}
		for _, a := range c.Args() {
			walkNames(a, onName, onCall)
		}
	case celast.ListKind:
		for _, el := range e.AsList().Elements() {
			walkNames(el, onName, onCall)
		}
	case celast.ComprehensionKind:
		c := e.AsComprehension()
		for _, x := range []celast.Expr{c.IterRange(), c.AccuInit(), c.LoopCondition(), c.LoopStep(), c.Result()} {
			walkNames(x, onName, onCall)
		}
	}
}

func chain(e celast.Expr) (string, bool) {
	switch e.Kind() {
	case celast.IdentKind:
		return e.AsIdent(), true
	case celast.SelectKind:
		s := e.AsSelect()
		if s.IsTestOnly() {
			return "", false
		}
		base, ok := chain(s.Operand())
		if !ok {
			return "", false
		}
		return base + "." + s.FieldName(), true
	}
	return "", false
}

// The attribute check must itself catch a typo: compile a rule with one and run the same walk.
func TestSchemaCheckCatchesTypos(t *testing.T) {
	src := ruleengine.Source{Name: "typo.yaml", Data: []byte(`
- rule: typo
  desc: d
  condition: event.name == "file.open" && file.pth == "/x" && present("file.mod")
  output: "%process.executable.nam"
  priority: WARNING
  tags: [file, mitre_execution, T1059]
`)}
	e, _, err := ruleengine.Compile([]ruleengine.Source{src}, ruleengine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	attrs := schemaAttributes(t)
	env, _ := cel.NewEnv()
	parsed, iss := env.Parse(e.Rules()[0].Condition)
	if iss.Err() != nil {
		t.Fatal(iss.Err())
	}
	var bad []string
	walkNames(parsed.NativeRep().Expr(), func(n string) {
		if !attrs[n] {
			bad = append(bad, n)
		}
	}, func(fn, arg string) {
		if fn == "present" && !attrs[arg] {
			bad = append(bad, arg)
		}
	})
	for _, ref := range e.Rules()[0].OutputFields {
		if !attrs[ref] {
			bad = append(bad, ref)
		}
	}
	sort.Strings(bad)
	if want := []string{"file.mod", "file.pth", "process.executable.nam"}; strings.Join(bad, ",") != strings.Join(want, ",") {
		t.Errorf("typos found %v, want %v", bad, want)
	}
}

// Every process descends from pid 1: a list used to exempt a process subtree must not name it,
// or the exemption would switch the rule off everywhere.
func TestAncestorListsDoNotNameInit(t *testing.T) {
	e := compileDefault(t)
	items := listItems(t)
	env, _ := cel.NewEnv()
	for _, r := range e.Rules() {
		parsed, iss := env.Parse(r.Condition)
		if iss.Err() != nil {
			t.Fatal(iss.Err())
		}
		var visit func(celast.Expr)
		visit = func(x celast.Expr) {
			switch x.Kind() {
			case celast.CallKind:
				c := x.AsCall()
				if args := c.Args(); c.FunctionName() == "any_in" && len(args) == 2 {
					first, _ := chain(args[0])
					list, _ := chain(args[1])
					if first == "process.ancestors.executable.name" {
						for _, it := range items[list] {
							if it == "systemd" || it == "init" {
								t.Errorf("rule %q: ancestors checked against list %q, which holds %q", r.Name, list, it)
							}
						}
					}
				}
				if c.IsMemberFunction() {
					visit(c.Target())
				}
				for _, a := range c.Args() {
					visit(a)
				}
			case celast.ComprehensionKind:
				c := x.AsComprehension()
				visit(c.IterRange())
				visit(c.LoopStep())
			}
		}
		visit(parsed.NativeRep().Expr())
	}
}

func listItems(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, src := range Default() {
		var items []struct {
			List  string   `yaml:"list"`
			Items []string `yaml:"items"`
		}
		if err := yaml.Unmarshal(src.Data, &items); err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if it.List != "" {
				out[it.List] = append(out[it.List], it.Items...)
			}
		}
	}
	return out
}

// Sites extend the defaults from their own files; the lists at the top are the extension points.
func TestLocalFileExtendsDefaults(t *testing.T) {
	local := ruleengine.Source{Name: "local.yaml", Data: []byte(`
- list: shell_spawners
  items: [java]
  override: {items: append}
- rule: Ptrace attach to another process
  exceptions:
    - name: tracers
      values: [gdb]
  override: {exceptions: append}
- rule: Package installed or removed
  enabled: false
`)}
	e, _, err := ruleengine.Compile(append(Default(), local), ruleengine.Options{MatchAll: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range e.Rules() {
		if r.Name == "Package installed or removed" {
			t.Error("a local file could not switch a default rule off")
		}
	}
	res := pcommon.NewMap()
	shell := plog.NewLogRecord()
	shell.SetEventName("process.exec")
	shell.Attributes().PutStr("process.executable.name", "sh")
	shell.Attributes().PutStr("process.parent.executable.name", "java")
	if got := e.Match(res, shell, nil); containsRule(got, "Shell spawned by an unexpected parent") {
		t.Error("appending java to shell_spawners did not exempt it")
	}
	attach := plog.NewLogRecord()
	attach.SetEventName("process.ptrace")
	attach.Attributes().PutStr("ptrace.request", "PTRACE_ATTACH")
	attach.Attributes().PutStr("process.executable.name", "gdb")
	if got := e.Match(res, attach, nil); containsRule(got, "Ptrace attach to another process") {
		t.Error("a local exception value did not exempt gdb")
	}
	attach.Attributes().PutStr("process.executable.name", "x")
	if got := e.Match(res, attach, nil); !containsRule(got, "Ptrace attach to another process") {
		t.Error("the local exception exempted more than gdb")
	}
}

// README.md's table lists every rule: the documentation cannot drift from the ruleset.
func TestReadmeListsEveryRule(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range compileDefault(t).Rules() {
		if !strings.Contains(string(readme), "| "+r.Name+" | "+r.Priority.String()+" |") {
			t.Errorf("README.md has no row for %q with priority %s", r.Name, r.Priority)
		}
	}
}

// With match: first (Falco's behaviour, the processor's default) the first matching rule in
// file order is reported. A record must never be reported under a less severe rule than one
// it matches: specific, severe rules come before generic, mild ones.
func TestFirstMatchIsNeverLessSevere(t *testing.T) {
	first, _, err := ruleengine.Compile(Default(), ruleengine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	all := compileDefault(t)
	res := pcommon.NewMap()
	for name, f := range loadFixtures(t) {
		for _, rec := range f.Match {
			lr := rec.logRecord(t)
			got := first.Match(res, lr, nil)
			if len(got) != 1 {
				t.Errorf("fixtures.yaml:%d: first-match mode reported %d rules", rec.Line, len(got))
				continue
			}
			for _, m := range all.Match(res, lr, nil) {
				if m.Priority < got[0].Priority {
					t.Errorf("fixtures.yaml:%d (%s): reported as %q (%s) although %q (%s) matches too: move it earlier",
						rec.Line, name, got[0].Name, got[0].Priority, m.Name, m.Priority)
				}
			}
		}
	}
}
