package ruleengine

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/falcotest"
	"github.com/otelsec/otelsec/internal/schema"
)

// viewUnknown is what a processor between the receiver and the rules adds (container
// metadata), and the resource: the view does not have them.
func viewUnknown(attr string) bool {
	return strings.HasPrefix(attr, "container.") && attr != schema.AttrContainerID ||
		strings.HasPrefix(attr, "k8s.") || strings.HasPrefix(attr, "host.") || attr == BodyIdent
}

func viewKnown(attr string) bool { return !viewUnknown(attr) }

// prefilterSets are the rulesets the prefilter is held to: ours, and Falco's three files
// (skipped, saying why, where they are absent).
var prefilterSets = map[string]func(t *testing.T) []Source{
	"default": func(t *testing.T) []Source { return benchSources(t) },
	"falco": func(t *testing.T) []Source {
		dir := falcotest.Dir(t)
		var srcs []Source
		for _, f := range []string{falcotest.Stable, falcotest.Incubating, falcotest.Sandbox} {
			data, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			srcs = append(srcs, Source{Name: f, Data: data})
		}
		return srcs
	},
}

var literalRe = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|\b(\d+)\b`)

// recordGen makes records from the values the rules compare with, so that rules match now
// and then; every attribute a rule reads is present or not at random.
type recordGen struct {
	e      *Engine
	rng    *rand.Rand
	strs   []string
	ints   []int64
	events []string
}

func newRecordGen(e *Engine, seed int64) *recordGen {
	g := &recordGen{e: e, rng: rand.New(rand.NewSource(seed)), ints: []int64{0, 1, -1, 2, 3, 13, 0o4000, 0o2000, 65535}}
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			g.strs = append(g.strs, s)
		}
	}
	for _, l := range e.lists {
		for _, s := range l {
			add(s)
		}
	}
	for _, r := range e.rules {
		for _, m := range literalRe.FindAllStringSubmatch(r.Condition, -1) {
			switch {
			case m[3] != "":
				if n, err := strconv.ParseInt(m[3], 10, 64); err == nil {
					g.ints = append(g.ints, n)
				}
			case m[1] != "":
				add(m[1])
			default:
				add(m[2])
			}
		}
	}
	slices.Sort(g.strs) // map order would make the seed meaningless
	g.events = append(slices.Sorted(func(yield func(string) bool) {
		for n := range e.idx.byName {
			if !yield(n) {
				return
			}
		}
	}), schema.EventNames...)
	return g
}

func (g *recordGen) str() string {
	s := g.strs[g.rng.Intn(len(g.strs))]
	switch g.rng.Intn(4) {
	case 0:
		return s + g.strs[g.rng.Intn(len(g.strs))]
	case 1:
		return s + "/x"
	}
	return s
}

// record fills lr (and a view, with the attributes known says it has) with one generated record.
func (g *recordGen) record(lr plog.LogRecord, v *View, known func(string) bool) {
	event := g.events[g.rng.Intn(len(g.events))]
	lr.SetEventName(event)
	v.Begin(event)
	m := lr.Attributes()
	for _, name := range g.e.attrs.names {
		if name == EventNameAttr || name == BodyIdent || g.rng.Intn(5) < 2 {
			continue
		}
		k := known(name)
		switch t := g.e.attrType[name]; {
		case t == typeInt || t == typeDyn && g.rng.Intn(2) == 0:
			i := g.ints[g.rng.Intn(len(g.ints))]
			m.PutInt(name, i)
			if k {
				v.Int(name, i)
			}
		case t == typeBool:
			b := g.rng.Intn(2) == 0
			m.PutBool(name, b)
			if k {
				v.Bool(name, b)
			}
		case t == typeStringList:
			sl := m.PutEmptySlice(name)
			if k {
				v.List(name)
			}
			for range g.rng.Intn(4) {
				s := g.str()
				sl.AppendEmpty().SetStr(s)
				if k {
					v.Elem(s)
				}
			}
		default:
			s := g.str()
			m.PutStr(name, s)
			if k {
				v.Str(name, s)
			}
		}
	}
}

// TestPrefilterNeverHidesAMatch: on generated records, every rule that matches the whole
// record is one the view of its known attributes left possible. The same check with a view
// that is not given attributes it claims to know must fail.
func TestPrefilterNeverHidesAMatch(t *testing.T) {
	const n = 60000
	for name, srcs := range prefilterSets {
		t.Run(name, func(t *testing.T) {
			e, _, err := Compile(srcs(t), Options{MatchAll: true})
			if err != nil {
				t.Fatal(err)
			}
			res := pcommon.NewMap()
			res.PutStr(schema.AttrHostName, "web-1")
			check := func(known, given func(string) bool) (matched, ruledOut, hidden int, example string) {
				v := e.Prefilter(known).NewView()
				g := newRecordGen(e, 1)
				var dst []*Rule
				for range n {
					lr := plog.NewLogRecord()
					g.record(lr, v, given)
					dst = e.Match(res, lr, dst[:0])
					may := v.MayMatch()
					if !may {
						ruledOut++
					}
					if len(dst) > 0 {
						matched++
						if !may {
							hidden++
							if example == "" {
								example = fmt.Sprintf("rule %q matches %s %v", dst[0].Name, lr.EventName(), lr.Attributes().AsRaw())
							}
						}
					}
				}
				return
			}
			matched, ruledOut, hidden, example := check(viewKnown, viewKnown)
			t.Logf("%d records: %d match a rule, %d ruled out by the view", n, matched, ruledOut)
			if hidden > 0 {
				t.Fatalf("the view ruled out %d records a rule matches; first: %s", hidden, example)
			}
			if matched < n/100 || ruledOut < n/10 {
				t.Fatalf("generated records too rarely match (%d) or are ruled out (%d): the check says little", matched, ruledOut)
			}
			// A view that claims to know what it is not given (every other attribute) must be
			// caught: the records reach rules through the attributes they read.
			half := func(a string) bool { return viewKnown(a) && len(a)%2 == 0 }
			_, _, hidden, _ = check(viewKnown, half)
			if hidden == 0 {
				t.Fatal("a view not given half the attributes it claims hid no match: the check cannot tell a wrong view")
			}
			t.Logf("a view not given half the attributes it claims hides %d matches", hidden)
		})
	}
}

// TestViewUnknownAttributes: terms reading what the view does not know decide nothing, also
// when another rule evaluated them first (their memoized result carries that along); terms
// reading what it knows decide.
func TestViewUnknownAttributes(t *testing.T) {
	const rules = `
- macro: in_web
  condition: container.name == "web"
- rule: Shadow read in web
  condition: event.name == "file.open" && in_web && file.path == "/etc/shadow"
  desc: d
  output: x
  priority: WARNING
- rule: Passwd read in web
  condition: event.name == "file.open" && in_web && file.path == "/etc/passwd"
  desc: d
  output: x
  priority: WARNING
- rule: Shell with flags
  condition: >-
    event.name == "process.exec" && process.executable.name == "sh" &&
    "-c" in process.command_args && !(process.parent.executable.name in ["sshd"])
  desc: d
  output: x
  priority: WARNING
  exceptions:
    - name: images
      fields: [container.image.name]
      values: [[nginx]]
`
	e, _, err := Compile([]Source{{Name: "r.yaml", Data: []byte(rules)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	v := e.Prefilter(viewKnown).NewView()
	open := func(path string) bool {
		v.Begin("file.open")
		v.Str(schema.AttrFilePath, path)
		return v.MayMatch()
	}
	if !open("/etc/passwd") || !open("/etc/shadow") {
		t.Error("an open of a file some rule names, in a container the view cannot know, was ruled out")
	}
	if open("/etc/hosts") {
		t.Error("an open of a file no rule names was not ruled out")
	}
	exec := func(name, parent string, args ...string) bool {
		v.Begin("process.exec")
		v.Str(schema.AttrProcessExecutableName, name)
		v.Str(schema.AttrProcessParentExecutableName, parent)
		v.List(schema.AttrProcessCommandArgs)
		for _, a := range args {
			v.Elem(a)
		}
		return v.MayMatch()
	}
	if !exec("sh", "nginx", "sh", "-c", "id") {
		t.Error("sh -c below nginx was ruled out (its exception reads the image, unknown)")
	}
	for _, c := range [][]string{{"sh", "sshd", "sh", "-c", "id"}, {"sh", "nginx", "sh", "-x"}, {"bash", "nginx", "bash", "-c"}} {
		if exec(c[0], c[1], c[2:]...) {
			t.Errorf("%v was not ruled out", c)
		}
	}
	v.Begin("network.connect")
	if v.MayMatch() {
		t.Error("an event no rule reads was not ruled out")
	}
}

// TestViewRemembersOnlyWhatHolds: records that repeat, some with one attribute changed, are
// decided by remembered decisions as the rules decide them: a remembered "no rule can match"
// is recalled only for a view that gives every attribute the evaluation read the same value.
func TestViewRemembersOnlyWhatHolds(t *testing.T) {
	const n, distinct = 40000, 400
	for name, srcs := range prefilterSets {
		t.Run(name, func(t *testing.T) {
			e, _, err := Compile(srcs(t), Options{MatchAll: true})
			if err != nil {
				t.Fatal(err)
			}
			v := e.Prefilter(viewKnown).NewView()
			g := newRecordGen(e, 1)
			mut := rand.New(rand.NewSource(2))
			var strAttrs []string
			for _, a := range e.attrs.names {
				if t := e.attrType[a]; viewKnown(a) && a != EventNameAttr && (t == typeString || t == typeDyn) {
					strAttrs = append(strAttrs, a)
				}
			}
			changed, differ := 0, 0
			for i := range n {
				g.rng = rand.New(rand.NewSource(int64(i % distinct)))
				g.record(plog.NewLogRecord(), v, viewKnown)
				if mut.Intn(2) == 0 { // the same record but for one attribute
					v.Str(strAttrs[mut.Intn(len(strAttrs))], g.str())
					changed++
				}
				if got, want := v.MayMatch(), v.evaluate(); got != want {
					differ++
					if differ < 5 {
						t.Errorf("record %d (%s): remembered decision says may match=%v, the rules %v", i, v.act.event, got, want)
					}
				}
			}
			if differ > 0 {
				t.Fatalf("%d of %d views decided otherwise than the rules", differ, n)
			}
			t.Logf("%d views (%d with one attribute changed): %d decided by a remembered decision", n, changed, v.Remembered())
			if v.Remembered() < n/10 {
				t.Fatalf("only %d views recalled a decision: the check says little", v.Remembered())
			}
		})
	}
}

// TestViewSamplesWhereEventsDoNotRepeat: an event name whose views never repeat is only
// sampled after a window (looking up and remembering would cost more than it saves), and is
// looked up on every view again once the sample shows repeats; decisions stay the rules'.
func TestViewSamplesWhereEventsDoNotRepeat(t *testing.T) {
	const rules = `
- rule: Shadow read
  condition: event.name == "file.open" && file.path == "/etc/shadow"
  desc: d
  output: x
  priority: WARNING
`
	e, _, err := Compile([]Source{{Name: "r.yaml", Data: []byte(rules)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	v := e.Prefilter(viewKnown).NewView()
	view := func(path string) bool {
		v.Begin("file.open")
		v.Str("file.path", path)
		may := v.MayMatch()
		if want := path == "/etc/shadow"; may != want {
			t.Fatalf("%s: may match %v, the rule %v", path, may, want)
		}
		return may
	}
	for i := range sampleWindow {
		view(fmt.Sprintf("/tmp/unique-%d", i))
	}
	sh := v.memo.byEvent["file.open"]
	if !sh.sparse {
		t.Fatalf("after %d views that never repeat the event is still looked up on every view", sampleWindow)
	}
	before := v.Remembered()
	for i := range sampleWindow * sampleEvery * 2 {
		view(fmt.Sprintf("/usr/include/h%d.h", i%8))
		if i%100 == 0 {
			view("/etc/shadow")
		}
	}
	if sh.sparse {
		t.Fatal("views that repeat did not bring the event back to being looked up on every view")
	}
	if v.Remembered()-before < sampleWindow {
		t.Fatalf("only %d views recalled a decision once they repeated", v.Remembered()-before)
	}
}

// TestCannotMatchHolds: for classes of records (an event, a few attribute values, an absent
// attribute) taken from generated records, and for failed opens by errno as the receiver asks,
// whenever CannotMatch says no rule can match the class, no generated record of the class
// matches a rule.
func TestCannotMatchHolds(t *testing.T) {
	for name, srcs := range prefilterSets {
		t.Run(name, func(t *testing.T) {
			e, _, err := Compile(srcs(t), Options{MatchAll: true})
			if err != nil {
				t.Fatal(err)
			}
			g := newRecordGen(e, 3)
			scratch := e.Prefilter(viewKnown).NewView()
			type class struct {
				event  string
				given  map[string]any
				absent []string
				source plog.LogRecord // a record of the class (the errno classes have none)
			}
			res := pcommon.NewMap()
			var dst []*Rule
			var classes []class
			// Half the classes come from records a rule matches: their own record is in the
			// class, so a wrong "cannot match" is caught on it.
			for matching := 0; len(classes) < 300; {
				lr := plog.NewLogRecord()
				g.record(lr, scratch, viewKnown)
				if dst = e.Match(res, lr, dst[:0]); len(dst) > 0 {
					matching++
				} else if len(classes) >= 2*matching {
					continue
				}
				c := class{event: lr.EventName(), given: map[string]any{}, source: lr}
				var names []string
				for k := range lr.Attributes().All() {
					names = append(names, k)
				}
				slices.Sort(names)
				for range 1 + g.rng.Intn(3) {
					if len(names) == 0 {
						break
					}
					k := names[g.rng.Intn(len(names))]
					v, _ := lr.Attributes().Get(k)
					switch v.Type() {
					case pcommon.ValueTypeStr:
						c.given[k] = v.Str()
					case pcommon.ValueTypeInt:
						c.given[k] = v.Int()
					case pcommon.ValueTypeBool:
						c.given[k] = v.Bool()
					}
				}
				if g.rng.Intn(2) == 0 {
					a := e.attrs.names[g.rng.Intn(len(e.attrs.names))]
					if _, in := lr.Attributes().Get(a); !in && a != EventNameAttr {
						c.absent = append(c.absent, a)
					}
				}
				classes = append(classes, c)
			}
			for errno, name := range map[int64]string{2: "ENOENT", 13: "EACCES", 20: "ENOTDIR", 1: "EPERM"} {
				classes = append(classes, class{event: schema.EventFileOpen,
					given:  map[string]any{schema.AttrErrorType: name, schema.AttrSyscallReturn: -errno},
					absent: []string{schema.AttrFilePathAsGiven}})
			}
			ruledOut := 0
			for _, c := range classes {
				cannot, err := e.CannotMatch(c.event, c.given, c.absent)
				if err != nil {
					t.Fatal(err)
				}
				if !cannot {
					continue
				}
				ruledOut++
				if c.source != (plog.LogRecord{}) {
					if dst = e.Match(res, c.source, dst[:0]); len(dst) > 0 {
						t.Fatalf("CannotMatch(%s, %v, absent %v), but rule %q matches the record it was taken from, %v", c.event, c.given, c.absent, dst[0].Name, c.source.Attributes().AsRaw())
					}
				}
				for range 200 {
					lr := plog.NewLogRecord()
					g.record(lr, scratch, viewKnown)
					lr.SetEventName(c.event)
					for k, v := range c.given {
						switch x := v.(type) {
						case string:
							lr.Attributes().PutStr(k, x)
						case int64:
							lr.Attributes().PutInt(k, x)
						case bool:
							lr.Attributes().PutBool(k, x)
						}
					}
					for _, k := range c.absent {
						lr.Attributes().Remove(k)
					}
					if dst = e.Match(res, lr, dst[:0]); len(dst) > 0 {
						t.Fatalf("CannotMatch(%s, %v, absent %v), but rule %q matches %v", c.event, c.given, c.absent, dst[0].Name, lr.Attributes().AsRaw())
					}
				}
			}
			t.Logf("%d of %d classes no rule can match", ruledOut, len(classes))
			if ruledOut < len(classes)/20 {
				t.Fatalf("only %d classes ruled out: the check says little", ruledOut)
			}
		})
	}
}

// A value CannotMatch cannot give a view is an error naming the attribute, not an answer.
func TestCannotMatchBadValue(t *testing.T) {
	e, _, err := Compile(benchSources(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.CannotMatch(schema.EventFileOpen, map[string]any{schema.AttrSyscallReturn: -2}, nil)
	if err == nil || !strings.Contains(err.Error(), schema.AttrSyscallReturn) || !strings.Contains(err.Error(), "int") {
		t.Fatalf("an int (not int64) value: %v", err)
	}
}
