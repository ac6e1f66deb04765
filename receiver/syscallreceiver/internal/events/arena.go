package events

import (
	"unicode/utf8"
	"unsafe"

	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/validutf8"
)

// arenaChunk is the size of the blocks that the per-event strings of records (paths,
// addresses, arguments) are cut from: one allocation for the strings of a hundred records or
// so instead of one per string. It is small because a block lives as long as any string cut
// from it: a component downstream that keeps one path pins at most this much.
const arenaChunk = 4 << 10

// arena makes strings by appending to a byte block and never writing a byte that a string
// was cut from, so the strings stay immutable while sharing the block. A string longer than
// a quarter of a block gets its own allocation so that it does not waste the rest of one.
type arena struct {
	buf []byte
}

// string returns b as a string of valid UTF-8 (an invalid sequence becomes U+FFFD).
func (a *arena) string(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if !utf8.Valid(b) {
		return validutf8.FromBytes(b)
	}
	if len(b) > arenaChunk/4 {
		return string(b)
	}
	if cap(a.buf)-len(a.buf) < len(b) {
		a.buf = make([]byte, 0, arenaChunk)
	}
	start := len(a.buf)
	a.buf = append(a.buf, b...)
	return unsafe.String(&a.buf[start], len(b))
}

// viewString is string for a viewed record: cut from a buffer the next View overwrites. A
// string cut before the buffer grew keeps the old one alive, unchanged.
func (a *Attrs) viewString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if !utf8.Valid(b) {
		return validutf8.FromBytes(b)
	}
	start := len(a.vstrs)
	a.vstrs = append(a.vstrs, b...)
	return unsafe.String(&a.vstrs[start], len(b))
}
