package alertexporter

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/logview"
	"github.com/otelsec/otelsec/internal/schema"
)

// FuzzRender feeds the renderer records built from arbitrary attribute maps, bodies and
// severities. Whatever comes in, the JSON alert must be one valid JSON object on one line
// with Falco's keys and a non-empty output_fields, and the text alert must be one line.
func FuzzRender(f *testing.F) {
	f.Add("Terminal shell", "Shell spawned (cmd=bash -i)", "Warning", int32(13), int64(1795857123123456789),
		"process.command_line", "bash -i", "process.pid", int64(4242), 1.5, true, []byte{1, 2}, "shell,container")
	f.Add("", "", "", int32(0), int64(0), "", "", "", int64(0), 0.0, false, []byte(nil), "")
	f.Add("r\x00\xff", "line1\nline2\r\x1b[31m", "CRIT", int32(99), int64(-1), "security_rule.output_fields", "\xc3",
		"evt.time", int64(-9), -0.0, false, []byte("\xff"), "a\"b\\c")
	f.Fuzz(func(t *testing.T, rule, body, sevText string, sevNum int32, ts int64,
		k1, v1, k2 string, i2 int64, d float64, bo bool, raw []byte, tags string,
	) {
		rec := plog.NewLogRecord()
		rec.SetTimestamp(pcommon.Timestamp(uint64(ts)))
		rec.SetSeverityText(sevText)
		rec.SetSeverityNumber(plog.SeverityNumber(sevNum))
		rec.Body().SetStr(body)
		a := rec.Attributes()
		a.PutStr(schema.AttrSecurityRuleName, rule)
		a.PutStr(k1, v1)
		a.PutInt(k2, i2)
		a.PutDouble(k1+".d", d)
		a.PutBool(k2+".b", bo)
		a.PutEmptyBytes(k1 + ".raw").FromRaw(raw)
		ts2 := a.PutEmptySlice(schema.AttrSecurityRuleTags)
		for _, tg := range strings.Split(tags, ",") {
			ts2.AppendEmpty().SetStr(tg)
		}
		m := a.PutEmptyMap(k2 + ".map")
		m.PutStr(v1, body)
		m.PutEmptySlice(k1).AppendEmpty().SetDouble(d)
		if bo {
			of := a.PutEmptySlice(schema.AttrSecurityRuleOutputFields)
			for _, n := range []string{k1, k2, k1 + ".d", k2 + ".map", "absent." + v1, k1 + ".raw", k2 + ".res", "event.name", "body"} {
				of.AppendEmpty().SetStr(n)
			}
		}

		res := pcommon.NewMap()
		res.PutStr(schema.AttrHostName, v1)
		res.PutStr(k2+".res", body)

		sc := &scratch{}
		for _, iso := range []bool{false, true} {
			out := newRenderer(FormatJSON, iso).appendAlert(nil, sc, v1, res, rec)
			if !utf8.Valid(out) {
				t.Fatalf("json alert is not UTF-8: %q", out)
			}
			if n := strings.Count(string(out), "\n"); n != 1 || out[len(out)-1] != '\n' {
				t.Fatalf("json alert is not one line: %q", out)
			}
			var alert map[string]json.RawMessage
			if err := json.Unmarshal(out, &alert); err != nil {
				t.Fatalf("json alert does not parse: %v\n%s", err, out)
			}
			for _, k := range []string{"hostname", "output", "output_fields", "priority", "rule", "source", "tags", "time"} {
				if _, ok := alert[k]; !ok {
					t.Fatalf("json alert lacks %q: %s", k, out)
				}
			}
			if len(alert) != 8 {
				t.Fatalf("json alert has extra keys: %s", out)
			}
			var fields map[string]any
			if err := json.Unmarshal(alert["output_fields"], &fields); err != nil || len(fields) == 0 {
				t.Fatalf("output_fields empty or not an object (%v): %s", err, out)
			}
			var prio string
			if err := json.Unmarshal(alert["priority"], &prio); err != nil {
				t.Fatal(err)
			}
			if p, ok := logview.ParsePriority(prio); !ok || p.String() != prio {
				t.Fatalf("priority %q is not one of Falco's", prio)
			}

			text := newRenderer(FormatText, iso).appendAlert(nil, sc, v1, res, rec)
			if n := strings.Count(string(text), "\n"); n != 1 || text[len(text)-1] != '\n' {
				t.Fatalf("text alert is not one line: %q", text)
			}
			if strings.ContainsRune(string(text), '\r') || strings.ContainsRune(string(text), 0x1b) {
				t.Fatalf("text alert carries a raw control character: %q", text)
			}
		}
	})
}
