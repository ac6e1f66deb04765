// Package alertexporter is the collector's `alert` exporter: it turns the log records that the
// security_rules processor marked as violations into Falco-compatible alerts, either Falco's
// one-line text or Falco's JSON (the shape Falcosidekick and Falco's integrations consume), and
// writes them to stdout, a size-rotated file or an HTTP endpoint.
//
//go:generate go tool mdatagen metadata.yaml
package alertexporter // import "github.com/otelsec/otelsec/exporter/alertexporter"
