//go:build linux

package e2e

import (
	"sort"
	"testing"
	"time"
)

// BenchmarkAlertLatency measures the time from a violating syscall (the record's Timestamp, set
// in the kernel) to the alert's arrival in the backend's file, through the embedded otelsec:otlp
// configuration with its default batching. Reported as p50 and p99 over b.N alerts.
func BenchmarkAlertLatency(b *testing.B) {
	be := newBackend(b)
	be.start()
	sensor := newSensor(b, be, b.TempDir())
	sensor.start()
	v := violations[0] // cat /etc/shadow

	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pid := v.run(b, "")
		var arrived time.Time
		deadline := time.Now().Add(30 * time.Second)
		for arrived.IsZero() {
			if got := alertsFor(be.records(b), v.rule, pid); len(got) > 0 {
				arrived = time.Now()
				lat = append(lat, arrived.Sub(got[0].Time))
			} else if time.Now().After(deadline) {
				b.Fatalf("alert for pid %d not received within 30s", pid)
			} else {
				time.Sleep(5 * time.Millisecond)
			}
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}
