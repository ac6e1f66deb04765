// Package validutf8 makes strings safe for pdata and for every backend: what the kernel and
// procfs hand over is bytes, and an invalid UTF-8 sequence becomes U+FFFD. It is the one place
// the receiver does this.
package validutf8

import (
	"strings"
	"unicode/utf8"
)

// FromBytes returns b as a string of valid UTF-8. Valid input costs one copy and no other
// allocation.
func FromBytes(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// Clean returns s with every invalid UTF-8 sequence replaced by U+FFFD (s itself when valid).
func Clean(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
