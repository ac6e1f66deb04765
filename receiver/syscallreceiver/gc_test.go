package syscallreceiver

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

func TestGCPercentFor(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, 400},         // nothing measured yet
		{1 * mib, 400},   // idle
		{25 * mib, 400},  // 500 k events/s: a heap goal of 125 MiB fits 128
		{32 * mib, 300},  // 4 x 32 = 128
		{40 * mib, 220},  // 128/40 = 3.2: the goal stays at the budget
		{64 * mib, 100},  // from here on the runtime's default
		{500 * mib, 100}, // never under it
		{1 << 62, 100},   // nor for absurd figures
		{3, gcPercent},   // a tiny heap: capped, no overflow
		{128 * mib, 100}, // the budget itself
		{100 * mib, 100}, // 1.28 x: under 2 x, so the default
		{60 * mib, 113},  // 2.13 x
		{42 * mib, 204},  // 3.04 x
		{26 * mib, 392},  // 4.92 x
	} {
		assert.Equal(t, c.want, gcPercentFor(c.live, 128*mib), "live %d MiB", c.live/mib)
	}
}

// The receiver's GC setting applies when the environment has neither variable, is shared by
// receivers and is put back by the last one; a GOGC in the environment turns it off.
func TestGCSetting(t *testing.T) {
	require.Zero(t, gcTuner.users, "a receiver started by another test still runs")
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(prev) })
	current := func() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }

	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	acquireGC(zap.NewNop())
	assert.Equal(t, 400, current())
	acquireGC(zap.NewNop()) // a second receiver
	releaseGC()
	assert.Equal(t, 400, current(), "one receiver still runs")
	releaseGC()
	assert.Equal(t, 100, current(), "the last one puts the setting back")
	releaseGC() // one too many is harmless
	assert.Equal(t, 100, current())

	t.Setenv("GOMEMLIMIT", "200MiB")
	acquireGC(zap.NewNop())
	assert.Equal(t, 400, current(), "GOMEMLIMIT bounds the heap")
	assert.Nil(t, gcTuner.stop, "no tuning within GOMEMLIMIT")
	releaseGC()
	assert.Equal(t, 100, current())

	t.Setenv("GOGC", "150")
	debug.SetGCPercent(150)
	acquireGC(zap.NewNop())
	assert.Equal(t, 150, current(), "the environment's GOGC is left alone")
	releaseGC()
	assert.Equal(t, 150, current())
}
