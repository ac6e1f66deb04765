// Package otlpencodingextension is an empty stand-in for the contrib module of the same path.
//
// fileexporter's tests (never its code) import that module, so `go mod tidy`, which ocb runs on
// the generated distribution, must resolve it, and the Go module proxy here refuses it. The
// `replaces` line in builder-config.yaml points the module here; nothing from it is linked into
// otelcol-sec. Delete the stub and the replace once the proxy serves the module.
package otlpencodingextension
