package events

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

// Spec describes one event kind: everything the receiver knows of it is here.
type Spec struct {
	Kind kevent.Kind
	// Name is the LogRecord's EventName (schema.Event*); its first component is the domain.
	Name string
	// Hooks are the attach points of the programs that write it, as their ELF sections name
	// them (SEC() in bpf/): "tracepoint/syscalls/sys_exit_openat", "tp_btf/sched_process_exec".
	// The loader attaches the programs of these sections when the event is selected.
	Hooks []string
	// Note qualifies the hooks for the reader of docs/events.md ("only with a destination").
	Note string
	// Priority: the event is high-value, written to the kernel's priority ring, where a flood of
	// the other kinds cannot crowd it out (internal/kernel, rings): rules look for it and normal
	// work makes it rarely, or the process table needs it to say who did everything else (exec,
	// fork, exit). Kinds that normal work makes by the thousand a second stay in the bulk ring
	// even where rules match them (file.open, unlink, rename, mkdir; network.connect, accept,
	// send, socket, bind): in the priority ring they would be the flood. A process that loops
	// on a high-value call fills the priority ring too; both rings count their drops.
	Priority bool
	// Attrs are the attributes the event may carry besides Common ones; their types are
	// schema.Types'. Fill puts no others (a test holds it to that).
	Attrs []string

	decode func(ev *kevent.Event, r *kevent.Raw)
	fill   func(a *Attrs, ev *kevent.Event)
}

// Domain is the first component of Name ("file").
func (s *Spec) Domain() string {
	d, _, _ := strings.Cut(s.Name, ".")
	return d
}

// Fill puts the attributes of what the event did.
func (s *Spec) Fill(a *Attrs, ev *kevent.Event) { s.fill(a, ev) }

// specs is every event kind, grouped by domain in the files named after them.
var specs = slices.Concat(processSpecs, fileSpecs, networkSpecs, privilegeSpecs, namespaceSpecs, kernelSpecs)

// byKind indexes specs by kind; a kind the kernel writes that has no Spec decodes as an error.
var byKind = func() map[kevent.Kind]*Spec {
	m := make(map[kevent.Kind]*Spec, len(specs))
	for i := range specs {
		m[specs[i].Kind] = &specs[i]
	}
	return m
}()

// All returns the specs in contract order (schema.EventNames).
func All() []*Spec {
	out := make([]*Spec, 0, len(specs))
	for _, n := range schema.EventNames {
		if s := ByName(n); s != nil {
			out = append(out, s)
		}
	}
	return out
}

// Of returns the spec of kind k, or nil.
func Of(k kevent.Kind) *Spec { return byKind[k] }

// ByName returns the spec of an event name, or nil.
func ByName(name string) *Spec {
	for i := range specs {
		if specs[i].Name == name {
			return &specs[i]
		}
	}
	return nil
}

// Name is the event name of kind k, "" when unknown.
func Name(k kevent.Kind) string {
	if s := Of(k); s != nil {
		return s.Name
	}
	return ""
}

// ErrKind: a record of a kind no Spec describes.
var ErrKind = errors.New("record has an unknown kind")

// A Decoder decodes records one after the other, without allocating: ev's strings reference
// the raw record. Malformed input returns an error (and leaves ev's Kind KindInvalid), never
// panics. One per reading goroutine.
type Decoder struct {
	r kevent.Raw
}

// Decode decodes one raw record into ev, overwriting every field.
func (d *Decoder) Decode(raw []byte, ev *kevent.Event) error {
	if err := kevent.DecodeHeader(raw, ev, &d.r); err != nil {
		return err
	}
	s := Of(ev.Kind)
	if s == nil {
		err := fmt.Errorf("%w: %d", ErrKind, uint16(ev.Kind))
		ev.Kind = kevent.KindInvalid
		return err
	}
	s.decode(ev, &d.r)
	return nil
}

// Decode decodes one record with a Decoder of its own.
func Decode(raw []byte, ev *kevent.Event) error {
	var d Decoder
	return d.Decode(raw, ev)
}

// Section prefixes of the hooks.
const (
	sysExitPrefix = "tracepoint/syscalls/sys_exit_"
	tpBTFPrefix   = "tp_btf/"
)

// sysExit names the syscall-exit tracepoints of syscalls. The kernel names a tracepoint after
// the syscall's definition, which for umount2 is "umount".
func sysExit(syscalls ...string) []string {
	h := make([]string, len(syscalls))
	for i, n := range syscalls {
		if n == "umount2" {
			n = "umount"
		}
		h[i] = sysExitPrefix + n
	}
	return h
}

func tpBTF(name string) string { return tpBTFPrefix + name }

// Tracepoint splits a hook into the syscalls tracepoint to attach to ("sys_exit_openat"); ok is
// false for a tp_btf hook, which attaches by its BTF name.
func Tracepoint(hook string) (tp string, ok bool) {
	return strings.CutPrefix(hook, "tracepoint/syscalls/")
}

// IsTPBTF reports whether hook is a BTF tracepoint (tp_btf), which needs kernel support the
// syscall tracepoints do not.
func IsTPBTF(hook string) bool { return strings.HasPrefix(hook, tpBTFPrefix) }

// SchedHooks run for the process bookkeeping (exclusions, credentials) even when their events
// are not selected.
var SchedHooks = []string{tpBTF("sched_process_exec"), tpBTF("sched_process_fork"), tpBTF("sched_process_exit")}

// Common are the attributes of every kernel record: the syscall and who made it (see
// record.Filler). Not every record has each.
var Common = []string{
	schema.AttrSyscallName, schema.AttrSyscallReturn, schema.AttrErrorType,
	schema.AttrProcessPID, schema.AttrThreadID, schema.AttrProcessParentPID,
	schema.AttrProcessExecutablePath, schema.AttrProcessExecutableName,
	schema.AttrProcessCommandLine, schema.AttrProcessWorkingDirectory,
	schema.AttrProcessUserID, schema.AttrProcessRealUserID, schema.AttrProcessUserName,
	schema.AttrProcessInteractive, schema.AttrProcessAge,
	schema.AttrProcessLinuxComm, schema.AttrProcessLoginUserID, schema.AttrProcessLoginUserName,
	schema.AttrThreadCapabilitiesEffective, schema.AttrThreadCapabilitiesPermitted,
	schema.AttrProcessParentExecutableName, schema.AttrProcessParentExecutablePath,
	schema.AttrProcessParentCommandLine, schema.AttrProcessAncestorsExecName,
	schema.AttrProcessParentLinuxComm, schema.AttrProcessAncestorsLinuxComm,
	schema.AttrContainerID, schema.AttrTruncated,
}

// known is every attribute a kernel record may carry.
var known = func() map[string]bool {
	m := map[string]bool{}
	for _, a := range Common {
		m[a] = true
	}
	for i := range specs {
		for _, a := range specs[i].Attrs {
			m[a] = true
		}
	}
	return m
}()

// Known reports whether attr is one a kernel record may carry (Common or some kind's Attrs):
// one the receiver alone decides. A record lacks such an attribute only because the receiver
// did not put it.
func Known(attr string) bool { return known[attr] }
