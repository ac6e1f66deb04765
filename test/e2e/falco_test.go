//go:build linux

package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/otelsec/otelsec/internal/falcotest"
	"github.com/otelsec/otelsec/internal/schema"
)

// Scenario 4b: the sensor runs Falco's stable rules file, unchanged. A real read of
// /etc/shadow raises Falco's rule under Falco's name, priority and tags; the JSON alert's
// output_fields are keyed by Falco's field names with the event's values, as Falcosidekick
// and Falco's event-generator read them; the OTLP record keeps the contract attributes.
func TestFalcoRuleAlertHasFalcoFields(t *testing.T) {
	stable := filepath.Join(falcotest.Dir(t), falcotest.Stable)
	srv := newSidekick(t)
	be := newBackend(t)
	be.start()
	cfg := sensorConfig(t, `
receivers:
  syscall: {}
processors:
  security_rules:
    rules: [`+stable+`]
exporters:
  alert/sidekick:
    endpoint: `+srv.URL+`
    format: json
  otlp_http:
    endpoint: `+be.endpoint+`
`, "security_rules", "alert/sidekick, otlp_http")
	sensor := newCollector(t, "sensor", cfg)
	sensor.start()

	const rule = "Read sensitive file untrusted"
	pid := runCmd(t, "cat", "/etc/shadow")
	// Falco's output has no pid: the alert is the one whose process the test ran, by its
	// command line and the time it ran.
	started := time.Now().Add(-time.Second)
	alert := srv.wait(t, fmt.Sprintf("%q by cat /etc/shadow", rule), func(a falcoAlert) bool {
		return a.Rule == rule && a.OutputFields["proc.cmdline"] == "cat /etc/shadow" && a.Time.After(started)
	})
	if alert.Priority != "Warning" || alert.Source != "syscall" {
		t.Errorf("priority/source = %q/%q, want Warning/syscall", alert.Priority, alert.Source)
	}
	if !slices.Contains(alert.Tags, "mitre_credential_access") || !slices.Contains(alert.Tags, "T1555") {
		t.Errorf("tags %v are not the rule's in Falco's file", alert.Tags)
	}
	want := map[string]any{
		"fd.name": "/etc/shadow", "proc.name": "cat", "proc.exepath": "/usr/bin/cat", "user.name": "root",
		"user.uid": json.Number("0"), "evt.type": "openat", "proc.cmdline": "cat /etc/shadow",
	}
	for k, w := range want {
		if g := alert.OutputFields[k]; g != w {
			t.Errorf("output_fields[%q] = %v (%T), want %v (%T)", k, g, g, w, w)
		}
	}
	for k := range alert.OutputFields {
		if k != "evt.time" && !strings.Contains(alert.Output, "="+fmt.Sprint(alert.OutputFields[k])) && alert.OutputFields[k] != nil {
			t.Errorf("output_fields[%q] = %v is not what the output shows: %s", k, alert.OutputFields[k], alert.Output)
		}
		if strings.HasPrefix(k, "process.") || strings.HasPrefix(k, "file.") {
			t.Errorf("output_fields has a contract attribute %q: Falco's tools look for Falco's names", k)
		}
	}

	// The same violation over OTLP keeps the contract attributes, and the Falco fields too.
	recs := be.waitFor(t, 30*time.Second, func() string { return "no OTLP record of the violation" }, func(recs []received) bool {
		return len(alertsFor(recs, rule, pid)) > 0
	})
	r := alertsFor(recs, rule, pid)[0]
	if r.str(schema.AttrFilePath) != "/etc/shadow" || r.str(schema.AttrProcessExecutablePath) != "/usr/bin/cat" {
		t.Errorf("the OTLP record lacks the contract attributes: %v", r.Attrs)
	}
	if f, _ := r.Attrs[schema.AttrSecurityRuleFalcoOutputFields].(map[string]any); f["fd.name"] != "/etc/shadow" {
		t.Errorf("%s on the OTLP record = %v", schema.AttrSecurityRuleFalcoOutputFields, r.Attrs[schema.AttrSecurityRuleFalcoOutputFields])
	}
}
