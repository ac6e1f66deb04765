// Package kevent is the receiver's view of one kernel record: the Event a record decodes to,
// the header every record shares (DecodeHeader), and the names of the kernel values records
// carry (syscalls, errnos, flags, capabilities, ...).
//
// The layout is the C's (bpf/lib/record.h), generated for Go by bpf2go: a fixed little-endian
// header (bpf.OtelsecRecHdr) followed by up to six strings stored back to back (no NUL
// terminators); the header holds each string's length and a truncation bit per string. A record
// may be longer than its strings (ring padding); the bytes after the last string mean nothing.
// Which header word and which string slot means what depends on the event kind: each kind's
// description in package events maps them onto the named fields of Event.
//
// Decoding never allocates: the strings of a decoded Event are sub-slices of the raw record and
// are valid only until the record buffer is reused (for kernel.Tracer.Read: until the callback
// returns). Copy what must outlive it (Str.String does).
package kevent
