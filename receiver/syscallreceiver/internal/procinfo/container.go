package procinfo // import "github.com/otelsec/otelsec/receiver/syscallreceiver/internal/procinfo"

import (
	"bytes"
	"strings"
)

// Prefixes container runtimes put before the 64-hex container id in a cgroup path segment
// (systemd cgroup driver): docker-<id>.scope, cri-containerd-<id>.scope, crio-<id>.scope,
// libpod-<id>.scope. With the cgroupfs driver the id is a segment of its own
// (/docker/<id>, /kubepods/burstable/pod<uid>/<id>).
var runtimePrefixes = []string{"docker-", "cri-containerd-", "crio-", "libpod-", "containerd-"}

// ContainerIDFromCgroupFile returns the container id found in the content of
// /proc/<pid>/cgroup (v1 or v2), or "" for a process that is not in a container.
func ContainerIDFromCgroupFile(b []byte) string {
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		// hierarchy-ID:controller-list:cgroup-path
		i := bytes.IndexByte(line, ':')
		if i < 0 {
			continue
		}
		j := bytes.IndexByte(line[i+1:], ':')
		if j < 0 {
			continue
		}
		if id := ContainerIDFromCgroupPath(string(line[i+1+j+1:])); id != "" {
			return id
		}
	}
	return ""
}

// ContainerIDFromCgroupPath returns the container id named by a cgroup path, or "". The
// innermost segment that carries an id wins, so nested cgroups inside a container (podman's
// libpod-<id>.scope/container) resolve to that container.
func ContainerIDFromCgroupPath(p string) string {
	for p != "" {
		seg := p
		if k := strings.LastIndexByte(p, '/'); k >= 0 {
			seg = p[k+1:]
			p = p[:k]
		} else {
			p = ""
		}
		if id := idFromSegment(seg); id != "" {
			return id
		}
	}
	return ""
}

func idFromSegment(seg string) string {
	seg = strings.TrimSuffix(seg, ".scope")
	if isContainerID(seg) {
		return seg
	}
	for _, pre := range runtimePrefixes {
		if rest, ok := strings.CutPrefix(seg, pre); ok {
			// conmon (libpod-conmon-<id>.scope, crio-conmon-<id>.scope) is the runtime's
			// monitor process on the host, not the container.
			if isContainerID(rest) {
				return rest
			}
		}
	}
	return ""
}

func isContainerID(s string) bool {
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
