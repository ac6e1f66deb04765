// Package testport picks loopback ports for the collectors that tests start.
package testport

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var (
	mu     sync.Mutex
	handed = map[int]bool{}
)

// Free returns a loopback TCP port that nothing listens on and that this process has not
// handed out before. It is taken below the kernel's ephemeral range: a port the kernel picks
// (127.0.0.1:0) and the test releases can be taken by any outgoing connection before the
// collector binds it, which on a busy machine happens.
func Free(t testing.TB) int {
	t.Helper()
	lo, hi := 10000, ephemeralStart()-1
	mu.Lock()
	defer mu.Unlock()
	if hi > lo {
		for range 2000 {
			p := lo + rand.IntN(hi-lo+1)
			if handed[p] {
				continue
			}
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if err != nil {
				continue
			}
			l.Close()
			handed[p] = true
			return p
		}
	}
	// No room below the ephemeral range: take one the kernel picks.
	for {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !handed[p] {
			handed[p] = true
			return p
		}
	}
}

// ephemeralStart is the first port of net.ipv4.ip_local_port_range (32768 when unreadable).
func ephemeralStart() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 32768
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		return 32768
	}
	return n
}
