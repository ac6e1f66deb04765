//go:build linux

package containermetadataprocessor

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	cri "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/otelsec/otelsec/internal/containertest"
	"github.com/otelsec/otelsec/internal/schema"
)

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

// The processor as a kubelet's node sees it: a pod sandbox and a container made through
// containerd's CRI plugin (host network, so no CNI), with the io.kubernetes.* labels the
// kubelet sets. The processor runs first, so it learns them from containerd's events.
func TestCRIPodContainersAreDescribed(t *testing.T) {
	rt := containertest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	h := startProcessor(t, runtimeConfig(rt))

	conn, err := grpc.NewClient("unix://"+rt.ContainerdSock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rs, is := cri.NewRuntimeServiceClient(conn), cri.NewImageServiceClient(conn)

	const podName, podNamespace, podUID, containerName = "web-0", "shop", "6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b", "app"
	hostNet := &cri.NamespaceOption{Network: cri.NamespaceMode_NODE, Pid: cri.NamespaceMode_CONTAINER, Ipc: cri.NamespaceMode_POD}
	sbConfig := &cri.PodSandboxConfig{
		Metadata:     &cri.PodSandboxMetadata{Name: podName, Namespace: podNamespace, Uid: podUID},
		LogDirectory: t.TempDir(),
		Labels:       map[string]string{"app": "web"},
		Linux: &cri.LinuxPodSandboxConfig{
			CgroupParent:    "/kubepods/besteffort/pod" + podUID,
			SecurityContext: &cri.LinuxSandboxSecurityContext{NamespaceOptions: hostNet},
		},
	}
	sb, err := rs.RunPodSandbox(ctx, &cri.RunPodSandboxRequest{Config: sbConfig})
	if err != nil {
		t.Fatal("RunPodSandbox:", err)
	}
	t.Cleanup(func() {
		_, _ = rs.StopPodSandbox(context.Background(), &cri.StopPodSandboxRequest{PodSandboxId: sb.PodSandboxId})
		_, _ = rs.RemovePodSandbox(context.Background(), &cri.RemovePodSandboxRequest{PodSandboxId: sb.PodSandboxId})
	})
	cc, err := rs.CreateContainer(ctx, &cri.CreateContainerRequest{PodSandboxId: sb.PodSandboxId, SandboxConfig: sbConfig,
		Config: &cri.ContainerConfig{
			Metadata: &cri.ContainerMetadata{Name: containerName},
			Image:    &cri.ImageSpec{Image: containertest.Image},
			Command:  []string{"sleep", "1000"},
			LogPath:  "app.log",
			Labels: map[string]string{
				"io.kubernetes.pod.name": podName, "io.kubernetes.pod.namespace": podNamespace,
				"io.kubernetes.pod.uid": podUID, "io.kubernetes.container.name": containerName,
			},
			Linux: &cri.LinuxContainerConfig{SecurityContext: &cri.LinuxContainerSecurityContext{NamespaceOptions: hostNet}},
		}})
	if err != nil {
		t.Fatal("CreateContainer:", err)
	}
	if _, err := rs.StartContainer(ctx, &cri.StartContainerRequest{ContainerId: cc.ContainerId}); err != nil {
		t.Fatal("StartContainer:", err)
	}
	st, err := rs.ContainerStatus(ctx, &cri.ContainerStatusRequest{ContainerId: cc.ContainerId})
	if err != nil {
		t.Fatal(err)
	}
	img, err := is.ImageStatus(ctx, &cri.ImageStatusRequest{Image: &cri.ImageSpec{Image: containertest.Image}})
	if err != nil || img.Image == nil {
		t.Fatalf("ImageStatus: %v %v", img, err)
	}
	digests := []any{}
	for _, d := range img.Image.RepoDigests {
		digests = append(digests, d)
	}
	want := map[string]any{
		schema.AttrContainerName:        containerName,
		schema.AttrContainerImageName:   containertest.ImageRepo,
		schema.AttrContainerImageTags:   []any{containertest.ImageTag},
		schema.AttrContainerImageID:     rt.MustDocker("image", "inspect", "-f", "{{.Id}}", containertest.Image),
		schema.AttrContainerRuntimeName: "containerd",
		schema.AttrContainerStartTime:   time.Unix(0, st.Status.StartedAt).UTC().Format(time.RFC3339Nano),
		schema.AttrContainerPrivileged:  false,
		schema.AttrK8sPodName:           podName,
		schema.AttrK8sNamespaceName:     podNamespace,
		schema.AttrK8sPodUID:            podUID,
		schema.AttrK8sContainerName:     containerName,
	}
	if len(digests) > 0 {
		want[schema.AttrContainerImageRepoDigests] = digests
	}
	got := h.waitFor(t, cc.ContainerId, func(a map[string]any) bool { return a[schema.AttrContainerStartTime] != nil })
	expectAttrs(t, "CRI container", got, want)
	t.Logf("repo digests: %v", img.Image.RepoDigests)
}

// A container made with containerd alone (ctr), which knows no name, start time or privilege.
func TestContainerdContainersAreDescribed(t *testing.T) {
	rt := containertest.Start(t)
	h := startProcessor(t, runtimeConfig(rt))
	const id = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"
	if out, err := rt.Ctr("k8s.io", "run", "-d", "--label", "nerdctl/name=plain", "--label", "tier=db",
		containertest.Image, id, "sleep", "1000"); err != nil {
		t.Fatalf("ctr run: %v\n%s", err, out)
	}
	digest, err := rt.Ctr("k8s.io", "images", "ls", "name=="+containertest.Image)
	if err != nil {
		t.Fatal(err)
	}
	// REF TYPE DIGEST ...
	lines := strings.Split(digest, "\n")
	if len(lines) != 2 {
		t.Fatalf("ctr images ls: %q", digest)
	}
	manifest := strings.Fields(lines[1])[2]
	got := h.waitFor(t, id, nil)
	expectAttrs(t, "containerd container", got, map[string]any{
		schema.AttrContainerName:             "plain",
		schema.AttrContainerImageName:        containertest.ImageRepo,
		schema.AttrContainerImageTags:        []any{containertest.ImageTag},
		schema.AttrContainerImageRepoDigests: []any{containertest.ImageRepo + "@" + manifest},
		schema.AttrContainerRuntimeName:      "containerd",
	})
	if got[schema.ContainerLabelPrefix+"tier"] != "db" {
		t.Errorf("label tier = %v, want db", got[schema.ContainerLabelPrefix+"tier"])
	}
}

// How soon a new container's records carry its metadata: from `docker create` returning to
// the first record described, and the lookup time the processor measures itself (request to
// cached). Logged for the README; the bound only catches a lookup that hangs.
func TestMetadataLatency(t *testing.T) {
	rt := containertest.Start(t)
	h := startProcessor(t, runtimeConfig(rt))
	const n = 20
	var lat []time.Duration
	for i := range n {
		id := rt.MustDocker("create", "--network", "none", "--name", fmt.Sprintf("otelsec-lat-%d", i), containertest.Image)
		start := time.Now()
		h.waitFor(t, id, nil)
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	m, err := h.tel.GetMetric("otelcol_processor_container_metadata_lookup_duration")
	if err != nil {
		t.Fatal(err)
	}
	dp := m.Data.(metricdata.Histogram[float64]).DataPoints[0]
	t.Logf("docker create -> record described, %d containers: median %v, max %v; lookup request -> cached: %d lookups, mean %.2f ms",
		n, lat[n/2], lat[n-1], dp.Count, dp.Sum/float64(dp.Count))
	if lat[n-1] > 5*time.Second {
		t.Errorf("a container took %v to be described", lat[n-1])
	}
}
