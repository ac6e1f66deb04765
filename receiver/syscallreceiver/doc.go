// Package syscallreceiver is the collector's `syscall` receiver: it loads otelsec's eBPF
// programs, reads one record per system call from the kernel ring buffer, enriches it with
// process context from a bounded process table and emits it as an OpenTelemetry log record
// that follows the event contract in internal/schema.
//
//go:generate go tool mdatagen metadata.yaml
package syscallreceiver // import "github.com/otelsec/otelsec/receiver/syscallreceiver"
