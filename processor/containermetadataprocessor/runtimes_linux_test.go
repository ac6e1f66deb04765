//go:build linux

package containermetadataprocessor

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.uber.org/zap"

	"github.com/otelsec/otelsec/internal/containertest"
	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/processor/containermetadataprocessor/internal/metadatatest"
)

// harness is a started processor in front of a sink.
type harness struct {
	p    processor.Logs
	sink *consumertest.LogsSink
	tel  *componenttest.Telemetry
}

func startProcessor(t *testing.T, cfg *Config) *harness {
	t.Helper()
	h := &harness{sink: new(consumertest.LogsSink), tel: componenttest.NewTelemetry()}
	set := metadatatest.NewSettings(h.tel)
	set.Logger = zap.NewNop()
	p, err := NewFactory().CreateLogs(context.Background(), set, cfg, h.sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	h.p = p
	t.Cleanup(func() {
		if err := p.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
		_ = h.tel.Shutdown(context.Background())
	})
	return h
}

// describe sends one record of container id ("" for a host process) and returns its
// attributes as the processor left them.
func (h *harness) describe(t *testing.T, id string) map[string]any {
	t.Helper()
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.Attributes().PutInt(schema.AttrProcessPID, 1)
	if id != "" {
		lr.Attributes().PutStr(schema.AttrContainerID, id)
	}
	h.sink.Reset()
	if err := h.p.ConsumeLogs(context.Background(), ld); err != nil {
		t.Fatal(err)
	}
	out := h.sink.AllLogs()
	if len(out) != 1 {
		t.Fatalf("%d batches passed, want 1", len(out))
	}
	return out[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().AsRaw()
}

// waitFor sends records of id until one comes back described (with container.name) and
// satisfying ok (nil: any), and returns its attributes.
func (h *harness) waitFor(t *testing.T, id string, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		a := h.describe(t, id)
		if _, named := a[schema.AttrContainerName]; named && (ok == nil || ok(a)) {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s not described as expected after 10s: %v", id, a)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func runtimeConfig(rt *containertest.Runtimes) *Config {
	cfg := createDefaultConfig()
	cfg.Docker = []string{rt.DockerSock}
	cfg.Podman = nil
	cfg.CRI = []string{rt.ContainerdSock}
	cfg.Containerd = []string{rt.ContainerdSock}
	return cfg
}

// expectAttrs checks that got holds exactly want's container and pod attributes (labels
// aside: want lists the container.label.* it expects among them).
func expectAttrs(t *testing.T, what string, got, want map[string]any) {
	t.Helper()
	for k, v := range got {
		if k == schema.AttrContainerID || k == schema.AttrProcessPID {
			continue
		}
		if _, ok := want[k]; !ok && !strings.HasPrefix(k, schema.ContainerLabelPrefix) {
			t.Errorf("%s: unexpected %s = %v", what, k, v)
		}
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: %s missing, want %v", what, k, w)
			continue
		}
		if gs, ok := g.([]any); ok {
			ws := w.([]any)
			if !slices.Equal(gs, ws) {
				t.Errorf("%s: %s = %v, want %v", what, k, g, w)
			}
			continue
		}
		if g != w {
			t.Errorf("%s: %s = %v (%T), want %v (%T)", what, k, g, g, w, w)
		}
	}
}

// rfc3339 re-formats a runtime's time as the processor writes it.
func rfc3339(t *testing.T, s string) string {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return ts.UTC().Format(time.RFC3339Nano)
}

func TestDockerContainersAreDescribed(t *testing.T) {
	rt := containertest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// Running before the processor starts: known at start.
	before := rt.MustDocker("run", "-d", "--network", "none", "--name", "otelsec-before",
		"--label", "team=blue", containertest.Image, "sleep", "1000")
	if err := rt.WaitRunning(ctx, before); err != nil {
		t.Fatal(err)
	}
	h := startProcessor(t, runtimeConfig(rt))

	imageID := rt.MustDocker("image", "inspect", "-f", "{{.Id}}", containertest.Image)
	want := func(name string, privileged bool, startedAt string) map[string]any {
		return map[string]any{
			schema.AttrContainerName:        name,
			schema.AttrContainerImageName:   containertest.ImageRepo,
			schema.AttrContainerImageTags:   []any{containertest.ImageTag},
			schema.AttrContainerImageID:     imageID,
			schema.AttrContainerRuntimeName: "docker",
			schema.AttrContainerStartTime:   rfc3339(t, startedAt),
			schema.AttrContainerPrivileged:  privileged,
		}
	}
	got := h.describe(t, before)
	expectAttrs(t, "container started before the processor", got,
		want("otelsec-before", false, rt.MustDocker("inspect", "-f", "{{.State.StartedAt}}", before)))
	for k, v := range map[string]string{"team": "blue", containertest.ImageLabel: "busybox"} {
		if got[schema.ContainerLabelPrefix+k] != v {
			t.Errorf("label %s = %v, want %s", k, got[schema.ContainerLabelPrefix+k], v)
		}
	}

	// Started after: learned from Docker's events, refreshed when it starts.
	after := rt.MustDocker("run", "-d", "--network", "none", "--name", "otelsec-after",
		containertest.Image, "sleep", "1000")
	if err := rt.WaitRunning(ctx, after); err != nil {
		t.Fatal(err)
	}
	startedAt := rt.MustDocker("inspect", "-f", "{{.State.StartedAt}}", after)
	got = h.waitFor(t, after, func(a map[string]any) bool { return a[schema.AttrContainerStartTime] != nil })
	expectAttrs(t, "container started after the processor", got, want("otelsec-after", false, startedAt))

	// Privileged, created and never started (root here lacks capabilities a privileged
	// container gets): no start time.
	created := rt.MustDocker("create", "--network", "none", "--privileged", "--name", "otelsec-created",
		containertest.Image, "sleep", "1000")
	w := want("otelsec-created", true, startedAt)
	delete(w, schema.AttrContainerStartTime)
	expectAttrs(t, "created privileged container", h.waitFor(t, created, nil), w)

	// A host process has no container attributes.
	expectAttrs(t, "host process", h.describe(t, ""), map[string]any{})
}
