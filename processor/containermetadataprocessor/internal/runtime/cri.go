package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	cri "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// CRI is the Kubernetes Container Runtime Interface as a kubelet uses it, served by
// containerd's CRI plugin and by CRI-O. The runtime's own name (Version) becomes the records'
// container.runtime.name.
type CRI struct {
	socket  string
	conn    *grpc.ClientConn
	rt      cri.RuntimeServiceClient
	img     cri.ImageServiceClient
	mu      sync.Mutex
	runtime string // from Version, once it answered
}

// NewCRI makes a CRI client at a unix socket; it connects on first use.
func NewCRI(socket string) (*CRI, error) {
	conn, err := grpc.NewClient("unix://"+socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("CRI client for %s: %w", socket, err)
	}
	return &CRI{socket: socket, conn: conn, rt: cri.NewRuntimeServiceClient(conn), img: cri.NewImageServiceClient(conn)}, nil
}

func (c *CRI) Name() string     { return "cri" }
func (c *CRI) Endpoint() string { return c.socket }
func (c *CRI) Close() error     { return c.conn.Close() }

func (c *CRI) runtimeName(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.runtime == "" {
		v, err := c.rt.Version(ctx, &cri.VersionRequest{})
		if err != nil {
			return "", err
		}
		c.runtime = v.RuntimeName
	}
	return c.runtime, nil
}

func (c *CRI) Inspect(ctx context.Context, id string) (*Info, error) {
	rtName, err := c.runtimeName(ctx)
	if err != nil {
		return nil, err
	}
	r, err := c.rt.ContainerStatus(ctx, &cri.ContainerStatusRequest{ContainerId: id, Verbose: true})
	if status.Code(err) == codes.NotFound {
		return nil, ErrUnknown
	}
	if err != nil {
		return nil, err
	}
	st := r.GetStatus()
	if st == nil {
		return nil, ErrUnknown
	}
	in := &Info{ID: st.Id, Name: st.GetMetadata().GetName(), Runtime: rtName, Labels: Labels(st.Labels)}
	in.SetKubernetes()
	if st.StartedAt > 0 {
		in.StartTime = time.Unix(0, st.StartedAt)
	}
	in.Privileged, in.PrivilegedKnown = criPrivileged(r.Info)
	ref := st.GetImage().GetImage()
	in.SetImage(ref)
	// The kubelet may have created the container from the image's id; the image's
	// status names it.
	lookup := st.ImageRef
	if lookup == "" {
		lookup = ref
	}
	if lookup != "" {
		is, err := c.img.ImageStatus(ctx, &cri.ImageStatusRequest{Image: &cri.ImageSpec{Image: lookup}})
		if err != nil {
			return nil, err
		}
		if img := is.GetImage(); img != nil {
			if in.ImageName == "" && len(img.RepoTags) > 0 {
				in.SetImage(img.RepoTags[0])
			}
			in.ImageID = img.Id
			in.AddRepoTags(img.RepoTags)
			in.AddRepoDigests(img.RepoDigests)
		}
	}
	return in, nil
}

// criPrivileged reads the privileged flag from a verbose ContainerStatus's info: containerd
// keeps the CRI config there (config.linux.security_context.privileged, omitted when false),
// CRI-O a top-level "privileged". ok is false when neither says.
func criPrivileged(info map[string]string) (privileged, ok bool) {
	var v struct {
		Privileged *bool `json:"privileged"`
		Config     *struct {
			Linux struct {
				SecurityContext struct {
					Privileged bool `json:"privileged"`
				} `json:"security_context"`
			} `json:"linux"`
		} `json:"config"`
	}
	if json.Unmarshal([]byte(info["info"]), &v) != nil {
		return false, false
	}
	switch {
	case v.Config != nil:
		return v.Config.Linux.SecurityContext.Privileged, true
	case v.Privileged != nil:
		return *v.Privileged, true
	}
	return false, false
}

func (c *CRI) List(ctx context.Context) ([]string, error) {
	r, err := c.rt.ListContainers(ctx, &cri.ListContainersRequest{})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(r.Containers))
	for i, ct := range r.Containers {
		ids[i] = ct.Id
	}
	return ids, nil
}

func (c *CRI) Watch(ctx context.Context, fn func(Event)) error {
	s, err := c.rt.GetContainerEvents(ctx, &cri.GetEventsRequest{})
	if err != nil {
		return criStreamErr(err)
	}
	for {
		ev, err := s.Recv()
		if err != nil {
			return criStreamErr(err)
		}
		var ch Change
		switch ev.ContainerEventType {
		case cri.ContainerEventType_CONTAINER_CREATED_EVENT:
			ch = Created
		case cri.ContainerEventType_CONTAINER_STARTED_EVENT:
			ch = Started
		case cri.ContainerEventType_CONTAINER_STOPPED_EVENT:
			ch = Stopped
		case cri.ContainerEventType_CONTAINER_DELETED_EVENT:
			ch = Deleted
		default:
			continue
		}
		fn(Event{ID: ev.ContainerId, Change: ch})
	}
}

func criStreamErr(err error) error {
	if status.Code(err) == codes.Unimplemented {
		return ErrNoEvents
	}
	if errors.Is(err, context.Canceled) || status.Code(err) == codes.Canceled {
		return context.Canceled
	}
	return err
}
