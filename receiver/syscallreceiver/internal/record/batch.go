package record // import "github.com/otelsec/otelsec/receiver/syscallreceiver/internal/record"

import (
	"bytes"
	"os"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/schema"

	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/validutf8"
)

// Host is what the resource of every batch says about where the events happened.
type Host struct {
	Name           string
	ID             string
	ServiceName    string
	ServiceVersion string
}

// LocalHost reads the host name and /etc/machine-id (or dbus's copy of it).
func LocalHost(serviceName, serviceVersion string) Host {
	h := Host{ServiceName: serviceName, ServiceVersion: serviceVersion}
	if n, err := os.Hostname(); err == nil {
		h.Name = validutf8.Clean(n)
	}
	for _, p := range []string{"/etc/machine-id", "/var/lib/dbus/machine-id"} {
		if b, err := os.ReadFile(p); err == nil {
			if id := bytes.TrimSpace(b); len(id) > 0 {
				h.ID = validutf8.Clean(string(id))
				break
			}
		}
	}
	return h
}

func (h Host) fill(r pcommon.Resource) {
	a := r.Attributes()
	a.EnsureCapacity(5)
	if h.Name != "" {
		a.PutStr(schema.AttrHostName, h.Name)
	}
	if h.ID != "" {
		a.PutStr(schema.AttrHostID, h.ID)
	}
	a.PutStr(schema.AttrOSType, "linux")
	a.PutStr(schema.AttrServiceName, h.ServiceName)
	if h.ServiceVersion != "" {
		a.PutStr(schema.AttrServiceVersion, h.ServiceVersion)
	}
}

// Batch collects records under one resource and scope until it is taken.
type Batch struct {
	host     Host
	scope    string
	version  string
	capacity int
	logs     plog.Logs
	records  plog.LogRecordSlice
}

// NewBatch returns an empty batch whose records are preallocated for capacity.
func NewBatch(host Host, scopeName, scopeVersion string, capacity int) *Batch {
	b := &Batch{host: host, scope: scopeName, version: scopeVersion, capacity: capacity}
	b.reset()
	return b
}

func (b *Batch) reset() {
	b.logs, b.records = b.Empty()
	b.records.EnsureCapacity(b.capacity)
}

// Append adds an empty record and returns it for filling.
func (b *Batch) Append() plog.LogRecord { return b.records.AppendEmpty() }

// Len is the number of records collected so far.
func (b *Batch) Len() int { return b.records.Len() }

// Take returns the records collected so far and starts a new batch. The returned Logs belong
// to the caller (they are handed to the pipeline, which may keep them).
func (b *Batch) Take() plog.Logs {
	l := b.logs
	b.reset()
	return l
}

// Dropped fills lr as an agent.events_dropped record: count events lost for reason since the
// previous report, total since start.
func Dropped(lr plog.LogRecord, reason string, count, total uint64, now time.Time) {
	ts := pcommon.NewTimestampFromTime(now)
	lr.SetEventName(schema.EventAgentEventsDropped)
	lr.SetTimestamp(ts)
	lr.SetObservedTimestamp(ts)
	lr.SetSeverityNumber(plog.SeverityNumberWarn)
	lr.SetSeverityText("WARN")
	a := lr.Attributes()
	a.PutStr(schema.AttrDroppedReason, reason)
	a.PutInt(schema.AttrDroppedCount, int64(count))
	a.PutInt(schema.AttrDroppedTotal, int64(total))
	a.PutInt(schema.AttrProcessPID, int64(os.Getpid()))
}

// Empty returns a new Logs with the batch's resource and scope and no records, for records
// that travel apart from the batch (agent.events_dropped). The batch is not touched; the
// caller may use it from another goroutine.
func (b *Batch) Empty() (plog.Logs, plog.LogRecordSlice) {
	l := plog.NewLogs()
	rl := l.ResourceLogs().AppendEmpty()
	b.host.fill(rl.Resource())
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(b.scope)
	sl.Scope().SetVersion(b.version)
	return l, sl.LogRecords()
}
