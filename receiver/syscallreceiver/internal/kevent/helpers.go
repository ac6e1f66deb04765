package kevent

import "bytes"

// Args splits a NUL-separated argv into at most max arguments (max <= 0: no limit), calling fn
// for each; it returns how many it passed. A final empty element (the trailing NUL) is not
// an argument.
func Args(argv []byte, max int, fn func(arg []byte)) int {
	n := 0
	for len(argv) > 0 {
		if max > 0 && n == max {
			break
		}
		i := bytes.IndexByte(argv, 0)
		if i < 0 {
			fn(argv)
			return n + 1
		}
		fn(argv[:i])
		n++
		argv = argv[i+1:]
	}
	return n
}
