package ruleengine

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"gopkg.in/yaml.v3"
)

// generatedRuleset is a rule set of n rules shaped like the default one (rules/): its lists and
// macros as they are, and its rules repeated under new names, each copy with a condition of its
// own (an extra comparison with a distinct value, ANDed) and every third copy with an
// exception.
func generatedRuleset(tb testing.TB, n int) []Source {
	return generateRules(tb, n, "(%s) && process.user.name != \"gen%d\"")
}

// generateRules is generatedRuleset with each copy's condition made by format from the
// original condition and the copy's number.
func generateRules(tb testing.TB, n int, format string) []Source {
	var items []map[string]any
	for _, src := range benchSources(tb) {
		var its []map[string]any
		if err := yaml.Unmarshal(src.Data, &its); err != nil {
			tb.Fatal(err)
		}
		items = append(items, its...)
	}
	var out, rules []map[string]any
	for _, it := range items {
		if _, ok := it["rule"]; ok {
			rules = append(rules, it)
		} else {
			out = append(out, it)
		}
	}
	for i := range n {
		r := map[string]any{}
		for k, v := range rules[i%len(rules)] {
			r[k] = v
		}
		r["rule"] = fmt.Sprintf("%s #%d", r["rule"], i)
		r["condition"] = fmt.Sprintf(format, r["condition"], i)
		if i%3 == 0 {
			r["exceptions"] = []any{map[string]any{"name": "generated", "fields": []any{"process.executable.name"},
				"values": []any{[]any{fmt.Sprintf("tool%d", i)}}}}
		}
		out = append(out, r)
	}
	data, err := yaml.Marshal(out)
	if err != nil {
		tb.Fatal(err)
	}
	return []Source{{Name: fmt.Sprintf("generated-%d.yaml", n), Data: data}}
}

func processCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCompile compiles generated rule sets of 1k and 20k rules (startup time). Their
// conditions share the terms of their && chains, as rule sets do (macros, list tests), and
// Compile parses each distinct term once; "unique" conditions share none (each copy ORs its
// own comparison to the original condition), the case where every condition is parsed
// whole.
func BenchmarkCompile(b *testing.B) {
	for _, tc := range []struct {
		name string
		n    int
		srcs func() []Source
	}{
		{"rules=1000", 1000, func() []Source { return generatedRuleset(b, 1000) }},
		{"rules=20000", 20000, func() []Source { return generatedRuleset(b, 20000) }},
		{"rules=20000/unique", 20000, func() []Source {
			return generateRules(b, 20000, "(%s) || process.user.name == \"gen%d\"")
		}},
	} {
		n, srcs := tc.n, tc.srcs()
		runtime.GC() // generating allocated much: start from a clean heap
		b.Run(tc.name, func(b *testing.B) {
			// The machines are shared: besides wall time, report the CPU time the process
			// spent (GC included), which other processes do not inflate.
			cpu0 := processCPU()
			for b.Loop() {
				e, _, err := Compile(srcs, Options{})
				if err != nil {
					b.Fatal(err)
				}
				if len(e.Rules()) != n {
					b.Fatalf("%d rules compiled, want %d", len(e.Rules()), n)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/compile")
			b.ReportMetric((processCPU()-cpu0).Seconds()/float64(b.N), "cpu-s/compile")
		})
	}
}
