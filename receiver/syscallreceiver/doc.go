// Package syscallreceiver is the collector's `syscall` receiver: it loads otelsec's eBPF
// programs, reads one record per system call from the kernel ring buffer, enriches it with
// process context from a bounded process table and emits it as an OpenTelemetry log record
// that follows the event contract in internal/schema.
//
// The event loop (receiver_linux.go onEvent) is the whole path in one place: the kernel
// package decodes a record with its kind's description (internal/events), the process table
// is updated before the record is prepared (an exec: the record describes the new image) and
// after (a fork or exit: it describes the caller), and builder goroutines fill the records
// and hand batches to the pipeline.
//
//go:generate go tool mdatagen metadata.yaml
package syscallreceiver // import "github.com/otelsec/otelsec/receiver/syscallreceiver"
