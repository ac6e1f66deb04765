//go:build linux

package syscallreceiver

import (
	"strconv"
	"testing"
)

func TestSeenSet(t *testing.T) {
	var s seenSet
	if !s.add("a") || s.add("a") {
		t.Fatal("a first add is new, a second is not")
	}
	for i := range 3 * seenSetSize {
		if !s.add(strconv.Itoa(i)) {
			t.Fatalf("id %d seen before it was added", i)
		}
		if len(s.cur)+len(s.prev) > 2*seenSetSize {
			t.Fatalf("holds %d ids, bound %d", len(s.cur)+len(s.prev), 2*seenSetSize)
		}
	}
	if s.add(strconv.Itoa(3*seenSetSize - 1)) {
		t.Error("the newest id was forgotten")
	}
	if !s.add("a") {
		t.Error("the oldest id is still remembered past the bound")
	}
}
