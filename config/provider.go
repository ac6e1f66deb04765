// Package config embeds the distribution's ready-made collector configurations and serves them
// through a confmap provider with the scheme "otelsec", so the binary runs without any file on
// disk: `otelcol-sec --config otelsec:default` (or otelsec:otlp, otelsec:loki).
//
// The YAML files next to this one are the single source: `make run` uses them through the
// binary, users copy them as starting points, and the end-to-end tests run them unmodified.
package config

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"go.opentelemetry.io/collector/confmap"
)

// Scheme is the URI scheme of the embedded configurations.
const Scheme = "otelsec"

//go:embed *.yaml
var files embed.FS

// Names lists the embedded configurations ("default", "otlp", "loki").
func Names() []string {
	entries, _ := fs.ReadDir(files, ".")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// Get returns the YAML of one embedded configuration.
func Get(name string) ([]byte, error) {
	b, err := files.ReadFile(name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("no embedded configuration %q (have %s)", name, strings.Join(Names(), ", "))
	}
	return b, nil
}

// NewFactory is the confmap provider factory ocb wires into the distribution.
func NewFactory() confmap.ProviderFactory {
	return confmap.NewProviderFactory(func(confmap.ProviderSettings) confmap.Provider { return provider{} })
}

type provider struct{}

func (provider) Retrieve(_ context.Context, uri string, _ confmap.WatcherFunc) (*confmap.Retrieved, error) {
	name, ok := strings.CutPrefix(uri, Scheme+":")
	if !ok {
		return nil, fmt.Errorf("%q is not an %s: URI", uri, Scheme)
	}
	b, err := Get(name)
	if err != nil {
		return nil, err
	}
	return confmap.NewRetrievedFromYAML(b)
}

func (provider) Scheme() string                 { return Scheme }
func (provider) Shutdown(context.Context) error { return nil }
