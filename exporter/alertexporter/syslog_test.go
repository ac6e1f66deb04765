package alertexporter

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelsec/otelsec/exporter/alertexporter/internal/metadatatest"
)

// falcoPriorities in Falco's order, which is syslog's: index i is severity i.
var falcoPriorities = []string{"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"}

// priorityLogs holds n violations, alert i with priority i mod 8 and a body naming token and i.
func priorityLogs(token string, first, n int) plog.Logs {
	return newTestLogs("web-1", n, func(i int, rec plog.LogRecord) {
		violation(rec)
		rec.SetSeverityText(falcoPriorities[(first+i)%8])
		rec.Body().SetStr(fmt.Sprintf("%s alert %d (user=root)", token, first+i))
	})
}

// syslogConfig is testConfig with a syslog section: the defaults, changed by mutate.
func syslogConfig(mutate func(cfg *Config, sc *SyslogConfig)) *Config {
	return testConfig(func(c *Config) { mutate(c, c.Syslog.GetOrInsertDefault()) })
}

// alertIndex finds "<token> alert <i>" in what rsyslog wrote.
func alertIndex(t *testing.T, token, msg string) int {
	t.Helper()
	m := regexp.MustCompile(regexp.QuoteMeta(token) + ` alert (\d+) `).FindStringSubmatch(msg)
	require.NotNil(t, m, "not one of this test's alerts: %q", msg)
	i, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	return i
}

// TestSyslogToRsyslog sends alerts of every priority over each transport, format and framing
// to a real rsyslog, and checks the fields rsyslog parsed from what arrived.
func TestSyslogToRsyslog(t *testing.T) {
	pid := strconv.Itoa(os.Getpid())
	cases := []struct {
		name string
		set  func(r *rsyslogd, c *Config, sc *SyslogConfig)
		// What rsyslog must have seen.
		input, facility string
		rfc5424         bool
		hostname        bool // the alert's host.name is in the message (not for local RFC 3164)
		sd              bool
		json            bool
	}{
		{
			name:  "local socket in syslog(3)'s format",
			set:   func(r *rsyslogd, _ *Config, sc *SyslogConfig) { sc.Address = r.local },
			input: "imuxsock", facility: "1",
		},
		{
			name: "local socket in RFC 5424 with structured data",
			set: func(r *rsyslogd, _ *Config, sc *SyslogConfig) {
				sc.Address, sc.Format, sc.StructuredData, sc.Facility = r.local5424, SyslogRFC5424, true, "local0"
			},
			input: "imuxsock", facility: "16", rfc5424: true, hostname: true, sd: true,
		},
		{
			name:  "stream socket at a unixgram path, as syslog(3) falls back",
			set:   func(r *rsyslogd, _ *Config, sc *SyslogConfig) { sc.Address = r.stream },
			input: "imptcp", facility: "1",
		},
		{
			name: "unix stream with octet counting",
			set: func(r *rsyslogd, _ *Config, sc *SyslogConfig) {
				sc.Network, sc.Address, sc.Framing, sc.Format = NetworkUnix, r.stream, FramingOctetCounting, SyslogRFC5424
			},
			input: "imptcp", facility: "1", rfc5424: true, hostname: true,
		},
		{
			name: "udp, RFC 5424, Falco's JSON",
			set: func(r *rsyslogd, c *Config, sc *SyslogConfig) {
				c.Format = FormatJSON
				sc.Network, sc.Address, sc.Facility = NetworkUDP, net.JoinHostPort("127.0.0.1", strconv.Itoa(r.udpPort)), "local7"
			},
			input: "imudp", facility: "23", rfc5424: true, hostname: true, json: true,
		},
		{
			name: "tcp, RFC 5424, octet counting",
			set: func(r *rsyslogd, _ *Config, sc *SyslogConfig) {
				sc.Network, sc.Address, sc.Facility = NetworkTCP, net.JoinHostPort("127.0.0.1", strconv.Itoa(r.tcpPort)), "auth"
			},
			input: "imtcp", facility: "4", rfc5424: true, hostname: true,
		},
		{
			name: "tcp, RFC 3164, LF framing",
			set: func(r *rsyslogd, _ *Config, sc *SyslogConfig) {
				sc.Network, sc.Address = NetworkTCP, net.JoinHostPort("127.0.0.1", strconv.Itoa(r.tcpPort))
				sc.Format, sc.Framing, sc.Facility = SyslogRFC3164, FramingNonTransparent, "daemon"
			},
			input: "imtcp", facility: "3", hostname: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := startRsyslog(t)
			cfg := syslogConfig(func(c *Config, sc *SyslogConfig) { tc.set(r, c, sc) })
			tt := newTelemetry(t)
			exp := startExporter(t, cfg, tt)
			require.NoError(t, exp.ConsumeLogs(context.Background(), priorityLogs("tok", 0, 8)))
			require.NoError(t, exp.Shutdown(context.Background()))
			assertCounter(t, tt, metadatatest.AssertEqualExporterAlertAlertsSent, 8)

			recs := r.waitRecords(8)
			require.Len(t, recs, 8, "each alert arrives once")
			seen := map[int]bool{}
			for _, rec := range recs {
				msg := rec.msg
				if !tc.rfc5424 {
					// rsyslog keeps the space after an RFC 3164 TAG's colon in msg.
					msg = strings.TrimPrefix(msg, " ")
				}
				i := alertIndex(t, "tok", msg)
				seen[i] = true
				prio := falcoPriorities[i]
				assert.Equal(t, tc.input, rec.input)
				assert.Equal(t, strconv.Itoa(i), rec.severity, "%s is syslog severity %d", prio, i)
				assert.Equal(t, tc.facility, rec.facility)
				assert.Equal(t, "otelsec", rec.programname)
				assert.Equal(t, pid, rec.procid)
				if tc.hostname {
					assert.Equal(t, "web-1", rec.hostname)
				} else {
					// syslog(3)'s format: the TAG straight after the timestamp.
					assert.Regexp(t, `^<\d+>[A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d otelsec\[`+pid+`\]: `, rec.raw)
				}
				if tc.rfc5424 {
					assert.Equal(t, "Terminal_shell_in_container", rec.msgid)
				} else {
					assert.Equal(t, "-", rec.msgid)
				}
				if tc.sd {
					assert.Equal(t, `[otelsec@32473 rule="Terminal shell in container" priority="`+prio+`"]`, rec.structuredData)
				} else {
					assert.Equal(t, "-", rec.structuredData)
				}
				body := fmt.Sprintf("tok alert %d (user=root)", i)
				if tc.json {
					var a map[string]any
					require.NoError(t, json.Unmarshal([]byte(msg), &a), "MSG is Falco's JSON: %q", msg)
					assert.Equal(t, "Terminal shell in container", a["rule"])
					assert.Equal(t, prio, a["priority"])
					assert.Equal(t, "web-1", a["hostname"])
					assert.Regexp(t, `^\d\d:\d\d:\d\d\.\d{9}: `+prio+` `+regexp.QuoteMeta(body)+`$`, a["output"])
				} else {
					assert.Regexp(t, `^\d\d:\d\d:\d\d\.\d{9}: `+prio+` `+regexp.QuoteMeta(body)+`$`, msg, "MSG is Falco's text line")
				}
			}
			assert.Len(t, seen, 8)
		})
	}
}

// A restarted rsyslog loses nothing: the stream it closed is noticed before the next write
// (which TCP would otherwise accept into a dead socket), a datagram socket that is gone is
// dialled again on retry.
func TestSyslogSurvivesRsyslogRestart(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(r *rsyslogd, sc *SyslogConfig)
	}{
		{"tcp", func(r *rsyslogd, sc *SyslogConfig) {
			sc.Network, sc.Address = NetworkTCP, net.JoinHostPort("127.0.0.1", strconv.Itoa(r.tcpPort))
		}},
		{"unix stream", func(r *rsyslogd, sc *SyslogConfig) { sc.Network, sc.Address = NetworkUnix, r.stream }},
		{"unixgram", func(r *rsyslogd, sc *SyslogConfig) { sc.Address = r.local }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startRsyslog(t)
			tt := newTelemetry(t)
			exp := startExporter(t, syslogConfig(func(_ *Config, sc *SyslogConfig) { tc.set(r, sc) }), tt)
			require.NoError(t, exp.ConsumeLogs(context.Background(), priorityLogs("restart", 0, 2)))
			r.waitFor(2)
			r.restart()
			require.NoError(t, exp.ConsumeLogs(context.Background(), priorityLogs("restart", 2, 2)))
			require.NoError(t, exp.Shutdown(context.Background()))

			var got []int
			for _, rec := range r.waitRecords(4) {
				got = append(got, alertIndex(t, "restart", rec.msg))
			}
			assert.Equal(t, []int{0, 1, 2, 3}, got, "every alert once, in order")
			assertCounter(t, tt, metadatatest.AssertEqualExporterAlertAlertsSent, 4)
		})
	}
}

// While rsyslog is down, alerts wait in the bounded queue and are retried; what does not fit
// is refused, counted and reported to the caller. The failure is said once at WARN; once
// rsyslog is up, every queued alert arrives.
func TestSyslogQueueIsBoundedWhileRsyslogIsDown(t *testing.T) {
	r := newRsyslog(t) // not started: its socket does not exist yet
	const queueSize, batches = 3, 10
	cfg := syslogConfig(func(c *Config, sc *SyslogConfig) {
		sc.Address = r.local
		q := c.QueueConfig.GetOrInsertDefault()
		q.QueueSize = queueSize
		q.NumConsumers = 1
		c.RetryConfig.MaxElapsedTime = 0 // retry until rsyslog is back
	})
	tt := newTelemetry(t)
	core, logs := observer.New(zapcore.InfoLevel)
	exp := startExporterWithLogger(t, cfg, tt, zap.New(core))

	var accepted []int
	refused := 0
	for i := 0; i < batches; i++ {
		if err := exp.ConsumeLogs(context.Background(), priorityLogs("queued", i, 1)); err != nil {
			assert.Contains(t, err.Error(), "sending queue is full")
			refused++
			continue
		}
		accepted = append(accepted, i)
	}
	// The queue holds queueSize; its one consumer may hold one more, retrying.
	assert.GreaterOrEqual(t, refused, batches-queueSize-1)
	assert.LessOrEqual(t, refused, batches-queueSize)
	assert.Equal(t, int64(refused), sumCounter(t, tt, "otelcol_exporter_enqueue_failed_log_records"), "every refused alert is counted")

	r.start()
	r.waitFor(len(accepted))
	require.NoError(t, exp.Shutdown(context.Background()))
	var got []int
	for _, rec := range r.waitRecords(len(accepted)) {
		got = append(got, alertIndex(t, "queued", strings.TrimPrefix(rec.msg, " ")))
	}
	assert.Equal(t, accepted, got, "every accepted alert arrives once, in order")
	assertCounter(t, tt, metadatatest.AssertEqualExporterAlertAlertsSent, int64(len(accepted)))

	warned := logs.FilterMessage("The alert destination fails; alerts wait in the queue and are retried").All()
	require.Len(t, warned, 1, "said once per failing streak")
	assert.Equal(t, zapcore.WarnLevel, warned[0].Level)
	assert.Contains(t, warned[0].ContextMap()["error"], "syslog unixgram "+r.local)
	assert.Len(t, logs.FilterMessage("The alert destination accepts alerts again").All(), 1)
}

// sumCounter adds up an int counter's data points, 0 when it was never recorded.
func sumCounter(t *testing.T, tt *componenttest.Telemetry, name string) int64 {
	t.Helper()
	m, err := tt.GetMetric(name)
	if err != nil {
		return 0
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is an int sum", name)
	var n int64
	for _, dp := range sum.DataPoints {
		n += dp.Value
	}
	return n
}

// An alert larger than a UDP datagram can carry would be refused on every retry: it is
// dropped and counted as rejected, and the rest of the batch still goes.
func TestSyslogOversizedDatagramIsRejected(t *testing.T) {
	r := startRsyslog(t)
	tt := newTelemetry(t)
	exp := startExporter(t, syslogConfig(func(_ *Config, sc *SyslogConfig) {
		sc.Network, sc.Address = NetworkUDP, net.JoinHostPort("127.0.0.1", strconv.Itoa(r.udpPort))
	}), tt)
	ld := priorityLogs("big", 0, 2)
	ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Body().SetStr("big alert 0 " + strings.Repeat("x", 70000))
	err := exp.ConsumeLogs(context.Background(), ld)
	require.Error(t, err)
	assert.True(t, consumererror.IsPermanent(err), "not retried: %v", err)
	assert.Contains(t, err.Error(), "1 alert(s) rejected and dropped, 1 sent")
	assert.Contains(t, err.Error(), "message too long")
	require.NoError(t, exp.Shutdown(context.Background()))

	recs := r.waitRecords(1)
	require.Len(t, recs, 1)
	assert.Equal(t, 1, alertIndex(t, "big", recs[0].msg))
	assertCounter(t, tt, metadatatest.AssertEqualExporterAlertAlertsRejected, 1)
	assertCounter(t, tt, metadatatest.AssertEqualExporterAlertAlertsSent, 1)
}
