// Package rules holds otelsec's default ruleset: YAML rule files embedded in the binary, so the
// security_rules processor detects threats with no rule files on disk. Local files loaded after
// these extend them (lists with `override: {items: append}`, rules by name).
package rules

import (
	"embed"
	"io/fs"
	"path"
	"sort"

	"github.com/otelsec/otelsec/internal/ruleengine"
)

//go:embed *.yaml
var files embed.FS

// Default returns the default rule files in name order, named "default/<file>" so that errors
// and warnings say where a rule came from.
func Default() []ruleengine.Source {
	names, err := fs.Glob(files, "*.yaml")
	if err != nil {
		panic(err) // the pattern is constant; Glob fails only on a malformed pattern
	}
	sort.Strings(names)
	srcs := make([]ruleengine.Source, 0, len(names))
	for _, n := range names {
		data, err := files.ReadFile(n)
		if err != nil {
			panic(err) // embedded files are always readable
		}
		srcs = append(srcs, ruleengine.Source{Name: path.Join("default", n), Data: data})
	}
	return srcs
}
