package alertexporter

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/ruleengine"
	"github.com/otelsec/otelsec/internal/schema"
)

// eventTime is the alert time used throughout: 2026-11-28 09:12:03.123456789 UTC.
var eventTime = time.Date(2026, 11, 28, 9, 12, 3, 123456789, time.UTC)

// violation fills rec like the security_rules processor does for a shell spawned in a
// container: the event attributes the receiver set, plus the rule's marks.
func violation(rec plog.LogRecord) {
	rec.SetTimestamp(pcommon.NewTimestampFromTime(eventTime))
	rec.SetObservedTimestamp(pcommon.NewTimestampFromTime(eventTime.Add(time.Millisecond)))
	rec.SetEventName(schema.EventProcessExec)
	rec.SetSeverityText("Warning")
	rec.SetSeverityNumber(plog.SeverityNumberWarn)
	rec.Body().SetStr("Shell spawned in a container (user=root command=bash -i container=abc123)")
	a := rec.Attributes()
	a.PutStr(schema.AttrProcessExecutablePath, "/usr/bin/bash")
	a.PutStr(schema.AttrProcessExecutableName, "bash")
	a.PutStr(schema.AttrProcessCommandLine, "bash -i")
	a.PutStr(schema.AttrProcessUserName, "root")
	a.PutInt(schema.AttrProcessPID, 4242)
	a.PutInt(schema.AttrProcessUserID, 0)
	a.PutStr(schema.AttrProcessParentExecutableName, "containerd-shim")
	a.PutStr(schema.AttrContainerID, "abc123")
	a.PutBool(schema.AttrProcessInteractive, true)
	a.PutStr(schema.AttrSecurityRuleName, "Terminal shell in container")
	a.PutStr(schema.AttrSecurityRuleDescription, "A shell was used as the entrypoint/exec point into a container")
	a.PutStr(schema.AttrSecurityRuleRulesetName, "otelsec-default")
	tags := a.PutEmptySlice(schema.AttrSecurityRuleTags)
	// Unsorted and with a duplicate: Falco emits its std::set, sorted and unique.
	for _, t := range []string{"shell", "container", "mitre_execution", "T1059", "shell"} {
		tags.AppendEmpty().SetStr(t)
	}
}

func newTestLogs(host string, n int, fill func(i int, rec plog.LogRecord)) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	if host != "" {
		rl.Resource().Attributes().PutStr(schema.AttrHostName, host)
	}
	rl.Resource().Attributes().PutStr(schema.AttrServiceName, schema.DefaultServiceName)
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	for i := 0; i < n; i++ {
		fill(i, lrs.AppendEmpty())
	}
	return ld
}

func renderOne(t *testing.T, r *renderer, fill func(plog.LogRecord)) string {
	t.Helper()
	return renderWithResource(t, r, pcommon.NewMap(), fill)
}

func renderWithResource(t *testing.T, r *renderer, res pcommon.Map, fill func(plog.LogRecord)) string {
	t.Helper()
	rec := plog.NewLogRecord()
	fill(rec)
	return string(r.appendAlert(nil, &scratch{}, "web-1", res, rec))
}

func TestRenderJSONIsFalcosShape(t *testing.T) {
	r := newRenderer(FormatJSON, false)
	r.loc = time.UTC
	got := renderOne(t, r, violation)

	// Byte-exact: keys sorted like nlohmann::json, compact, one line.
	want := `{"hostname":"web-1",` +
		`"output":"09:12:03.123456789: Warning Shell spawned in a container (user=root command=bash -i container=abc123)",` +
		`"output_fields":{"container.id":"abc123","evt.time":1795857123123456789,"process.command_line":"bash -i",` +
		`"process.executable.path":"/usr/bin/bash","process.parent.executable.name":"containerd-shim","process.pid":4242,"process.user.name":"root"},` +
		`"priority":"Warning","rule":"Terminal shell in container","source":"syscall",` +
		`"tags":["T1059","container","mitre_execution","shell"],"time":"2026-11-28T09:12:03.123456789Z"}` + "\n"
	assert.Equal(t, want, got)
	require.Equal(t, int64(1795857123123456789), eventTime.UnixNano(), "the golden evt.time is the event time in ns")

	// And it is what a consumer of Falco's JSON decodes.
	var alert struct {
		Hostname     string         `json:"hostname"`
		Output       string         `json:"output"`
		OutputFields map[string]any `json:"output_fields"`
		Priority     string         `json:"priority"`
		Rule         string         `json:"rule"`
		Source       string         `json:"source"`
		Tags         []string       `json:"tags"`
		Time         time.Time      `json:"time"`
	}
	dec := json.NewDecoder(strings.NewReader(got))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	require.NoError(t, dec.Decode(&alert))
	assert.True(t, alert.Time.Equal(eventTime))
	assert.Equal(t, json.Number("1795857123123456789"), alert.OutputFields["evt.time"])
	assert.Equal(t, json.Number("4242"), alert.OutputFields[schema.AttrProcessPID])
}

func TestRenderJSONOutputFieldsFromRule(t *testing.T) {
	r := newRenderer(FormatJSON, false)
	got := renderOne(t, r, func(rec plog.LogRecord) {
		violation(rec)
		// The processor lists what the rule's output used: one attribute twice, one the
		// record lacks (rendered null, as Falco renders a field it could not extract),
		// and typed values.
		of := rec.Attributes().PutEmptySlice(schema.AttrSecurityRuleOutputFields)
		for _, n := range []string{schema.AttrProcessInteractive, schema.AttrProcessUserID, schema.AttrFilePath, schema.AttrProcessUserID, schema.AttrSecurityRuleTags} {
			of.AppendEmpty().SetStr(n)
		}
	})
	var alert map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(got), &alert))
	assert.Equal(t,
		`{"evt.time":1795857123123456789,"file.path":null,"process.interactive":true,"process.user.id":0,`+
			`"security_rule.tags":["shell","container","mitre_execution","T1059","shell"]}`,
		string(alert["output_fields"]))
}

// A rule from a Falco file: the processor gives its fields under Falco's names, with Falco's
// value types; output_fields are those (and evt.time), not the contract attributes.
func TestRenderJSONOutputFieldsOfAFalcoRule(t *testing.T) {
	for _, iso := range []bool{false, true} {
		r := newRenderer(FormatJSON, iso)
		got := renderOne(t, r, func(rec plog.LogRecord) {
			violation(rec)
			a := rec.Attributes()
			a.PutEmptySlice(schema.AttrSecurityRuleOutputFields).AppendEmpty().SetStr(schema.AttrProcessCommandLine)
			f := a.PutEmptyMap(schema.AttrSecurityRuleFalcoOutputFields)
			f.PutStr("proc.name", "bash")
			f.PutStr("proc.cmdline", "bash -i")
			f.PutInt("user.uid", 0)
			f.PutEmpty("k8s.pod.name") // <NA> in the text: null, as Falco writes it
			f.PutBool("fd.connected", false)
		})
		var alert map[string]json.RawMessage
		require.NoError(t, json.Unmarshal([]byte(got), &alert))
		time := `"evt.time":1795857123123456789`
		if iso {
			time = `"evt.time.iso8601":"2026-11-28T09:12:03.123456789+0000"`
		}
		assert.Equal(t, `{`+time+`,"fd.connected":false,"k8s.pod.name":null,"proc.cmdline":"bash -i","proc.name":"bash","user.uid":0}`,
			string(alert["output_fields"]))
	}
}

// The processor lists the references of the rule's output template; they resolve as the
// template did: record attribute, then resource attribute, event.name and body.
func TestRenderJSONOutputFieldsResolveLikeTemplates(t *testing.T) {
	res := pcommon.NewMap()
	res.PutStr(schema.AttrHostName, "web-1")
	res.PutStr(schema.AttrContainerID, "from-resource")
	res.PutStr(schema.AttrProcessUserName, "shadowed")
	got := renderWithResource(t, newRenderer(FormatJSON, false), res, func(rec plog.LogRecord) {
		violation(rec)
		rec.Attributes().Remove(schema.AttrContainerID)
		rec.Attributes().PutStr(schema.AttrLogRecordOriginal, "sshd[1]: Failed password for root")
		of := rec.Attributes().PutEmptySlice(schema.AttrSecurityRuleOutputFields)
		for _, n := range []string{schema.AttrContainerID, schema.AttrProcessUserName, schema.AttrHostName, ruleengine.EventNameAttr, ruleengine.BodyIdent} {
			of.AppendEmpty().SetStr(n)
		}
	})
	var alert map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(got), &alert))
	assert.Equal(t,
		`{"body":"sshd[1]: Failed password for root","container.id":"from-resource","event.name":"process.exec",`+
			`"evt.time":1795857123123456789,"host.name":"web-1","process.user.name":"root"}`,
		string(alert["output_fields"]))

	// The default set also finds attributes on the resource.
	got = renderWithResource(t, newRenderer(FormatJSON, false), res, func(rec plog.LogRecord) {
		violation(rec)
		rec.Attributes().Remove(schema.AttrContainerID)
	})
	require.NoError(t, json.Unmarshal([]byte(got), &alert))
	assert.Contains(t, string(alert["output_fields"]), `"container.id":"from-resource"`)
}

func TestRenderJSONOutputFieldsNeverEmpty(t *testing.T) {
	r := newRenderer(FormatJSON, false)
	got := renderOne(t, r, func(rec plog.LogRecord) {
		rec.SetTimestamp(pcommon.NewTimestampFromTime(eventTime))
		rec.Attributes().PutStr(schema.AttrSecurityRuleName, "Bare")
	})
	var alert map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(got), &alert))
	assert.Equal(t, `{"evt.time":1795857123123456789}`, string(alert["output_fields"]))
	assert.Equal(t, `[]`, string(alert["tags"]), "Falco always emits tags, [] when the rule has none")
	assert.Equal(t, `"Informational"`, string(alert["priority"]), "no severity at all reads as Informational")
	assert.Equal(t, `"syscall"`, string(alert["source"]))
}

func TestRenderISO8601(t *testing.T) {
	r := newRenderer(FormatJSON, true)
	got := renderOne(t, r, violation)
	var alert map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(got), &alert))
	assert.Equal(t, `"2026-11-28T09:12:03.123456789+0000: Warning Shell spawned in a container (user=root command=bash -i container=abc123)"`, string(alert["output"]))
	assert.Contains(t, string(alert["output_fields"]), `"evt.time.iso8601":"2026-11-28T09:12:03.123456789+0000"`)
	assert.NotContains(t, string(alert["output_fields"]), `"evt.time":`)
	assert.Equal(t, `"2026-11-28T09:12:03.123456789Z"`, string(alert["time"]))

	rt := newRenderer(FormatText, true)
	assert.Equal(t, "2026-11-28T09:12:03.123456789+0000: Warning Shell spawned in a container (user=root command=bash -i container=abc123)\n",
		renderOne(t, rt, violation))
}

func TestRenderTextIsFalcosLine(t *testing.T) {
	r := newRenderer(FormatText, false)
	// Falco prints the prefix in local time; use a zone an hour east of UTC.
	r.loc = time.FixedZone("CET", 3600)
	assert.Equal(t, "10:12:03.123456789: Warning Shell spawned in a container (user=root command=bash -i container=abc123)\n",
		renderOne(t, r, violation))
}

func TestRenderTextCannotForgeLines(t *testing.T) {
	r := newRenderer(FormatText, false)
	r.loc = time.UTC
	got := renderOne(t, r, func(rec plog.LogRecord) {
		violation(rec)
		rec.Body().SetStr("File opened (file=/tmp/x\n09:00:00.000000000: Critical fake\r\x1b[2J\x00\u009b\xff\ttab)")
	})
	assert.Equal(t, `09:12:03.123456789: Warning File opened (file=/tmp/x\n09:00:00.000000000: Critical fake\r\x1b[2J\x00\u009b`+"\uFFFD\ttab)\n", got)
	assert.Equal(t, 1, strings.Count(got, "\n"))
}

func TestRenderJSONEscapesLikeFalco(t *testing.T) {
	r := newRenderer(FormatJSON, false)
	got := renderOne(t, r, func(rec plog.LogRecord) {
		violation(rec)
		rec.Body().SetStr("q\" b\\ </script>&\n\x01\xfe é")
	})
	assert.Contains(t, got, `Warning q\" b\\ </script>&\n\u0001`+"\uFFFD é\"")
	var alert map[string]any
	require.NoError(t, json.Unmarshal([]byte(got), &alert))
	assert.Equal(t, "09:12:03.123456789: Warning q\" b\\ </script>&\n\x01\uFFFD é"[len("09:12:03.123456789: "):], alert["output"].(string)[len("09:12:03.123456789: "):])
}

func TestRenderValues(t *testing.T) {
	v := pcommon.NewValueMap()
	m := v.Map()
	m.PutDouble("d", 1.5)
	m.PutDouble("i", 3)
	m.PutDouble("nan", 0)
	m.PutEmptyBytes("b").FromRaw([]byte{0xde, 0xad})
	m.PutEmpty("e")
	m.PutEmptySlice("s").AppendEmpty().SetInt(-7)
	m.PutEmptyMap("m").PutStr("z", "last")
	m.PutDouble("big", 1e21)
	assert.Equal(t, `{"b":"3q0=","big":1e+21,"d":1.5,"e":null,"i":3.0,"m":{"z":"last"},"nan":0.0,"s":[-7]}`,
		string(appendJSONValue(nil, v, 0)))

	deep := pcommon.NewValueSlice()
	cur := deep
	for range maxValueDepth + 3 {
		cur = cur.Slice().AppendEmpty()
		cur.SetEmptySlice()
	}
	out := string(appendJSONValue(nil, deep, 0))
	assert.Equal(t, strings.Repeat("[", maxValueDepth+1)+"null"+strings.Repeat("]", maxValueDepth+1), out)
}

func TestPriority(t *testing.T) {
	for _, tc := range []struct {
		text string
		num  plog.SeverityNumber
		want string
	}{
		{"Emergency", 0, "Emergency"},
		{"ALERT", 0, "Alert"},
		{"critical", 0, "Critical"},
		{"Error", plog.SeverityNumberError, "Error"},
		{"WARNING", 0, "Warning"},
		{"warn", 0, "Warning"},
		{"Notice", 0, "Notice"},
		{"info", 0, "Informational"},
		{"Informational", 0, "Informational"},
		{"debug", 0, "Debug"},
		{"", plog.SeverityNumberFatal4, "Emergency"},
		{"", plog.SeverityNumberFatal3, "Emergency"},
		{"", plog.SeverityNumberFatal2, "Alert"},
		{"", plog.SeverityNumberFatal, "Critical"},
		{"", plog.SeverityNumberError2, "Error"},
		{"", plog.SeverityNumberWarn, "Warning"},
		{"", plog.SeverityNumberInfo2, "Notice"},
		{"", plog.SeverityNumberInfo, "Informational"},
		{"", plog.SeverityNumberDebug, "Debug"},
		{"bogus", plog.SeverityNumberFatal, "Critical"},
	} {
		rec := plog.NewLogRecord()
		rec.SetSeverityText(tc.text)
		rec.SetSeverityNumber(tc.num)
		assert.Equal(t, tc.want, priorityOf(rec), "%q/%v", tc.text, tc.num)
	}
}

// output_fields reads event.name as the rule's output template does: the record's EventName,
// else its string event.name attribute; neither a shadowing attribute nor the resource
// overrides a set EventName.
func TestRenderEventNameLikeTemplates(t *testing.T) {
	e, _, err := ruleengine.Compile([]ruleengine.Source{{Name: "r.yaml", Data: []byte(`
- rule: r
  desc: d
  condition: present("process.pid")
  output: "%event.name"
  priority: WARNING
`)}}, ruleengine.Options{})
	require.NoError(t, err)
	rule := e.Rules()[0]
	for _, tc := range []struct {
		name, eventName, attr, resAttr string
		want                           string
	}{
		{"EventName", schema.EventProcessExec, "", "", `"process.exec"`},
		{"EventName over attribute and resource", schema.EventProcessExec, "spoofed", "from-resource", `"process.exec"`},
		{"attribute without EventName", "", schema.EventFileOpen, "from-resource", `"file.open"`},
		{"never the resource", "", "", "from-resource", `null`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := pcommon.NewMap()
			if tc.resAttr != "" {
				res.PutStr(ruleengine.EventNameAttr, tc.resAttr)
			}
			rec := plog.NewLogRecord()
			violation(rec)
			rec.SetEventName(tc.eventName)
			if tc.attr != "" {
				rec.Attributes().PutStr(ruleengine.EventNameAttr, tc.attr)
			}
			of := rec.Attributes().PutEmptySlice(schema.AttrSecurityRuleOutputFields)
			of.AppendEmpty().SetStr(ruleengine.EventNameAttr)
			got := string(newRenderer(FormatJSON, false).appendAlert(nil, &scratch{}, "web-1", res, rec))
			var alert map[string]json.RawMessage
			require.NoError(t, json.Unmarshal([]byte(got), &alert))
			var fields map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(alert["output_fields"], &fields))
			assert.Equal(t, tc.want, string(fields[ruleengine.EventNameAttr]))
			want := strings.Trim(tc.want, `"`)
			if tc.want == "null" {
				want = "<NA>"
			}
			assert.Equal(t, want, rule.Render(res, rec), "the rule's template agrees")
		})
	}
}
