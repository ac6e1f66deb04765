//go:build linux

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/otelsec/otelsec/internal/containertest"
	"github.com/otelsec/otelsec/internal/schema"
)

// containerSensor is the otelsec:otlp sensor with its container_metadata processor pointed at
// the test's runtimes (the embedded configuration, plus one override of the sockets).
func containerSensor(t *testing.T, rt *containertest.Runtimes, be *backend) *collector {
	s := newSensor(t, be, t.TempDir())
	s.args = append(s.args, "--config", fmt.Sprintf(
		"yaml:processors::container_metadata: {docker: [%q], podman: [], cri: [%q], containerd: [%q]}",
		rt.DockerSock, rt.ContainerdSock, rt.ContainerdSock))
	return s
}

// inContainer finds the alerts of rule whose container.id is id.
func inContainer(recs []received, rule, id string) []received {
	var out []received
	for _, r := range recs {
		if r.str(schema.AttrSecurityRuleName) == rule && r.str(schema.AttrContainerID) == id {
			out = append(out, r)
		}
	}
	return out
}

// Alerts from inside real Docker containers carry the container's id, name, image and runtime;
// an alert from the host carries none of them. The default container rules fire from inside:
// an interactive shell (docker exec -it under script, a real pty), a binary copied into a
// running container and run, a mount in a container, a release_agent write.
func TestContainerAlertsNameTheContainer(t *testing.T) {
	rt := containertest.Start(t)
	// Running before the sensor: known at its start.
	before := rt.MustDocker("run", "-d", "--network", "none", "--name", "otelsec-e2e-before",
		containertest.Image, "sleep", "1000")
	be := newBackend(t)
	be.start()
	sensor := containerSensor(t, rt, be)
	sensor.start()

	// An interactive shell in the container that ran before the sensor.
	if out, err := exec.Command("script", "-qec",
		fmt.Sprintf("env DOCKER_HOST=unix://%s docker exec -it %s sh -c 'exit 0'", rt.DockerSock, before),
		"/dev/null").CombinedOutput(); err != nil {
		t.Fatalf("docker exec -it: %v\n%s", err, out)
	}
	// A binary copied into a running container and executed (busybox named as the applet
	// it runs).
	payload := filepath.Join(t.TempDir(), "true")
	if err := os.WriteFile(payload, mustRead(t, "/bin/busybox"), 0o755); err != nil {
		t.Fatal(err)
	}
	rt.MustDocker("cp", payload, before+":/tmp/true")
	rt.MustDocker("exec", before, "/tmp/true")
	// Started after the sensor: a mount, and a cgroup release_agent write.
	after := rt.MustDocker("run", "-d", "--network", "none", "--name", "otelsec-e2e-after",
		"--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
		containertest.Image, "sleep", "1000")
	rt.MustDocker("exec", after, "sh", "-c", "mkdir -p /mnt/t && mount -t tmpfs none /mnt/t")
	_, _ = rt.Docker("exec", after, "sh", "-c",
		"mkdir -p /mnt/cg && mount -t cgroup -o memory cgroup /mnt/cg && echo /x > /mnt/cg/release_agent")
	rt.MustDocker("stop", "-t", "1", after)
	rt.MustDocker("rm", after)
	// The same dropper on the host.
	hostPayload := filepath.Join(t.TempDir(), "true")
	if err := os.WriteFile(hostPayload, mustRead(t, "/bin/busybox"), 0o755); err != nil {
		t.Fatal(err)
	}
	hostPID := runCmd(t, hostPayload)

	imageID := rt.MustDocker("image", "inspect", "-f", "{{.Id}}", containertest.Image)
	type want struct{ rule, id, name string }
	wants := []want{
		{"Interactive shell in a container", before, "otelsec-e2e-before"},
		{"Program executed from a temporary directory", before, "otelsec-e2e-before"},
		{"Filesystem mounted inside a container", after, "otelsec-e2e-after"},
		{"Cgroup release_agent written", after, "otelsec-e2e-after"},
	}
	var missing []string
	recs := be.waitFor(t, 30*time.Second, func() string { return "missing " + strings.Join(missing, "; ") }, func(recs []received) bool {
		missing = missing[:0]
		for _, w := range wants {
			if len(inContainer(recs, w.rule, w.id)) == 0 {
				missing = append(missing, w.rule+" in "+w.name)
			}
		}
		if len(alertsFor(recs, "Program executed from a temporary directory", hostPID)) == 0 {
			missing = append(missing, "the host's dropper")
		}
		return len(missing) == 0
	})
	for _, w := range wants {
		for _, a := range inContainer(recs, w.rule, w.id) {
			for k, v := range map[string]string{
				schema.AttrContainerName: w.name, schema.AttrContainerImageName: containertest.ImageRepo,
				schema.AttrContainerImageID: imageID, schema.AttrContainerRuntimeName: "docker",
			} {
				if a.str(k) != v {
					t.Errorf("%q in %s: %s = %q, want %q", w.rule, w.name, k, a.str(k), v)
				}
			}
			if want := "container_name=" + w.name + " image=" + containertest.ImageRepo + ")"; !strings.HasSuffix(a.Body, want) {
				t.Errorf("%q in %s: output %q does not end with %q", w.rule, w.name, a.Body, want)
			}
			if tags, _ := a.Attrs[schema.AttrContainerImageTags].([]any); !slices.Equal(tags, []any{containertest.ImageTag}) {
				t.Errorf("%q in %s: image tags %v", w.rule, w.name, a.Attrs[schema.AttrContainerImageTags])
			}
		}
	}
	for _, a := range alertsFor(recs, "Program executed from a temporary directory", hostPID) {
		for k := range a.Attrs {
			if strings.HasPrefix(k, "container.") || strings.HasPrefix(k, "k8s.") {
				t.Errorf("host process alert carries %s = %v", k, a.Attrs[k])
			}
		}
	}
	// The runtimes' own work (run, exec, stop, rm) raised nothing: every alert outside a
	// container is the host's dropper.
	for _, r := range recs {
		if pid, _ := r.Attrs[schema.AttrProcessPID].(int64); r.str(schema.AttrContainerID) == "" && int(pid) != hostPID {
			t.Errorf("alert outside a container: %s: %s", r.str(schema.AttrSecurityRuleName), r.Body)
		}
	}
	// Every alert of a process in a container was described: the sensor learned the
	// containers before their processes ran.
	for _, r := range recs {
		if r.str(schema.AttrContainerID) != "" && r.str(schema.AttrContainerName) == "" {
			t.Errorf("alert %q of container %s has no container.name", r.str(schema.AttrSecurityRuleName), r.str(schema.AttrContainerID))
		}
	}
	if v, ok := sensor.metric("otelcol_processor_container_metadata_records_without_metadata"); ok && v > 0 {
		t.Logf("records without metadata: %v", v)
	}
	for _, r := range recs {
		t.Logf("alert: %s %s container=%s name=%s exe=%s", r.Severity, r.str(schema.AttrSecurityRuleName),
			short(r.str(schema.AttrContainerID)), r.str(schema.AttrContainerName), r.str(schema.AttrProcessExecutablePath))
	}
}

func short(id string) string { return id[:min(12, len(id))] }

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
