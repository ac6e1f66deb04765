package config

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

func TestProviderServesEveryEmbeddedConfig(t *testing.T) {
	p := NewFactory().Create(confmap.ProviderSettings{})
	if err := confmaptest.ValidateProviderScheme(p); err != nil {
		t.Fatal(err)
	}
	want := []string{"default", "loki", "otlp"}
	if got := strings.Join(Names(), ","); got != strings.Join(want, ",") {
		t.Fatalf("embedded configs = %s, want %v", got, want)
	}
	for _, name := range want {
		ret, err := p.Retrieve(context.Background(), "otelsec:"+name, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		conf, err := ret.AsConf()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !conf.IsSet("receivers::syscall") || !conf.IsSet("processors::security_rules") {
			t.Errorf("%s: the pipeline must start with syscall -> security_rules", name)
		}
	}
}

func TestProviderRejectsUnknownNames(t *testing.T) {
	p := NewFactory().Create(confmap.ProviderSettings{})
	_, err := p.Retrieve(context.Background(), "otelsec:nope", nil)
	if err == nil || !strings.Contains(err.Error(), `no embedded configuration "nope"`) {
		t.Fatalf("err = %v", err)
	}
	if _, err := p.Retrieve(context.Background(), "file:/etc/hostname", nil); err == nil {
		t.Fatal("a foreign scheme must be refused")
	}
}
