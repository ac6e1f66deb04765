package alertexporter

import (
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/logview"
	"github.com/otelsec/otelsec/internal/schema"
)

// syslogFormatterFor is the formatter of a syslog section as loaded from YAML: the factory's
// defaults, changed by mutate; with pid 4242 and RFC 3164 times in UTC so the bytes are fixed.
func syslogFormatterFor(t *testing.T, mutate func(*SyslogConfig)) *syslogFormatter {
	t.Helper()
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	sc := cfg.Syslog.GetOrInsertDefault()
	mutate(sc)
	require.NoError(t, cfg.Validate())
	f := newSyslogFormatter(sc, 4242)
	f.loc = time.UTC
	return f
}

func syslogMessage(f *syslogFormatter, hostname string, fill func(rec plog.LogRecord)) string {
	rec := plog.NewLogRecord()
	violation(rec)
	if fill != nil {
		fill(rec)
	}
	return string(f.appendMessage(nil, hostname, rec, []byte("09:12:03.123456789: Warning Shell spawned\n")))
}

func TestSyslogRFC5424(t *testing.T) {
	f := syslogFormatterFor(t, func(sc *SyslogConfig) {
		sc.Network, sc.Address, sc.Facility = NetworkTCP, "127.0.0.1:514", "local0"
	})
	// PRI 132 = local0 (16) * 8 + warning (4); MSGID is the rule name with '_' for spaces.
	assert.Equal(t, "<132>1 2026-11-28T09:12:03.123456Z web-1 otelsec 4242 Terminal_shell_in_container - "+
		"09:12:03.123456789: Warning Shell spawned", syslogMessage(f, "web-1", nil))
}

func TestSyslogRFC5424StructuredData(t *testing.T) {
	f := syslogFormatterFor(t, func(sc *SyslogConfig) {
		sc.Network, sc.Address, sc.StructuredData = NetworkUDP, "127.0.0.1:514", true
	})
	got := syslogMessage(f, "web-1", func(rec plog.LogRecord) {
		rec.Attributes().PutStr(schema.AttrSecurityRuleName, `Read "shadow" [x]\y`)
		rec.SetSeverityText("Critical")
	})
	// PRI 10 = user (1) * 8 + crit (2). In PARAM-VALUE '"', '\' and ']' are escaped, '[' is not.
	assert.Equal(t, `<10>1 2026-11-28T09:12:03.123456Z web-1 otelsec 4242 Read_"shadow"_[x]\y `+
		`[otelsec@32473 rule="Read \"shadow\" [x\]\\y" priority="Critical"] 09:12:03.123456789: Warning Shell spawned`, got)
}

func TestSyslogRFC3164(t *testing.T) {
	network := syslogFormatterFor(t, func(sc *SyslogConfig) {
		sc.Network, sc.Address, sc.Format = NetworkUDP, "127.0.0.1:514", SyslogRFC3164
	})
	assert.Equal(t, "<12>Nov 28 09:12:03 web-1 otelsec[4242]: 09:12:03.123456789: Warning Shell spawned",
		syslogMessage(network, "web-1", nil))

	// On the local socket the default format is RFC 3164 as syslog(3) writes it: no HOSTNAME.
	local := syslogFormatterFor(t, func(*SyslogConfig) {})
	got := syslogMessage(local, "web-1", func(rec plog.LogRecord) {
		rec.SetTimestamp(0)
		rec.SetObservedTimestamp(0)
	})
	assert.Regexp(t, `^<12>[A-Z][a-z]{2} [ 1-3][0-9] \d\d:\d\d:\d\d otelsec\[4242\]: 09:12:03.123456789: Warning Shell spawned$`, got,
		"a record without a time takes now")
	got = syslogMessage(local, "web-1", func(rec plog.LogRecord) {
		rec.SetTimestamp(pcommon.NewTimestampFromTime(time.Date(2026, 3, 2, 1, 2, 3, 0, time.UTC)))
	})
	assert.Equal(t, "<12>Mar  2 01:02:03 otelsec[4242]: 09:12:03.123456789: Warning Shell spawned", got,
		"the day is padded with a space")
}

// The severity is the priority, Emergency..Debug onto 0..7, for every spelling the records use.
func TestSyslogSeverityIsThePriority(t *testing.T) {
	f := syslogFormatterFor(t, func(sc *SyslogConfig) { sc.Facility = "kern" })
	for text, want := range map[string]string{
		"Emergency": "<0>", "Alert": "<1>", "Critical": "<2>", "Error": "<3>",
		"Warning": "<4>", "WARN": "<4>", "Notice": "<5>", "Informational": "<6>", "info": "<6>", "Debug": "<7>",
	} {
		got := syslogMessage(f, "web-1", func(rec plog.LogRecord) { rec.SetSeverityText(text) })
		assert.True(t, strings.HasPrefix(got, want), "%s: %s", text, got)
	}
	// No text: the severity number decides, as for the alert's own priority.
	got := syslogMessage(f, "web-1", func(rec plog.LogRecord) {
		rec.SetSeverityText("")
		rec.SetSeverityNumber(plog.SeverityNumberFatal)
	})
	assert.True(t, strings.HasPrefix(got, "<2>"), got)
	fac, ok := facilityCode("local7")
	assert.True(t, ok)
	assert.Equal(t, 23, fac)
}

// Header fields are what RFC 5424 allows whatever the resource or the rule says: printable
// ASCII without spaces, within the length limits, "-" when empty.
func TestSyslogHeaderFieldsAreSanitized(t *testing.T) {
	f := syslogFormatterFor(t, func(sc *SyslogConfig) { sc.Network, sc.Address = NetworkTCP, "127.0.0.1:514" })
	long := strings.Repeat("h", 300)
	got := syslogMessage(f, long, func(rec plog.LogRecord) {
		rec.Attributes().PutStr(schema.AttrSecurityRuleName, "Écrit\tdans /etc/shadow par un programme inconnu")
	})
	fields := strings.SplitN(got, " ", 8)
	require.Len(t, fields, 8)
	assert.Equal(t, strings.Repeat("h", 255), fields[2], "HOSTNAME is cut at 255")
	assert.Equal(t, "_crit_dans_/etc/shadow_par_un_pr", fields[5], "MSGID: 32 characters, '_' for the others")
	assert.Equal(t, "-", fields[6])

	got = syslogMessage(f, "web 1\n", func(rec plog.LogRecord) { rec.Attributes().Remove(schema.AttrSecurityRuleName) })
	fields = strings.SplitN(got, " ", 8)
	assert.Equal(t, "web_1_", fields[2])
	assert.Equal(t, "-", fields[5], "no rule name, no MSGID")
	got = syslogMessage(f, "", nil)
	assert.Equal(t, "-", strings.SplitN(got, " ", 4)[2], "no hostname is the nil value")
}

func TestSyslogStructuredDataValueIsSafe(t *testing.T) {
	assert.Equal(t, "a\uFFFDb\uFFFDc\uFFFD\\]é", string(appendSDValue(nil, "a\nb\x1bc\xff]é")))
}

func TestValidAppName(t *testing.T) {
	for _, ok := range []string{"otelsec", "falco", "otelsec-1.2_x", strings.Repeat("a", 32)} {
		assert.True(t, validAppName(ok), ok)
	}
	for _, bad := range []string{"", "-", ".x", "otel sec", "otelsec:", "otelsec[1]", "é", strings.Repeat("a", 33)} {
		assert.False(t, validAppName(bad), bad)
	}
}

// FuzzSyslogMessage wraps alerts built from arbitrary rule names, hostnames, severities and
// times. Whatever comes in, the message is one line, its PRI carries the alert's priority,
// and the RFC 5424 header is six fields of printable ASCII within their limits.
func FuzzSyslogMessage(f *testing.F) {
	f.Add("Terminal shell in container", "web-1", "Warning", int32(13), int64(1795857123123456789), "Shell spawned")
	f.Add("", "", "", int32(0), int64(0), "")
	f.Add("r]\"\\\x00\xff é", "h o\ns\xff", "CRIT", int32(99), int64(-1), "line1\nline2\r\x1b[31m")
	f.Fuzz(func(t *testing.T, rule, hostname, sevText string, sevNum int32, ts int64, body string) {
		rec := plog.NewLogRecord()
		rec.SetTimestamp(pcommon.Timestamp(uint64(ts)))
		rec.SetSeverityText(sevText)
		rec.SetSeverityNumber(plog.SeverityNumber(sevNum))
		rec.Body().SetStr(body)
		rec.Attributes().PutStr(schema.AttrSecurityRuleName, rule)
		line := newRenderer(FormatText, false).appendAlert(nil, &scratch{}, hostname, pcommon.NewMap(), rec)
		wantPRI := "<" + strconv.Itoa(8+logview.PriorityOf(rec).SyslogSeverity()) + ">"

		for _, sc := range []SyslogConfig{
			{Network: NetworkTCP, Address: "127.0.0.1:514", Format: SyslogRFC5424, StructuredData: true},
			{Network: NetworkUDP, Address: "127.0.0.1:514", Format: SyslogRFC3164},
			{Network: NetworkUnixgram},
		} {
			sc.Facility, sc.AppName = "user", "otelsec"
			msg := string(newSyslogFormatter(&sc, 4242).appendMessage(nil, hostname, rec, line))
			if strings.ContainsAny(msg, "\n\r\x00") {
				t.Fatalf("%s message is not one line: %q", sc.Format, msg)
			}
			if !strings.HasPrefix(msg, wantPRI) {
				t.Fatalf("%s message does not start with %s: %q", sc.Format, wantPRI, msg)
			}
			if sc.Format != SyslogRFC5424 {
				continue
			}
			fields := strings.SplitN(strings.TrimPrefix(msg, wantPRI), " ", 7)
			if len(fields) != 7 || fields[0] != "1" {
				t.Fatalf("not an RFC 5424 header: %q", msg)
			}
			for i, limit := range map[int]int{2: maxHostname, 3: maxAppName, 4: 128, 5: maxMsgID} {
				fld := fields[i]
				if fld == "" || len(fld) > limit {
					t.Fatalf("header field %d %q is empty or too long: %q", i, fld, msg)
				}
				for j := 0; j < len(fld); j++ {
					if fld[j] <= ' ' || fld[j] >= 0x7f {
						t.Fatalf("header field %d %q is not printable ASCII: %q", i, fld, msg)
					}
				}
			}
			if !strings.HasPrefix(fields[6], "["+sdID+` rule="`) || !utf8.ValidString(fields[6]) {
				t.Fatalf("structured data missing or not UTF-8: %q", msg)
			}
		}
	})
}
