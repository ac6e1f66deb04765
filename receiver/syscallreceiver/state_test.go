package syscallreceiver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/schema"
)

func TestMarkerRoundTrip(t *testing.T) {
	m := marker{PID: 4242, Started: 1_700_000_000_000_000_000, Through: 1_700_000_123_456_789_012}
	got, err := decodeMarker(m.encode())
	require.NoError(t, err)
	assert.Equal(t, m, got)
	_, err = decodeMarker([]byte("{torn"))
	assert.ErrorContains(t, err, "unreadable marker")
}

// The heartbeat's time: everything before it was accepted by the pipeline or reported lost.
func TestDeliveryTrackerThrough(t *testing.T) {
	const s = int64(time.Second)
	d := newDeliveryTracker(100 * s)
	margin := int64(readMargin)

	// Nothing in flight, nothing lost: the heartbeat's own time, less what the ring may hold.
	assert.Equal(t, 200*s-margin, d.through(200*s, 199*s, false, true))
	// A batch in flight holds the time at its first event until it is done.
	a := d.begin(201 * s)
	b := d.begin(202 * s)
	assert.Equal(t, 201*s, d.through(203*s, 202*s, false, true))
	d.done(a)
	assert.Equal(t, 202*s, d.through(203*s, 202*s, false, true))
	d.done(b)
	// The reader is behind: the ring holds events older than now.
	assert.Equal(t, 190*s, d.through(204*s, 190*s, true, true))
	// A loss counted but not yet reported keeps the time where everything was last reported,
	// however long that takes.
	assert.Equal(t, 190*s, d.through(210*s, 209*s, false, false))
	assert.Equal(t, 190*s, d.through(220*s, 219*s, false, false))
	assert.Equal(t, 230*s-margin, d.through(230*s, 229*s, false, true))
}

func TestUncleanStopRecord(t *testing.T) {
	lr := plog.NewLogRecord()
	now := time.Date(2026, 12, 2, 10, 0, 5, 0, time.UTC)
	uncleanStop(lr, marker{PID: 77, Through: time.Date(2026, 12, 2, 10, 0, 1, 250_000_000, time.UTC).UnixNano()}, now)
	assert.Equal(t, schema.EventAgentUncleanStop, lr.EventName())
	assert.Equal(t, plog.SeverityNumberWarn, lr.SeverityNumber())
	assert.Equal(t, now, lr.Timestamp().AsTime())
	a := lr.Attributes().AsRaw()
	assert.Equal(t, "2026-12-02T10:00:01.25Z", a[schema.AttrUncleanStopWindowStart])
	assert.Equal(t, "2026-12-02T10:00:05Z", a[schema.AttrUncleanStopWindowEnd])
	assert.Equal(t, int64(77), a[schema.AttrUncleanStopPreviousPID])

	uncleanStop(lr, marker{}, now) // an unreadable marker
	a = lr.Attributes().AsRaw()
	assert.Equal(t, "unknown", a[schema.AttrUncleanStopWindowStart])
}
