package runtime

import (
	"context"
	"errors"
	"fmt"

	apievents "github.com/containerd/containerd/api/events"
	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/containerd/typeurl/v2"
)

// Containerd is containerd's own API, over every namespace: containers made by ctr or nerdctl,
// and those that dockerd ("moby") and the CRI plugin ("k8s.io") keep in it. It knows no
// container names (nerdctl's label aside), start times or privileges: the Docker and CRI
// sources say more of their containers and are asked first.
type Containerd struct {
	socket string
	c      *containerd.Client
}

// nerdctlName is the label nerdctl keeps a container's name in.
const nerdctlName = "nerdctl/name"

// NewContainerd makes a client of containerd's API at a unix socket; it connects on first use.
func NewContainerd(socket string) (*Containerd, error) {
	c, err := containerd.New(socket)
	if err != nil {
		return nil, fmt.Errorf("containerd client for %s: %w", socket, err)
	}
	return &Containerd{socket: socket, c: c}, nil
}

func (d *Containerd) Name() string     { return "containerd" }
func (d *Containerd) Endpoint() string { return d.socket }
func (d *Containerd) Close() error     { return d.c.Close() }

func (d *Containerd) Inspect(ctx context.Context, id string) (*Info, error) {
	nss, err := d.c.NamespaceService().List(ctx)
	if err != nil {
		return nil, err
	}
	for _, ns := range nss {
		nctx := namespaces.WithNamespace(ctx, ns)
		ct, err := d.c.ContainerService().Get(nctx, id)
		if cerrdefs.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		in := &Info{ID: ct.ID, Runtime: "containerd", Labels: Labels(ct.Labels)}
		in.SetKubernetes()
		in.Name = ct.Labels[nerdctlName]
		if in.Name == "" {
			in.Name = in.K8sContainerName
		}
		if ct.Image != "" {
			in.SetImage(ct.Image)
			img, err := d.c.ImageService().Get(nctx, ct.Image)
			if err != nil && !cerrdefs.IsNotFound(err) {
				return nil, err
			}
			if err == nil && img.Target.Digest != "" {
				in.AddRepoDigests([]string{in.ImageName + "@" + img.Target.Digest.String()})
			}
		}
		return in, nil
	}
	return nil, ErrUnknown
}

func (d *Containerd) List(ctx context.Context) ([]string, error) {
	nss, err := d.c.NamespaceService().List(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, ns := range nss {
		cs, err := d.c.ContainerService().List(namespaces.WithNamespace(ctx, ns))
		if err != nil {
			return nil, err
		}
		for _, ct := range cs {
			ids = append(ids, ct.ID)
		}
	}
	return ids, nil
}

func (d *Containerd) Watch(ctx context.Context, fn func(Event)) error {
	ch, errs := d.c.Subscribe(ctx,
		`topic=="/containers/create"`, `topic=="/containers/update"`, `topic=="/containers/delete"`,
		`topic=="/tasks/start"`, `topic=="/tasks/exit"`)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-errs:
			if err == nil {
				err = errors.New("event stream closed")
			}
			return err
		case env := <-ch:
			if env == nil || env.Event == nil {
				continue
			}
			v, err := typeurl.UnmarshalAny(env.Event)
			if err != nil {
				continue // a payload type this build does not know
			}
			if e, ok := containerdEvent(v); ok {
				fn(e)
			}
		}
	}
}

func containerdEvent(v any) (Event, bool) {
	switch e := v.(type) {
	case *apievents.ContainerCreate:
		return Event{ID: e.ID, Change: Created}, true
	case *apievents.ContainerUpdate:
		return Event{ID: e.ID, Change: Updated}, true
	case *apievents.ContainerDelete:
		return Event{ID: e.ID, Change: Deleted}, true
	case *apievents.TaskStart:
		return Event{ID: e.ContainerID, Change: Started}, true
	case *apievents.TaskExit:
		// An exec'd process exiting is not the container stopping.
		if e.ID == e.ContainerID {
			return Event{ID: e.ContainerID, Change: Stopped}, true
		}
	}
	return Event{}, false
}
