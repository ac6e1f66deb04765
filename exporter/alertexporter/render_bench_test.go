package alertexporter

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/exporter/alertexporter/internal/metadatatest"
	"github.com/otelsec/otelsec/internal/schema"
)

// BenchmarkRender measures rendering one alert. The baseline is encoding/json marshalling
// an equivalent Falco payload struct (the obvious alternative); compare ns/op across the two
// in the same run.
func BenchmarkRender(b *testing.B) {
	rec := plog.NewLogRecord()
	violation(rec)
	sc := &scratch{}
	res := pcommon.NewMap()
	res.PutStr(schema.AttrHostName, "web-1")
	res.PutStr(schema.AttrServiceName, schema.DefaultServiceName)
	for _, bc := range []struct {
		name string
		r    *renderer
	}{
		{"json", newRenderer(FormatJSON, false)},
		{"text", newRenderer(FormatText, false)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sc.buf = bc.r.appendAlert(sc.buf[:0], sc, "web-1", res, rec)
			}
			b.SetBytes(int64(len(sc.buf)))
		})
	}
	b.Run("baseline_encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		type payload struct {
			Hostname     string         `json:"hostname"`
			Output       string         `json:"output"`
			OutputFields map[string]any `json:"output_fields"`
			Priority     string         `json:"priority"`
			Rule         string         `json:"rule"`
			Source       string         `json:"source"`
			Tags         []string       `json:"tags"`
			Time         string         `json:"time"`
		}
		var n int
		for b.Loop() {
			// What a straightforward implementation does per alert: build the map from
			// the record, then marshal with reflection.
			a := rec.Attributes()
			fields := map[string]any{"evt.time": rec.Timestamp().AsTime().UnixNano()}
			for _, k := range defaultOutputFields {
				if v, ok := a.Get(k); ok {
					fields[k] = v.AsRaw()
				}
			}
			rule, _ := a.Get(schema.AttrSecurityRuleName)
			tagsV, _ := a.Get(schema.AttrSecurityRuleTags)
			var tags []string
			for _, t := range tagsV.Slice().AsRaw() {
				tags = append(tags, t.(string))
			}
			out, err := json.Marshal(payload{
				Hostname: "web-1", Output: rec.Timestamp().AsTime().Format("15:04:05.000000000") + ": " + rec.SeverityText() + " " + rec.Body().Str(),
				OutputFields: fields, Priority: rec.SeverityText(), Rule: rule.Str(), Source: "syscall", Tags: tags,
				Time: rec.Timestamp().AsTime().UTC().Format(time.RFC3339Nano),
			})
			if err != nil {
				b.Fatal(err)
			}
			n = len(out)
		}
		b.SetBytes(int64(n))
	})
}

// BenchmarkPushToFile measures one alert through pushLogs into the file destination
// (render + write syscall) against the baseline of writing the same pre-rendered bytes to
// the same kind of file.
func BenchmarkPushToFile(b *testing.B) {
	const perBatch = 100
	ld := newTestLogs("web-1", perBatch, func(_ int, rec plog.LogRecord) { violation(rec) })
	b.Run("push", func(b *testing.B) {
		cfg := testConfig(func(c *Config) { c.Path = filepath.Join(b.TempDir(), "alerts.json"); c.Format = FormatJSON })
		cfg.Rotation.MaxMegabytes = 0
		e, err := newAlertExporter(cfg, metadatatest.NewSettings(componenttest.NewTelemetry()))
		if err != nil {
			b.Fatal(err)
		}
		if err := e.start(context.Background(), componenttest.NewNopHost()); err != nil {
			b.Fatal(err)
		}
		defer func() { _ = e.shutdown(context.Background()) }()
		b.ReportAllocs()
		for b.Loop() {
			if err := e.pushLogs(context.Background(), ld); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perBatch), "ns/alert")
	})
	b.Run("baseline_raw_write", func(b *testing.B) {
		r := newRenderer(FormatJSON, false)
		rec := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
		line := r.appendAlert(nil, &scratch{}, "web-1", pcommon.NewMap(), rec)
		f, err := os.OpenFile(filepath.Join(b.TempDir(), "raw.json"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		b.ReportAllocs()
		for b.Loop() {
			for range perBatch {
				if _, err := f.Write(line); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perBatch), "ns/alert")
	})
}
