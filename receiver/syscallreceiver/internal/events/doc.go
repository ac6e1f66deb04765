// Package events describes each kernel event kind once: its event name and domain, the kernel
// hooks that produce it, how its record is decoded onto kevent.Event, and which attributes it
// puts, with their contract types (schema.Types). Everything else reads these descriptions:
// the loader attaches the hooks of the selected events (package kernel), the reader decodes
// with them (Decode), the record builder fills with them (package record), and the tables of
// docs/events.md are generated from them (TestDocs).
//
// One file per domain holds its kinds (process.go, file.go, network.go, privilege.go,
// namespace.go, kernel.go). Adding a syscall to an event is one hook in its Spec and its
// program in bpf/; adding an event kind is its enum value and program in bpf/, one Spec here,
// and its name in internal/schema.
//
// Attributes are collected by an Attrs (attrs.go) before they are written into the record's
// map, so the map is sized from what the fill code put, not from a second description.
package events
