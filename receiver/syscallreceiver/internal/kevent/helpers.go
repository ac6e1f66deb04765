package kevent

import (
	"bytes"
	"path"
	"strings"
)

// ResolvePath returns the absolute, lexically normalized path of p relative to base (the
// PathBase/Path2Base of the same record). p absolute: base is ignored. p relative with an empty
// base (the kernel could not resolve the dirfd): the result is p cleaned, still relative.
// p empty (AT_EMPTY_PATH): the base itself.
// The result may not exist or may traverse symlinks: it is what the caller named, not what
// the kernel opened.
func ResolvePath(p, base Str) string {
	if len(p.B) == 0 {
		// AT_EMPTY_PATH: the dirfd itself.
		if len(base.B) == 0 {
			return ""
		}
		return path.Clean(SanitizeUTF8(base.B))
	}
	s := SanitizeUTF8(p.B)
	if s[0] != '/' && len(base.B) > 0 {
		s = SanitizeUTF8(base.B) + "/" + s
	}
	return path.Clean(s)
}

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

// ContainerID derives the container id from a cgroup "<parent>/<leaf>" (Event.Cgroup):
// docker-<id>.scope, cri-containerd-<id>.scope, crio-<id>.scope, libpod-<id>.scope (systemd
// cgroup driver) or docker/<id>, kubepods/.../<id> (cgroupfs driver), in the leaf or, for a
// process in a sub-group of the container (systemd inside it: <id-scope>/init.scope), in the
// parent. Returns "" outside a container. The id is the full 64-hex id.
func ContainerID(cgroup []byte) string {
	leaf, parent := cgroup, []byte(nil)
	if i := bytes.LastIndexByte(cgroup, '/'); i >= 0 {
		leaf, parent = cgroup[i+1:], cgroup[:i]
	}
	if id := containerIDOf(leaf); id != "" {
		return id
	}
	return containerIDOf(parent)
}

func containerIDOf(name []byte) string {
	s := string(name)
	for _, prefix := range []string{"docker-", "cri-containerd-", "crio-", "libpod-", "containerd-"} {
		if rest, ok := strings.CutPrefix(s, prefix); ok {
			rest = strings.TrimSuffix(rest, ".scope")
			if isHexID(rest) {
				return rest
			}
		}
	}
	// cgroupfs driver: the group itself is named by the id (parent "docker", "kubepods...",
	// "libpod_parent").
	if isHexID(s) {
		return s
	}
	return ""
}

func isHexID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
