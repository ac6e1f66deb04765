package ruleengine

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Source is one rule file. Name is shown in errors and warnings (a path, or "default/x.yaml"
// for embedded files); its base name without extension is the default ruleset name.
type Source struct {
	Name string
	Data []byte
}

// LoadFiles expands each glob (a glob that matches nothing is an error, so a typo in the
// collector config does not silently run without rules) and reads the files, in glob order and
// sorted within one glob.
func LoadFiles(globs []string) ([]Source, error) {
	var srcs []Source
	seen := map[string]bool{}
	for _, g := range globs {
		matches, err := filepath.Glob(g)
		if err != nil {
			return nil, fmt.Errorf("rules glob %q: %w", g, err)
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("rules glob %q matches no file", g)
		}
		sort.Strings(matches)
		for _, m := range matches {
			if seen[m] {
				continue
			}
			seen[m] = true
			data, err := os.ReadFile(m)
			if err != nil {
				return nil, fmt.Errorf("reading rules: %w", err)
			}
			srcs = append(srcs, Source{Name: m, Data: data})
		}
	}
	return srcs, nil
}
