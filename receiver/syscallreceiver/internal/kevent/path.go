package kevent

import (
	"unicode/utf8"

	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/validutf8"
)

// ResolvePath returns p joined to base when p is relative (base: the dirfd's or cwd's absolute
// path the kernel gave), lexically normalized like path.Clean: "//" and "." removed, ".."
// applied, ".." above the root dropped. With an empty base a relative path stays relative.
// Invalid UTF-8 becomes U+FFFD. It builds the result in buf and allocates only the returned
// string.
func ResolvePath(buf []byte, p, base []byte) (string, []byte) {
	buf = ResolvePathBytes(buf, p, base)
	if !utf8.Valid(buf) {
		return validutf8.FromBytes(buf), buf
	}
	return string(buf), buf
}

// ResolvePathBytes is resolvePath leaving the result in buf, not yet a string (nor checked
// for UTF-8).
func ResolvePathBytes(buf []byte, p, base []byte) []byte {
	buf = buf[:0]
	if len(p) > 0 && p[0] != '/' && len(base) > 0 {
		buf = append(buf, base...)
		buf = append(buf, '/')
	}
	buf = append(buf, p...)
	return cleanPath(buf)
}

// cleanPath is path.Clean working in place: the write index never passes the read index.
func cleanPath(b []byte) []byte {
	if len(b) == 0 {
		return append(b, '.')
	}
	rooted := b[0] == '/'
	n := len(b)
	// r reads, w writes; dotdot is where ".." can no longer backtrack.
	r, w, dotdot := 0, 0, 0
	if rooted {
		r, w, dotdot = 1, 1, 1
	}
	for r < n {
		switch {
		case b[r] == '/':
			r++
		case b[r] == '.' && (r+1 == n || b[r+1] == '/'):
			r++
		case b[r] == '.' && b[r+1] == '.' && (r+2 == n || b[r+2] == '/'):
			r += 2
			switch {
			case w > dotdot:
				w--
				for w > dotdot && b[w] != '/' {
					w--
				}
			case !rooted:
				if w > 0 {
					b[w] = '/'
					w++
				}
				b[w] = '.'
				b[w+1] = '.'
				w += 2
				dotdot = w
			}
		default:
			if rooted && w != 1 || !rooted && w != 0 {
				b[w] = '/'
				w++
			}
			for ; r < n && b[r] != '/'; r++ {
				b[w] = b[r]
				w++
			}
		}
	}
	if w == 0 {
		b[0] = '.'
		w = 1
	}
	return b[:w]
}

// IsClean reports whether p is its own normalized form (what cleanPath returns for it): no
// empty, "." or ".." element and no trailing slash, "/" aside.
func IsClean(p []byte) bool {
	if len(p) == 0 {
		return false
	}
	if len(p) == 1 {
		return p[0] != '.'
	}
	if p[len(p)-1] == '/' {
		return false
	}
	start := 0
	if p[0] == '/' {
		start = 1
	}
	for i := start; i <= len(p); i++ {
		if i < len(p) && p[i] != '/' {
			continue
		}
		switch elem := p[start:i]; {
		case len(elem) == 0, len(elem) == 1 && elem[0] == '.', len(elem) == 2 && elem[0] == '.' && elem[1] == '.':
			return false
		}
		start = i + 1
	}
	return true
}
