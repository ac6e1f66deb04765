//go:build linux

package bench

import (
	"sort"
	"testing"
	"time"
)

// rounds holds one figure per run of a workload, without the sensor and with it, by round.
type rounds struct {
	off, on [][]float64
}

// sensorCost is what the sensor spent and saw during the on-runs, added up.
type sensorCost struct {
	usage
	wall    time.Duration // the on-runs' own duration
	peakRSS float64       // MiB, the highest VmHWM of the sensors
}

// alternate runs n rounds of perMode runs of the workload each way, in an order that flips
// every round so that neither side always runs first. The sensor is started afresh for each
// round's on-runs, once it is ready, and stopped after them, so that no off-run has it. run
// does one run of the workload and returns its figures, always the same number of them in the
// same order; alternate returns them by figure, and adds to cost what the sensor spent during
// the on-runs.
func alternate(b *testing.B, bin string, n, perMode int, cost *sensorCost, run func() []float64) []rounds {
	var figures []rounds
	add := func(round int, on bool, figs []float64) {
		if figures == nil {
			figures = make([]rounds, len(figs))
		}
		for k, v := range figs {
			r := &figures[k]
			for len(r.off) <= round {
				r.off, r.on = append(r.off, nil), append(r.on, nil)
			}
			if on {
				r.on[round] = append(r.on[round], v)
			} else {
				r.off[round] = append(r.off[round], v)
			}
		}
	}
	for i := 0; i < n; i++ {
		offRuns := func() {
			for j := 0; j < perMode; j++ {
				add(i, false, run())
			}
		}
		onRuns := func() {
			s := startSensor(b, bin)
			for j := 0; j < perMode; j++ {
				before, start := s.usage(), time.Now()
				figs := run()
				cost.wall += time.Since(start)
				spent := s.usage().sub(before)
				cost.cpu += spent.cpu
				cost.events += spent.events
				cost.dropped += spent.dropped
				cost.peakRSS = max(cost.peakRSS, s.memory("VmHWM"))
				add(i, true, figs)
			}
			s.stop()
		}
		if i%2 == 0 {
			offRuns()
			onRuns()
		} else {
			onRuns()
			offRuns()
		}
	}
	return figures
}

// report gives the sensor's figures common to every workload: CPU per event seen (its idle
// cost included), its CPU as a share of one core while the workload ran, the events per
// second it saw, what it dropped and its peak RSS.
func (c sensorCost) report(b *testing.B) {
	b.ReportMetric(float64(c.cpu.Microseconds())/c.events, "sensor-us/event")
	b.ReportMetric(100*c.cpu.Seconds()/c.wall.Seconds(), "sensor-cpu-%")
	b.ReportMetric(c.events/c.wall.Seconds(), "events/s")
	b.ReportMetric(c.dropped, "dropped")
	b.ReportMetric(c.peakRSS, "peak-rss-MiB")
}

// report gives a figure's pooled medians off and on, as "off-<unit>" and "on-<unit>", and
// its ratio as "<unit>-on/off".
func (r rounds) report(b *testing.B, unit string) {
	off, on := r.medians()
	b.ReportMetric(off, "off-"+unit)
	b.ReportMetric(on, "on-"+unit)
	b.ReportMetric(r.ratio(b, unit), unit+"-on/off")
}

// ratio is the median over rounds of each round's on/off ratio: a round's runs are next to
// each other in time, so the ratio of a round is the least touched by the machine's load
// changing under the benchmark (other users' builds here), and the median drops the round that
// a burst hit anyway. Each round is logged, to show how much the machine moved.
func (r rounds) ratio(b *testing.B, unit string) float64 {
	var ratios []float64
	for i := range r.off {
		ratios = append(ratios, median(r.on[i])/median(r.off[i]))
		b.Logf("round %d %s: off %.3g on %.3g, on/off %.3f", i+1, unit, r.off[i], r.on[i], ratios[i])
	}
	return median(ratios)
}

// medians are the medians of every off-run and of every on-run.
func (r rounds) medians() (off, on float64) {
	var allOff, allOn []float64
	for i := range r.off {
		allOff, allOn = append(allOff, r.off[i]...), append(allOn, r.on[i]...)
	}
	return median(allOff), median(allOn)
}

// sumOn is the total of every on-run's figure.
func (r rounds) sumOn() float64 {
	var t float64
	for _, runs := range r.on {
		for _, v := range runs {
			t += v
		}
	}
	return t
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
