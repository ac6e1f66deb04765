//go:build linux

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otelsec/otelsec/internal/containertest"
)

// The sensor's image (deploy/Dockerfile, as `make image` builds it) runs in a container with
// the host's PID namespace, tracefs and BTF and named capabilities, not --privileged, and
// alerts on a process in another container (named) and on the host.
func TestImageRunsWithNamedCapabilities(t *testing.T) {
	rt := containertest.Start(t)
	ctx := filepath.Join(t.TempDir(), "image")
	if err := os.MkdirAll(ctx, 0o755); err != nil {
		t.Fatal(err)
	}
	for src, dst := range map[string]string{binary: "otelcol-sec", "/etc/ssl/certs/ca-certificates.crt": "ca-certificates.crt"} {
		if err := os.WriteFile(filepath.Join(ctx, dst), mustRead(t, src), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("DOCKER_BUILDKIT", "0") // the classic builder: no buildx needed
	rt.MustDocker("build", "-q", "-f", "../../deploy/Dockerfile", "-t", "otelsec/otelcol-sec:test", ctx)

	caps := []string{"BPF", "PERFMON", "SYS_RESOURCE", "DAC_READ_SEARCH", "SYS_PTRACE"}
	if !hostHasCap(t, 24) { // CAP_SYS_RESOURCE: root on these machines lacks it
		caps = caps[:2]
		caps = append(caps, "DAC_READ_SEARCH", "SYS_PTRACE")
		t.Log("the host's root lacks CAP_SYS_RESOURCE (not needed on kernels >= 5.11); run without it")
	}
	run := func(caps []string) (string, error) {
		args := []string{"run", "-d", "--name", "otelsec-sensor", "--pid=host", "--network=none", "--cap-drop", "ALL"}
		for _, c := range caps {
			args = append(args, "--cap-add", c)
		}
		args = append(args, "--security-opt", "seccomp=unconfined",
			"-v", "/sys/kernel/tracing:/sys/kernel/tracing:ro", "-v", "/sys/kernel/btf:/sys/kernel/btf:ro",
			"-v", rt.Dir+":/host/rt:ro",
			"otelsec/otelcol-sec:test", "--config", "otelsec:default",
			"--config", "yaml:processors::container_metadata: {docker: [/host/rt/docker.sock], podman: [], cri: [], containerd: [/host/rt/containerd.sock]}")
		return rt.Docker(args...)
	}
	sensor, err := run(caps)
	if err != nil && strings.Contains(sensor, "unknown capability") {
		// Docker before 23 knows no CAP_BPF or CAP_PERFMON: SYS_ADMIN is what they split from.
		t.Logf("this dockerd does not know CAP_BPF (%s); SYS_ADMIN stands in for BPF and PERFMON", sensor)
		_, _ = rt.Docker("rm", "-f", "otelsec-sensor")
		sensor, err = run(append([]string{"SYS_ADMIN"}, caps[2:]...))
	}
	if err != nil {
		t.Fatalf("docker run the sensor: %v\n%s", err, sensor)
	}
	logs := func() string { out, _ := rt.Docker("logs", sensor); return out }
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(logs(), "Everything is ready") {
		if time.Now().After(deadline) {
			t.Fatalf("the sensor container did not start:\n%s", logs())
		}
		time.Sleep(200 * time.Millisecond)
	}

	target := rt.MustDocker("run", "-d", "--network", "none", "--name", "otelsec-target", containertest.Image, "sleep", "1000")
	payload := filepath.Join(t.TempDir(), "true")
	if err := os.WriteFile(payload, mustRead(t, "/bin/busybox"), 0o755); err != nil {
		t.Fatal(err)
	}
	rt.MustDocker("cp", payload, target+":/tmp/true")
	rt.MustDocker("exec", target, "/tmp/true")
	hostPID := runCmd(t, payload)

	inTarget := "container_name=otelsec-target image=" + containertest.ImageRepo + ")"
	onHost := fmt.Sprintf("pid=%d container=<NA>", hostPID)
	for {
		l := logs()
		if strings.Contains(l, "Program executed from a temporary directory") && strings.Contains(l, inTarget) && strings.Contains(l, onHost) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no alert naming otelsec-target (%q) and the host's pid %d (%q):\n%s", inTarget, hostPID, onHost, l)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// hostHasCap reports whether this process's bounding set holds capability bit.
func hostHasCap(t *testing.T, bit uint) bool {
	for _, line := range strings.Split(string(mustRead(t, "/proc/self/status")), "\n") {
		if v, ok := strings.CutPrefix(line, "CapBnd:"); ok {
			var set uint64
			fmt.Sscanf(strings.TrimSpace(v), "%x", &set)
			return set&(1<<bit) != 0
		}
	}
	return false
}
