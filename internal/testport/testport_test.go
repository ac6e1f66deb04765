package testport

import (
	"net"
	"strconv"
	"testing"
)

// The ports are bindable, distinct and below the ephemeral range.
func TestFree(t *testing.T) {
	seen := map[int]bool{}
	for range 50 {
		p := Free(t)
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
		if p >= ephemeralStart() {
			t.Fatalf("port %d is in the ephemeral range (from %d)", p, ephemeralStart())
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			t.Fatalf("port %d: %v", p, err)
		}
		l.Close()
	}
}
