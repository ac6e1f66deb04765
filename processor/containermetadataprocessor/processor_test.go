package containermetadataprocessor

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/processor/containermetadataprocessor/internal/metadatatest"
	"github.com/otelsec/otelsec/processor/containermetadataprocessor/internal/runtime"
)

// Absent sockets are one log line each at start, not an error, and records pass untouched.
func TestAbsentSocketsAreOneLogLineEach(t *testing.T) {
	dir := t.TempDir()
	cfg := createDefaultConfig()
	cfg.Docker = []string{filepath.Join(dir, "docker.sock")}
	cfg.Podman = []string{"unix://" + filepath.Join(dir, "podman.sock")}
	cfg.CRI = []string{filepath.Join(dir, "crio.sock")}
	cfg.Containerd = []string{filepath.Join(dir, "containerd.sock")}
	core, logs := observer.New(zap.InfoLevel)
	tel := componenttest.NewTelemetry()
	defer func() { _ = tel.Shutdown(context.Background()) }()
	set := metadatatest.NewSettings(tel)
	set.Logger = zap.New(core)
	sink := new(consumertest.LogsSink)
	p, err := NewFactory().CreateLogs(context.Background(), set, cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	h := &harness{p: p, sink: sink, tel: tel}
	for range 3 {
		if got := h.describe(t, strings.Repeat("ab", 32)); len(got) != 2 {
			t.Errorf("record changed without a runtime: %v", got)
		}
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	var absent []string
	for _, e := range logs.All() {
		if e.Level > zap.InfoLevel {
			t.Errorf("logged %s: %s", e.Level, e.Message)
		}
		if strings.Contains(e.Message, "socket absent") {
			absent = append(absent, e.ContextMap()["runtime"].(string))
		}
	}
	slices.Sort(absent)
	if want := []string{"containerd", "cri", "docker", "podman"}; !slices.Equal(absent, want) {
		t.Errorf("absent-socket lines for %v, want one for each of %v", absent, want)
	}
	metadatatest.AssertEqualProcessorContainerMetadataRecordsWithoutMetadata(t, tel,
		[]metricdata.DataPoint[int64]{{Value: 3}}, metricdatatestIgnoreTime...)
}

// The cache holds cache_size containers, evicting the least recently used.
func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := newCache(2)
	a, b, d := &entry{}, &entry{}, &entry{}
	if c.put("a", a) || c.put("b", b) {
		t.Fatal("evicted before full")
	}
	if c.get("a") != a { // a is now the most recently used
		t.Fatal("a not cached")
	}
	if !c.put("d", d) {
		t.Fatal("a full cache did not evict")
	}
	if c.get("b") != nil || c.get("a") != a || c.get("d") != d || c.len() != 2 {
		t.Errorf("after eviction: a=%v b=%v d=%v len=%d; want b evicted", c.get("a"), c.get("b"), c.get("d"), c.len())
	}
	if c.put("d", a) || c.get("d") != a {
		t.Error("replacing an entry evicted or did not replace")
	}
}

func TestSplitReference(t *testing.T) {
	for _, tc := range []struct{ ref, name, tag, digest string }{
		{"busybox", "busybox", "", ""},
		{"busybox:1.36", "busybox", "1.36", ""},
		{"localhost:5000/team/app", "localhost:5000/team/app", "", ""},
		{"localhost:5000/team/app:v1@sha256:abc", "localhost:5000/team/app", "v1", "sha256:abc"},
		{"docker.io/library/nginx@sha256:abc", "docker.io/library/nginx", "", "sha256:abc"},
		{"sha256:0123", "", "", "sha256:0123"},
	} {
		n, tg, d := runtime.SplitReference(tc.ref)
		if n != tc.name || tg != tc.tag || d != tc.digest {
			t.Errorf("SplitReference(%q) = %q %q %q, want %q %q %q", tc.ref, n, tg, d, tc.name, tc.tag, tc.digest)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := confmap.Validate(createDefaultConfig()); err != nil {
		t.Fatal(err)
	}
	bad := createDefaultConfig()
	bad.CacheSize, bad.LookupTimeout, bad.MaxLabels, bad.Docker = 0, 0, -1, []string{"tcp://host:2375"}
	err := confmap.Validate(bad)
	for _, want := range []string{"cache_size", "lookup_timeout", "max_labels", `"tcp://host:2375" is not a unix socket`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}

var docRow = regexp.MustCompile("(?m)^\\| `([a-z0-9_.<>]+)` \\| ([a-z\\[\\]]+) \\|")

// docs/events.md's container table explains exactly the attributes the processor puts, typed
// as the contract types them.
func TestDocsTable(t *testing.T) {
	b, err := os.ReadFile("../../docs/events.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, "<!-- container -->"), strings.Index(doc, "<!-- end container -->")
	if i < 0 || j < i {
		t.Fatal("docs/events.md lacks the <!-- container --> ... <!-- end container --> table")
	}
	documented := map[string]string{}
	for _, m := range docRow.FindAllStringSubmatch(doc[i:j], -1) {
		documented[m[1]] = m[2]
	}
	for _, a := range Attributes {
		if typ, ok := documented[a]; !ok {
			t.Errorf("docs/events.md does not explain %s", a)
		} else if typ != schema.Types[a].String() {
			t.Errorf("docs/events.md types %s as %s, the contract as %s", a, typ, schema.Types[a])
		}
		delete(documented, a)
	}
	delete(documented, schema.ContainerLabelPrefix+"<key>")
	for a := range documented {
		t.Errorf("docs/events.md's container table explains %s, which the processor does not put", a)
	}
}
