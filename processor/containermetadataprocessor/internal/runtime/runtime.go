// Package runtime asks container runtimes about their containers through each runtime's own
// client library: the Docker Engine API (dockerd, and podman's Docker-compatible service),
// containerd's API and the Kubernetes CRI (containerd's CRI plugin, CRI-O). Each Source answers
// what it knows of one container id and tells when containers come and go; the caller decides
// which source to believe and caches the answers.
package runtime

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"
)

// Info is what a runtime says about one container. Zero values are unknown.
type Info struct {
	ID      string
	Name    string
	Runtime string // "docker", "podman", "containerd", "cri-o"

	ImageName    string   // the repository as the container was created from it, without tag or digest
	ImageTags    []string // tags of that image in that repository
	ImageID      string   // the runtime's image id (Docker: the config digest)
	ImageDigests []string // repository digests: "repo@sha256:..."

	StartTime       time.Time
	Privileged      bool
	PrivilegedKnown bool

	Labels map[string]string

	// From the io.kubernetes.* labels CRI sets (see SetKubernetes).
	PodName, PodNamespace, PodUID, K8sContainerName string
}

// The labels kubelet gives every container through CRI.
const (
	LabelPodName       = "io.kubernetes.pod.name"
	LabelPodNamespace  = "io.kubernetes.pod.namespace"
	LabelPodUID        = "io.kubernetes.pod.uid"
	LabelContainerName = "io.kubernetes.container.name"
)

// SetKubernetes fills the pod fields from the io.kubernetes.* labels. Kubernetes metadata
// reaches a node only this way: whichever runtime reports the container, the labels are the same.
func (in *Info) SetKubernetes() {
	in.PodName = in.Labels[LabelPodName]
	in.PodNamespace = in.Labels[LabelPodNamespace]
	in.PodUID = in.Labels[LabelPodUID]
	in.K8sContainerName = in.Labels[LabelContainerName]
}

// SetImage fills ImageName and, when the reference names one, the tag from a reference as the
// runtime reports it ("registry:5000/team/app:v1@sha256:..."). No normalization: "busybox"
// stays "busybox", as the user wrote it and as Falco shows it.
func (in *Info) SetImage(ref string) {
	name, tag, digest := SplitReference(ref)
	in.ImageName = name
	if tag != "" && !slices.Contains(in.ImageTags, tag) {
		in.ImageTags = append(in.ImageTags, tag)
	}
	if digest != "" && !slices.Contains(in.ImageDigests, name+"@"+digest) {
		in.ImageDigests = append(in.ImageDigests, name+"@"+digest)
	}
}

// AddRepoTags adds the tags of repoTags ("repo:tag") that belong to the image's repository.
func (in *Info) AddRepoTags(repoTags []string) {
	for _, rt := range repoTags {
		if name, tag, _ := SplitReference(rt); name == in.ImageName && tag != "" && !slices.Contains(in.ImageTags, tag) {
			in.ImageTags = append(in.ImageTags, tag)
		}
	}
}

// AddRepoDigests adds the digests ("repo@sha256:...") of the image's repository.
func (in *Info) AddRepoDigests(repoDigests []string) {
	for _, rd := range repoDigests {
		if name, _, d := SplitReference(rd); name == in.ImageName && d != "" && !slices.Contains(in.ImageDigests, rd) {
			in.ImageDigests = append(in.ImageDigests, rd)
		}
	}
}

// SplitReference splits an image reference into repository, tag and digest. A colon is a tag
// separator only after the last slash (a registry's port is not a tag). An image id
// ("sha256:<hex>") has no repository: name is "".
func SplitReference(ref string) (name, tag, digest string) {
	if i := strings.IndexByte(ref, '@'); i >= 0 {
		ref, digest = ref[:i], ref[i+1:]
	}
	if strings.HasPrefix(ref, "sha256:") && !strings.Contains(ref, "/") {
		return "", "", ref
	}
	slash := strings.LastIndexByte(ref, '/')
	if i := strings.LastIndexByte(ref, ':'); i > slash {
		ref, tag = ref[:i], ref[i+1:]
	}
	return ref, tag, digest
}

// Labels copies a runtime's label map (nil when empty), so a cached Info shares nothing.
func Labels(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

// Change is what a runtime's event says happened to a container.
type Change uint8

const (
	Created Change = iota
	Started
	Updated // renamed, relabeled
	Stopped
	Deleted
)

func (c Change) String() string {
	return [...]string{"created", "started", "updated", "stopped", "deleted"}[c]
}

// Event is one change of one container.
type Event struct {
	ID     string
	Change Change
}

// A Source is one runtime endpoint.
type Source interface {
	// Name is the source's name in logs and metrics ("docker", "containerd", "cri").
	Name() string
	// Endpoint is where it listens (a unix socket path).
	Endpoint() string
	// Inspect returns what the runtime knows of container id; ErrUnknown when it has no
	// such container. It must return within ctx's deadline.
	Inspect(ctx context.Context, id string) (*Info, error)
	// List returns the ids of the runtime's containers, running or not.
	List(ctx context.Context) ([]string, error)
	// Watch calls fn for each container change until ctx ends or the stream breaks
	// (the error says why). ErrNoEvents: the runtime has no event stream.
	Watch(ctx context.Context, fn func(Event)) error
	Close() error
}

var (
	// ErrUnknown: the runtime has no container of that id.
	ErrUnknown = errors.New("no such container")
	// ErrNoEvents: the runtime serves no event stream (CRI before containerd 1.7, CRI-O 1.26).
	ErrNoEvents = errors.New("the runtime serves no container event stream")
)
