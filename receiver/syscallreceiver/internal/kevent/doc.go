// Package kevent decodes the records the otelsec eBPF programs (bpf/) write to the ring buffer,
// and names the kernel values they carry (syscalls, errnos, flags, capabilities, ...).
//
// It is the ONE place that knows the record layout; bpf/headers/record.h is its C twin.
//
// A record is a fixed 120-byte little-endian header followed by up to six strings stored back to
// back (no NUL terminators); the header holds each string's length and a truncation bit per
// string. A record may be longer than its strings (ring padding); the bytes after the last
// string mean nothing. Which header number and which string slot means what depends on the event kind; Decode
// maps them onto the named fields of Event, documented there.
//
// Decode never allocates: the strings of a decoded Event are sub-slices of the raw record and
// are valid only until the record buffer is reused (for kernel.Tracer.Read: until the callback
// returns). Copy what must outlive it (Str.String does).
package kevent
