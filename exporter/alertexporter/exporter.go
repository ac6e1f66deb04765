package alertexporter // import "github.com/otelsec/otelsec/exporter/alertexporter"

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/otelsec/otelsec/exporter/alertexporter/internal/metadata"
	"github.com/otelsec/otelsec/internal/schema"
)

type alertExporter struct {
	cfg       *Config
	set       exporter.Settings
	render    *renderer
	telemetry *metadata.TelemetryBuilder
	hostname  string // used when a resource has no host.name

	sink sink
	// syslog wraps each alert in a syslog header when the destination is syslog.
	syslog  *syslogFormatter
	scratch sync.Pool
	// failing: the destination's last send failed and may pass later; said once per streak,
	// since exporterhelper logs each retry at INFO only.
	failing atomic.Bool
}

func newAlertExporter(cfg *Config, set exporter.Settings) (*alertExporter, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	host, err := os.Hostname()
	if err != nil {
		host = ""
	}
	e := &alertExporter{
		cfg:       cfg,
		set:       set,
		render:    newRenderer(cfg.format(), cfg.TimeFormatISO8601),
		telemetry: tb,
		hostname:  host,
	}
	if sc := cfg.Syslog.Get(); sc != nil {
		e.syslog = newSyslogFormatter(sc, os.Getpid())
	}
	e.scratch.New = func() any { return &scratch{buf: make([]byte, 0, 1024)} }
	return e, nil
}

func (e *alertExporter) start(ctx context.Context, host component.Host) error {
	switch {
	case e.cfg.ClientConfig.Endpoint != "":
		client, err := e.cfg.ClientConfig.ToClient(ctx, host.GetExtensions(), e.set.TelemetrySettings)
		if err != nil {
			return fmt.Errorf("alert exporter: HTTP client for %s: %w", e.cfg.ClientConfig.Endpoint, err)
		}
		// A redirected POST silently becomes a GET (301, 302, 303) and the alert is lost
		// while the final status says 200; report the redirect instead, as Falco does.
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		e.sink = &httpSink{client: client, endpoint: e.cfg.ClientConfig.Endpoint}
	case e.cfg.Path != "":
		fs := newFileSink(e.cfg.Path, int64(e.cfg.Rotation.MaxMegabytes)<<20, e.cfg.Rotation.MaxBackups)
		if err := fs.open(); err != nil {
			return fmt.Errorf("alert exporter: %w", err)
		}
		e.sink = fs
	case e.cfg.Syslog.HasValue():
		e.sink = newSyslogSink(e.cfg.Syslog.Get())
	default:
		e.sink = &writerSink{w: os.Stdout}
	}
	return nil
}

// shutdown runs after exporterhelper drained its queue, so everything accepted has been
// written; it syncs the file and releases the HTTP and syslog connections.
func (e *alertExporter) shutdown(ctx context.Context) error {
	defer e.telemetry.Shutdown()
	if e.sink == nil {
		return nil
	}
	return e.sink.close(ctx)
}

// pushLogs sends every violation in ld as one alert. Records without security_rule.name are
// not alerts and are only counted. An alert the destination refused permanently is counted
// and dropped; on the first retryable failure the not-yet-sent violations are handed back
// (consumererror.Logs) so a retry never duplicates the alerts already delivered.
func (e *alertExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	sc := e.scratch.Get().(*scratch)
	defer e.scratch.Put(sc)

	var sent, ignored, rejected int64
	var firstRejection error
	defer func() {
		if sent > 0 {
			e.telemetry.ExporterAlertAlertsSent.Add(ctx, sent)
		}
		if ignored > 0 {
			e.telemetry.ExporterAlertRecordsIgnored.Add(ctx, ignored)
		}
		if rejected > 0 {
			e.telemetry.ExporterAlertAlertsRejected.Add(ctx, rejected)
		}
	}()

	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		res := rl.Resource().Attributes()
		hostname := e.hostname
		if v, ok := res.Get(schema.AttrHostName); ok && v.Str() != "" {
			hostname = v.Str()
		}
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				rec := lrs.At(k)
				if !isViolation(rec) {
					ignored++
					continue
				}
				sc.buf = e.render.appendAlert(sc.buf[:0], sc, hostname, res, rec)
				out := sc.buf
				if e.syslog != nil {
					sc.msg = e.syslog.appendMessage(sc.msg[:0], hostname, rec, sc.buf)
					out = sc.msg
				}
				err := e.sink.send(ctx, out)
				if err == nil {
					sent++
					if e.failing.Swap(false) {
						e.set.Logger.Info("The alert destination accepts alerts again")
					}
					continue
				}
				e.telemetry.ExporterAlertSendFailures.Add(ctx, 1)
				if consumererror.IsPermanent(err) {
					rejected++
					if firstRejection == nil {
						firstRejection = err
					}
					continue
				}
				if !e.failing.Swap(true) {
					e.set.Logger.Warn("The alert destination fails; alerts wait in the queue and are retried", zap.Error(err))
				}
				return consumererror.NewLogs(err, violationsFrom(ld, i, j, k))
			}
		}
	}
	if rejected > 0 {
		return consumererror.NewPermanent(fmt.Errorf("%d alert(s) rejected and dropped, %d sent; first: %w",
			rejected, sent, firstRejection))
	}
	return nil
}

func isViolation(rec plog.LogRecord) bool {
	_, ok := rec.Attributes().Get(schema.AttrSecurityRuleName)
	return ok
}

// violationsFrom copies the violations of ld from position (i, j, k) onward, keeping their
// resource and scope, for the retry of a partially delivered batch.
func violationsFrom(ld plog.Logs, i0, j0, k0 int) plog.Logs {
	out := plog.NewLogs()
	rls := ld.ResourceLogs()
	for i := i0; i < rls.Len(); i++ {
		rl := rls.At(i)
		var orl plog.ResourceLogs
		haveRL := false
		sls := rl.ScopeLogs()
		jStart := 0
		if i == i0 {
			jStart = j0
		}
		for j := jStart; j < sls.Len(); j++ {
			sl := sls.At(j)
			var osl plog.ScopeLogs
			haveSL := false
			lrs := sl.LogRecords()
			kStart := 0
			if i == i0 && j == j0 {
				kStart = k0
			}
			for k := kStart; k < lrs.Len(); k++ {
				rec := lrs.At(k)
				if !isViolation(rec) {
					continue
				}
				if !haveRL {
					orl = out.ResourceLogs().AppendEmpty()
					rl.Resource().CopyTo(orl.Resource())
					orl.SetSchemaUrl(rl.SchemaUrl())
					haveRL = true
				}
				if !haveSL {
					osl = orl.ScopeLogs().AppendEmpty()
					sl.Scope().CopyTo(osl.Scope())
					osl.SetSchemaUrl(sl.SchemaUrl())
					haveSL = true
				}
				rec.CopyTo(osl.LogRecords().AppendEmpty())
			}
		}
	}
	return out
}
