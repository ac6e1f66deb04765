package syscallreceiver // import "github.com/otelsec/otelsec/receiver/syscallreceiver"

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/schema"
)

// A sensor that is killed (SIGKILL, the OOM killer, a crash, power loss) loses what it had read
// but not yet handed to the pipeline, and nothing it ran says so. So while it runs the receiver
// keeps a marker in a storage extension, rewritten every heartbeatInterval with the time up to
// which every event it read was accepted by the pipeline or reported lost; a clean shutdown
// removes it. A start that finds a marker reports the window from that time to itself in one
// agent.unclean_stop record.

const (
	markerKey         = "running"
	heartbeatInterval = time.Second
	// readMargin: an event this much older than a heartbeat may still wait in the kernel ring.
	readMargin = 100 * time.Millisecond
	// lagLimit: when the last event read was this much older than its reading, the reader is
	// behind and the ring holds older events than the heartbeat's time.
	lagLimit = 50 * time.Millisecond
)

// marker is what a running sensor keeps in storage.
type marker struct {
	PID     int   `json:"pid"`
	Started int64 `json:"started_unix_nano"`
	// Through: every event before it was accepted by the pipeline or reported lost.
	Through int64 `json:"through_unix_nano"`
}

func (m marker) encode() []byte {
	b, _ := json.Marshal(m) // three ints: cannot fail
	return b
}

func decodeMarker(b []byte) (marker, error) {
	var m marker
	if err := json.Unmarshal(b, &m); err != nil {
		return marker{}, fmt.Errorf("unreadable marker %q: %w", b, err)
	}
	return m, nil
}

// openStorage returns the receiver's client of the configured storage extension.
func openStorage(ctx context.Context, host component.Host, ext, self component.ID) (storage.Client, error) {
	e, ok := host.GetExtensions()[ext]
	if !ok {
		return nil, fmt.Errorf("storage %s: no such extension (add it under extensions and service.extensions)", ext)
	}
	se, ok := e.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("storage %s: not a storage extension", ext)
	}
	c, err := se.GetClient(ctx, component.KindReceiver, self, "")
	if err != nil {
		return nil, fmt.Errorf("storage %s: %w", ext, err)
	}
	return c, nil
}

// deliveryTracker knows which batches of events are read but not yet accepted by the
// pipeline, and from that the time a heartbeat records.
type deliveryTracker struct {
	mu      sync.Mutex
	next    uint64
	pending map[uint64]int64 // batch id → unix ns of its first event
	// clean is the last heartbeat time at which every loss counted had been reported.
	clean int64
}

func newDeliveryTracker(clean int64) *deliveryTracker {
	return &deliveryTracker{pending: map[uint64]int64{}, clean: clean}
}

// begin registers a batch whose first event happened at first (unix ns); done ends it,
// accepted by the pipeline or counted lost.
func (d *deliveryTracker) begin(first int64) uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.next++
	d.pending[d.next] = first
	return d.next
}

func (d *deliveryTracker) done(id uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.pending, id)
}

// through is the time for a heartbeat at now: before it every event was accepted or reported
// lost. lastEvent/lagging: the last event read and whether the reader is behind (the ring then
// holds events older than now). reported: every loss counted so far has been reported
// downstream; if not, the time stays at the last heartbeat where that held.
func (d *deliveryTracker) through(now, lastEvent int64, lagging, reported bool) int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	t := now - int64(readMargin)
	if lagging {
		t = min(t, lastEvent)
	}
	for _, first := range d.pending {
		t = min(t, first)
	}
	if !reported {
		return min(t, d.clean)
	}
	d.clean = t
	return t
}

// uncleanStop fills lr as the agent.unclean_stop record for the previous run prev, found at
// now.
func uncleanStop(lr plog.LogRecord, prev marker, now time.Time) {
	ts := pcommon.NewTimestampFromTime(now)
	lr.SetEventName(schema.EventAgentUncleanStop)
	lr.SetTimestamp(ts)
	lr.SetObservedTimestamp(ts)
	lr.SetSeverityNumber(plog.SeverityNumberWarn)
	lr.SetSeverityText("WARN")
	a := lr.Attributes()
	start := "unknown" // an unreadable marker
	if prev.Through != 0 {
		start = time.Unix(0, prev.Through).UTC().Format(time.RFC3339Nano)
	}
	a.PutStr(schema.AttrUncleanStopWindowStart, start)
	a.PutStr(schema.AttrUncleanStopWindowEnd, now.UTC().Format(time.RFC3339Nano))
	a.PutInt(schema.AttrUncleanStopPreviousPID, int64(prev.PID))
	a.PutInt(schema.AttrProcessPID, int64(os.Getpid()))
}
