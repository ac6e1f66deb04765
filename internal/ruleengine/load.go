package ruleengine

import (
	"fmt"
	"io"
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
// sorted within one glob, each file once (see Files).
func LoadFiles(globs []string) ([]Source, error) {
	var f Files
	return f.Load(globs...)
}

// Files reads rule files, each once however often and however it is named: by two globs,
// as a/x.yaml and a/../a/x.yaml, or through a symbolic link. Loading a file twice would
// define its lists, macros and rules twice, an error. The zero value is ready to use.
type Files struct {
	loaded []os.FileInfo
}

// Load is LoadFiles for more globs, skipping the files loaded before.
func (f *Files) Load(globs ...string) ([]Source, error) {
	var srcs []Source
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
			src, ok, err := f.read(m)
			if err != nil {
				return nil, err
			}
			if ok {
				srcs = append(srcs, src)
			}
		}
	}
	return srcs, nil
}

// read reads a file unless it was loaded already (ok false). The file is identified by the
// one it opened (device and inode), so the check and the read see the same file.
func (f *Files) read(name string) (src Source, ok bool, err error) {
	file, err := os.Open(name)
	if err != nil {
		return Source{}, false, fmt.Errorf("reading rules: %w", err)
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return Source{}, false, fmt.Errorf("reading rules: %w", err)
	}
	for _, prev := range f.loaded {
		if os.SameFile(prev, info) {
			return Source{}, false, nil
		}
	}
	data, err := io.ReadAll(file)
	if err != nil {
		return Source{}, false, fmt.Errorf("reading rules: %s: %w", name, err)
	}
	f.loaded = append(f.loaded, info)
	return Source{Name: name, Data: data}, true, nil
}
