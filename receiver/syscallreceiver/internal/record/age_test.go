package record

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

// process.age_ns is the event's time less the process's start, on the same (boot) clock;
// absent while the start is unknown; never negative (procfs's start is cut to 10 ms).
func TestProcessAge(t *testing.T) {
	b, tb := newBuilder(t)
	ev := openat()
	ev.BootNs = 9_000_000_000

	lr := build(b, ev)
	_, ok := lr.Attributes().Get(schema.AttrProcessAge)
	assert.False(t, ok, "start unknown: no age")

	fork := &kevent.Event{Kind: kevent.KindProcessFork, Syscall: 56, PID: 100, TID: 100, PPID: 50, ChildPID: 200, BootNs: 2_000_000_000}
	build(b, fork)
	child := openat()
	child.PID, child.TID, child.PPID, child.BootNs = 200, 200, 100, 7_000_000_000
	lr = build(b, child)
	assert.Equal(t, int64(5_000_000_000), attrInt(t, lr.Attributes(), schema.AttrProcessAge))

	tb.Get(200).StartBootNs = int64(child.BootNs) + 5_000_000 // procfs's start, rounded, after the event
	lr = build(b, child)
	assert.Equal(t, int64(0), attrInt(t, lr.Attributes(), schema.AttrProcessAge))
}
