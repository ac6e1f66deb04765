package runtime

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"
	"go.opentelemetry.io/otel/trace/noop"
)

// Docker is a Docker Engine API endpoint: dockerd, or podman's Docker-compatible service
// (runtime names the containers' runtime in the records: "docker" or "podman").
type Docker struct {
	runtime, socket string
	c               *client.Client
}

// NewDocker makes a client of the Engine API at a unix socket; it connects on first use.
func NewDocker(runtime, socket string) (*Docker, error) {
	c, err := client.New(client.WithHost("unix://"+socket), client.WithTraceProvider(noop.NewTracerProvider()))
	if err != nil {
		return nil, fmt.Errorf("%s client for %s: %w", runtime, socket, err)
	}
	return &Docker{runtime: runtime, socket: socket, c: c}, nil
}

func (d *Docker) Name() string     { return d.runtime }
func (d *Docker) Endpoint() string { return d.socket }
func (d *Docker) Close() error     { return d.c.Close() }

func (d *Docker) Inspect(ctx context.Context, id string) (*Info, error) {
	r, err := d.c.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if cerrdefs.IsNotFound(err) {
		return nil, ErrUnknown
	}
	if err != nil {
		return nil, err
	}
	ct := r.Container
	in := &Info{ID: ct.ID, Name: strings.TrimPrefix(ct.Name, "/"), Runtime: d.runtime, ImageID: ct.Image}
	if ct.Config != nil {
		in.SetImage(ct.Config.Image)
		in.Labels = Labels(ct.Config.Labels)
	}
	if ct.HostConfig != nil {
		in.Privileged, in.PrivilegedKnown = ct.HostConfig.Privileged, true
	}
	if ct.State != nil {
		// A created container that never ran has the zero time (year 1).
		if t, err := time.Parse(time.RFC3339Nano, ct.State.StartedAt); err == nil && t.Year() > 1 {
			in.StartTime = t
		}
	}
	if ct.Image != "" {
		img, err := d.c.ImageInspect(ctx, ct.Image)
		if err != nil && !cerrdefs.IsNotFound(err) {
			return nil, err
		}
		if in.ImageName == "" && len(img.RepoTags) > 0 {
			// Created from an image id: the image's first name stands for it.
			in.SetImage(img.RepoTags[0])
		}
		in.AddRepoTags(img.RepoTags)
		in.AddRepoDigests(img.RepoDigests)
	}
	in.SetKubernetes()
	return in, nil
}

func (d *Docker) List(ctx context.Context) ([]string, error) {
	r, err := d.c.ContainerList(ctx, client.ContainerListOptions{All: true})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(r.Items))
	for i, s := range r.Items {
		ids[i] = s.ID
	}
	return ids, nil
}

func (d *Docker) Watch(ctx context.Context, fn func(Event)) error {
	r := d.c.Events(ctx, client.EventsListOptions{Filters: make(client.Filters).Add("type", string(events.ContainerEventType))})
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-r.Err:
			if err == nil {
				err = errors.New("event stream closed")
			}
			return err
		case m := <-r.Messages:
			c, ok := dockerChange(m.Action)
			if ok && m.Actor.ID != "" {
				fn(Event{ID: m.Actor.ID, Change: c})
			}
		}
	}
}

func dockerChange(a events.Action) (Change, bool) {
	switch a {
	case events.ActionCreate:
		return Created, true
	case events.ActionStart, events.ActionRestart:
		return Started, true
	case events.ActionRename, events.ActionUpdate:
		return Updated, true
	case events.ActionDie:
		return Stopped, true
	case events.ActionDestroy:
		return Deleted, true
	}
	return 0, false
}
