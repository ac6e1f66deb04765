package kernel

import "github.com/otelsec/otelsec/bpf"

// Ring names one of the kernel's ring buffers (bpf/lib/record.h enum ring).
type Ring int

const (
	// RingBulk carries every kind but the high-value ones.
	RingBulk = Ring(bpf.OtelsecRingRING_BULK)
	// RingPriority carries the high-value kinds (events.Spec.Priority), so that a flood of
	// the others cannot crowd them out.
	RingPriority = Ring(bpf.OtelsecRingRING_PRIO)
	// NumRings is the number of rings.
	NumRings = int(bpf.OtelsecRingNRINGS)
)

// String is the ring's name in telemetry: "bulk", "priority".
func (r Ring) String() string {
	if r == RingPriority {
		return "priority"
	}
	return "bulk"
}
