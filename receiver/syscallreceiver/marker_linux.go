//go:build linux

package syscallreceiver // import "github.com/otelsec/otelsec/receiver/syscallreceiver"

import (
	"context"
	"os"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.uber.org/zap"
)

// The running marker (see state.go): read at start, kept by the heartbeat, removed by a clean
// shutdown.

// openMarker connects to the storage and reads what the previous run left: a marker means it
// never shut down, and this start reports its window.
func (r *logsReceiver) openMarker(ctx context.Context, host component.Host) error {
	if r.cfg.Storage == nil {
		return nil
	}
	store, err := openStorage(ctx, host, *r.cfg.Storage, r.set.ID)
	if err != nil {
		return err
	}
	b, err := store.Get(ctx, markerKey)
	if err != nil {
		_ = store.Close(ctx)
		return err
	}
	r.store = store
	if b == nil {
		return nil
	}
	prev, err := decodeMarker(b)
	if err != nil {
		// The window is then unknown (window.start "unknown"); the stop is still reported.
		r.set.Logger.Warn("The previous run's marker is unreadable", zap.Error(err))
	}
	r.unclean = &prev
	r.track = newDeliveryTracker(prev.Through)
	r.set.Logger.Warn("The previous run of the sensor did not shut down (killed, crashed or power lost): events may be missing",
		zap.Int("previous_pid", prev.PID),
		zap.Time("since", time.Unix(0, prev.Through)), zap.Time("until", r.startedAt))
	return nil
}

// heartbeatLoop rewrites the marker every heartbeatInterval.
func (r *logsReceiver) heartbeatLoop(ctx context.Context) {
	defer r.readers.Done()
	tick := time.NewTicker(heartbeatInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			r.heartbeat(now)
		}
	}
}

func (r *logsReceiver) heartbeat(now time.Time) {
	r.mu.Lock()
	lastEvent, lagging := r.lastEvent, r.lastLag > int64(lagLimit)
	r.mu.Unlock()
	through := r.track.through(now.UnixNano(), lastEvent, lagging, r.allReported())
	m := marker{PID: os.Getpid(), Started: r.startedAt.UnixNano(), Through: through}
	// A local write; the storage's own context handling is not needed to bound it.
	err := r.store.Set(context.Background(), markerKey, m.encode())
	switch {
	case err != nil && !r.markerFailing:
		r.set.Logger.Error("Cannot write the running marker: an unclean stop would go unreported", zap.Error(err))
	case err == nil && r.markerFailing:
		r.set.Logger.Info("The running marker is written again")
	}
	r.markerFailing = err != nil
}

// finishMarker ends the marker at shutdown: removed when every event read was delivered and
// every loss reported; otherwise kept, so the next start reports the window. It also says in
// the log what this run lost.
func (r *logsReceiver) finishMarker() error {
	totals := r.lossTotals()
	clean := r.allReported()
	if totals != (lossTotals{}) {
		fields := []zap.Field{zap.Bool("all_reported", clean)}
		for i, n := range totals {
			fields = append(fields, zap.Uint64(lossReasons[i], n))
		}
		r.set.Logger.Warn("Events lost since start", fields...)
	}
	if r.store == nil {
		return nil
	}
	var err error
	if clean {
		err = r.store.Delete(context.Background(), markerKey)
	} else {
		r.set.Logger.Error("Not every loss was reported downstream; the next start reports this run as an unclean stop")
		r.heartbeat(time.Now())
	}
	if cerr := r.store.Close(context.Background()); err == nil {
		err = cerr
	}
	return err
}
