// Package deploy holds what users deploy otelsec with (the Helm chart, the plain manifests, the
// image recipe); its tests render the chart with helm (a tool in go.mod) and check the result
// the way the API server and the sensor would read it.
package deploy

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite kubernetes/otelsec.yaml from the chart")

const chart = "helm/otelsec"

func helm(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"tool", "helm"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// render renders the chart with a values file ("" for the defaults).
func render(t *testing.T, values string) string {
	args := []string{"template", "otelsec", chart, "--namespace", "otelsec"}
	if values != "" {
		args = append(args, "-f", values)
	}
	return helm(t, args...)
}

// objects is a rendered chart decoded strictly: an unknown field anywhere is an error, as
// the API server's strict field validation has it.
type objects struct {
	ds  *appsv1.DaemonSet
	cm  *corev1.ConfigMap
	sa  *corev1.ServiceAccount
	all []string // kinds, in order
}

func decode(t *testing.T, manifest string) objects {
	t.Helper()
	var o objects
	for _, doc := range strings.Split(manifest, "\n---") {
		js, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			t.Fatalf("rendered YAML: %v\n%s", err, doc)
		}
		if string(js) == "null" {
			continue
		}
		var meta struct{ APIVersion, Kind string }
		if err := json.Unmarshal(js, &meta); err != nil {
			t.Fatal(err)
		}
		var into any
		switch meta.APIVersion + "/" + meta.Kind {
		case "apps/v1/DaemonSet":
			o.ds = new(appsv1.DaemonSet)
			into = o.ds
		case "v1/ConfigMap":
			o.cm = new(corev1.ConfigMap)
			into = o.cm
		case "v1/ServiceAccount":
			o.sa = new(corev1.ServiceAccount)
			into = o.sa
		default:
			t.Fatalf("the chart renders a %s %s, which this test does not know", meta.APIVersion, meta.Kind)
		}
		dec := json.NewDecoder(bytes.NewReader(js))
		dec.DisallowUnknownFields()
		if err := dec.Decode(into); err != nil {
			t.Fatalf("%s does not decode strictly: %v", meta.Kind, err)
		}
		o.all = append(o.all, meta.Kind)
	}
	if o.ds == nil || o.cm == nil || o.sa == nil {
		t.Fatalf("rendered %v, want a DaemonSet, a ConfigMap and a ServiceAccount", o.all)
	}
	return o
}

func TestHelmLint(t *testing.T) {
	out := helm(t, "lint", "--strict", chart)
	if strings.Contains(out, "[WARNING]") || strings.Contains(out, "[ERROR]") {
		t.Errorf("helm lint:\n%s", out)
	}
}

func valuesFiles(t *testing.T) []string {
	ex, err := filepath.Glob(filepath.Join(chart, "examples", "*.yaml"))
	if err != nil || len(ex) == 0 {
		t.Fatalf("no example values: %v", err)
	}
	return append([]string{""}, ex...)
}

// Every rendering is a DaemonSet as the issue and the receiver need it: the host's PID
// namespace, named capabilities rather than privileged, the kernel's tracefs and BTF and the
// runtimes' sockets from the host, limits, probes on health_check, tolerations for every
// node, and no Kubernetes API access.
func TestChartRendersTheSensorDaemonSet(t *testing.T) {
	for _, vf := range valuesFiles(t) {
		name := filepath.Base(vf)
		if vf == "" {
			name = "defaults"
		}
		t.Run(name, func(t *testing.T) {
			o := decode(t, render(t, vf))
			spec := o.ds.Spec.Template.Spec
			if !spec.HostPID {
				t.Error("hostPID is not set")
			}
			if o.sa.AutomountServiceAccountToken == nil || *o.sa.AutomountServiceAccountToken ||
				spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
				t.Error("the service account token is mounted; the sensor uses no Kubernetes API")
			}
			if len(spec.Containers) != 1 {
				t.Fatalf("%d containers", len(spec.Containers))
			}
			c := spec.Containers[0]
			sc := c.SecurityContext
			if sc == nil || sc.Privileged == nil || *sc.Privileged || sc.Capabilities == nil {
				t.Fatalf("security context %+v: want privileged false and named capabilities", sc)
			}
			var add []string
			for _, cp := range sc.Capabilities.Add {
				add = append(add, string(cp))
			}
			if want := []string{"BPF", "PERFMON", "SYS_RESOURCE", "DAC_READ_SEARCH", "SYS_PTRACE"}; !slices.Equal(add, want) {
				t.Errorf("capabilities %v, want %v", add, want)
			}
			if len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
				t.Errorf("capabilities dropped %v, want ALL", sc.Capabilities.Drop)
			}
			hostPaths := map[string]string{}
			for _, v := range spec.Volumes {
				if v.HostPath != nil {
					hostPaths[v.Name] = v.HostPath.Path
				}
			}
			mounts := map[string]string{}
			for _, m := range c.VolumeMounts {
				mounts[m.MountPath] = hostPaths[m.Name]
			}
			for at, from := range map[string]string{"/sys/kernel/tracing": "/sys/kernel/tracing",
				"/sys/kernel/btf": "/sys/kernel/btf", "/host/run": "/run", "/var/lib/otelsec": "/var/lib/otelsec",
				"/etc/machine-id": "/etc/machine-id"} {
				if mounts[at] != from {
					t.Errorf("%s mounts host %q, want %q", at, mounts[at], from)
				}
			}
			if c.Resources.Limits.Memory().IsZero() || c.Resources.Requests.Cpu().IsZero() {
				t.Errorf("resources %+v lack a memory limit or a cpu request", c.Resources)
			}
			for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
				if p == nil || p.HTTPGet == nil || p.HTTPGet.Port.String() != "health" {
					t.Errorf("%s probe %+v is not health_check's", name, p)
				}
			}
			if len(spec.Tolerations) == 0 || spec.Tolerations[0].Operator != corev1.TolerationOpExists {
				t.Errorf("tolerations %+v do not run it on every node", spec.Tolerations)
			}
			validateConfig(t, o.cm.Data["config.yaml"])
		})
	}
}

// validateConfig runs the built sensor's `validate` on the ConfigMap's configuration, with the
// environment the DaemonSet gives it.
func validateConfig(t *testing.T, config string) {
	t.Helper()
	bin := os.Getenv("OTELSEC_BINARY")
	if bin == "" {
		bin = "../_build/otelcol-sec"
	}
	if _, err := os.Stat(bin); err != nil {
		t.Logf("not validating the collector configuration: no built binary (%v); `make build` first", err)
		return
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "validate", "--config", path)
	cmd.Env = append(os.Environ(), "K8S_NODE_NAME=node-1", "K8S_POD_IP=127.0.0.1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("otelcol-sec validate: %v\n%s\n%s", err, out, config)
	}
}

// kubernetes/otelsec.yaml is the chart rendered with its defaults, for kubectl apply users.
func TestPlainManifestsAreTheChart(t *testing.T) {
	want := "# Rendered from deploy/helm/otelsec with its default values (namespace otelsec):\n" +
		"#   kubectl create namespace otelsec && kubectl apply -f deploy/kubernetes/otelsec.yaml\n" +
		"# Regenerate: go test ./deploy -run TestPlainManifestsAreTheChart -update\n" + render(t, "")
	const path = "kubernetes/otelsec.yaml"
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Error(fmt.Sprintf("%s is not the chart's rendering: go test ./deploy -run TestPlainManifestsAreTheChart -update", path))
	}
}
