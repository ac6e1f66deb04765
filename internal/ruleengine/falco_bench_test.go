package ruleengine

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/otelsec/otelsec/internal/falcotest"
)

// BenchmarkFalcoMatch measures the cost per record of Falco's stable file (and stable with
// incubating) against the default ruleset, in the same run, on the realistic mix.
func BenchmarkFalcoMatch(b *testing.B) {
	dir := falcotest.Dir(b)
	read := func(files ...string) []Source {
		var srcs []Source
		for _, f := range files {
			data, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				b.Fatal(err)
			}
			srcs = append(srcs, Source{Name: f, Data: data})
		}
		return srcs
	}
	sets := []struct {
		name string
		srcs []Source
	}{
		{"default", benchSources(b)},
		{"falco_stable", read(falcotest.Stable)},
		{"falco_stable+incubating", read(falcotest.Stable, falcotest.Incubating)},
	}
	res, recs := mixRecords(4096, 1)
	for _, set := range sets {
		e, _, err := Compile(set.srcs, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("rules=%s", set.name), func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.ReportAllocs()
			var dst []*Rule
			cpu0 := threadCPU()
			for i := 0; b.Loop(); i++ {
				dst = e.Match(res, recs[i%len(recs)], dst[:0])
			}
			b.ReportMetric(float64(threadCPU()-cpu0)/float64(b.N), "cpu-ns/record")
		})
	}
}
