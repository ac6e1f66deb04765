//go:generate go tool mdatagen metadata.yaml

// Package containermetadataprocessor is the `container_metadata` processor: it adds what the
// container runtimes say about a record's container (name, image, runtime, start time,
// privileged flag, labels, Kubernetes pod) to every log record that carries container.id.
// See README.md.
package containermetadataprocessor // import "github.com/otelsec/otelsec/processor/containermetadataprocessor"
