//go:build linux

package kernel

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

// floodResult is what floodHighValue saw.
type floodResult struct {
	markers, want int // marker execs received, and made
	opens         int // flood opens received
	drops         [NumRings]uint64
	// ordered and misordered count the markers whose shell's open was received too: ordered
	// when it came before the exec that followed it.
	ordered, misordered int
}

// flood shapes floodHighValue's run.
type flood struct {
	ring    int           // RingBufferSize
	markers int           // marker shells made
	spacing time.Duration // between two markers
	// paced: each flood process opens at most this many times, at floodPacedRate, instead of
	// as fast as it can until killed; the reader then spends pacedSpin per record.
	paced int
}

// floodPacedRate bounds the opens per second of a paced flood process; pacedSpin (20 k
// records/s) keeps a reader behind two of them.
const (
	floodPacedRate = 20000
	pacedSpin      = 50 * time.Microsecond
)

// floodHighValue runs two processes that open a file in a tight loop and, while they run,
// makes markers shells that open a file of their own and then exec /bin/true (a fork, an open,
// two execs and an exit each), and counts what the tracer delivered, and in which order. The reader spends 5 µs per record, as the whole collector did when the flood was
// first measured (issue 10: two such processes, 200 k opens/s, 46 % dropped, so about 100 k
// records/s got through the receiver, the rules and the exporters), so the flood overruns the
// ring as it did there.
func floodHighValue(tb testing.TB, f flood) floodResult {
	tb.Helper()
	ring, markers, spacing := f.ring, f.markers, f.spacing
	spin, action := 5*time.Microsecond, "flood:"
	if f.paced > 0 {
		spin, action = pacedSpin, fmt.Sprintf("flood-paced:%d:", f.paced)
	}
	tr, err := New(Options{Events: []string{"file.open", "process.exec", "process.fork", "process.exit"}, RingBufferSize: ring})
	if err != nil {
		tb.Fatal(err)
	}
	if err := tr.Start(); err != nil {
		tb.Fatal(err)
	}
	defer tr.Close()
	target := filepath.Join(tb.TempDir(), "flood-target")
	if err := os.WriteFile(target, nil, 0o600); err != nil {
		tb.Fatal(err)
	}
	tag := fmt.Sprintf("otelsec-flood-%d-", time.Now().UnixNano())
	markerFile := filepath.Join(tb.TempDir(), tag)
	if err := os.WriteFile(markerFile, nil, 0o600); err != nil {
		tb.Fatal(err)
	}

	var (
		mu    sync.Mutex
		last  time.Time
		opens = map[uint32]bool{}   // pids whose open of markerFile came
		execs = map[uint32]string{} // pid -> the marker it exec'd
		order = map[uint32]bool{}   // pid -> its open came before its exec
		res   floodResult
	)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- tr.Read(ctx, func(ev *kevent.Event) {
			for t0 := time.Now(); time.Since(t0) < spin; {
			}
			mu.Lock()
			defer mu.Unlock()
			last = time.Now()
			switch {
			case ev.Kind == kevent.KindFileOpen && string(ev.Path.B) == target:
				res.opens++
			case ev.Kind == kevent.KindFileOpen && string(ev.Path.B) == markerFile:
				opens[ev.PID] = true
				if _, exec := execs[ev.PID]; exec {
					order[ev.PID] = false
				}
			case ev.Kind == kevent.KindProcessExec && ev.Ret == 0:
				kevent.Args(ev.Argv.B, 0, func(a []byte) {
					if s := string(a); strings.HasPrefix(s, tag) {
						execs[ev.PID] = s
						if opens[ev.PID] {
							order[ev.PID] = true
						}
					}
				})
			}
		})
	}()

	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	var flood []*exec.Cmd
	for range 2 {
		cmd := exec.Command(exe)
		cmd.Env = append(os.Environ(), helperEnv+"="+action+target)
		if err := cmd.Start(); err != nil {
			tb.Fatal(err)
		}
		flood = append(flood, cmd)
	}
	defer func() {
		for _, c := range flood {
			c.Process.Kill()
			c.Wait()
		}
	}()
	time.Sleep(300 * time.Millisecond) // the flood is on before the first marker
	for i := range markers {
		sh := fmt.Sprintf(": < %s; exec /bin/true %s%d", markerFile, tag, i)
		if err := exec.Command("/bin/sh", "-c", sh).Run(); err != nil {
			tb.Fatal(err)
		}
		time.Sleep(spacing)
	}
	time.Sleep(300 * time.Millisecond)
	for _, c := range flood {
		c.Process.Kill()
		c.Wait()
	}
	flood = nil
	// Let the reader drain what the rings still hold: until nothing came for 200 ms.
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		mu.Lock()
		quiet := time.Since(last) > 200*time.Millisecond
		mu.Unlock()
		if quiet {
			break
		}
	}
	cancel()
	if err := <-done; err != nil {
		tb.Fatal(err)
	}
	d, err := tr.DropsByRing()
	if err != nil {
		tb.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	res.markers, res.want, res.drops = len(execs), markers, d
	for _, ok := range order {
		if ok {
			res.ordered++
		} else {
			res.misordered++
		}
	}
	return res
}

// A flood of opens must not hide the rare events the rules look for: they travel in a ring of
// their own. The flood itself still loses records, and they are counted; and what a process did
// comes out in the order it did it, whichever ring each record took.
func TestFloodKeepsHighValueEvents(t *testing.T) {
	r := floodHighValue(t, flood{ring: 1 << 18, markers: 20, spacing: 50 * time.Millisecond})
	t.Logf("markers %d/%d, flood opens read %d, dropped %d (bulk) %d (priority), open before exec %d, after %d",
		r.markers, r.want, r.opens, r.drops[RingBulk], r.drops[RingPriority], r.ordered, r.misordered)
	if r.drops[RingBulk] == 0 {
		t.Fatalf("the flood caused no drops (read %d opens): it did not test anything", r.opens)
	}
	if r.markers < 19 {
		t.Errorf("%d of %d marker execs received during the flood, want >= 19", r.markers, r.want)
	}
	if r.misordered > 0 || r.ordered == 0 {
		t.Errorf("a shell's open came after the exec it made next %d times (before: %d)", r.misordered, r.ordered)
	}
}

// The rings are read at different lags (the bulk ring is behind by what it holds): the merge
// must still hand over a process's records in order. A ring large enough to hold the whole
// flood keeps the shells' opens, which travel in the bulk ring, while the reader falls behind.
// The flood is paced and bounded (2 x 40 k opens of at most 256 bytes, 20 MiB of a 32 MiB ring),
// so that it fits however fast this machine runs it (as fast as it could, it outran the ring on
// an unloaded machine), and the reader is slower still, so that it lags.
func TestFloodKeepsOrder(t *testing.T) {
	r := floodHighValue(t, flood{ring: 1 << 25, markers: 20, spacing: 25 * time.Millisecond, paced: 40000})
	t.Logf("markers %d/%d, flood opens read %d, dropped %d (bulk) %d (priority), open before exec %d, after %d",
		r.markers, r.want, r.opens, r.drops[RingBulk], r.drops[RingPriority], r.ordered, r.misordered)
	if r.drops[RingBulk] > 0 {
		t.Errorf("the paced flood overran the ring (%d dropped): it must fit", r.drops[RingBulk])
	}
	if r.misordered > 0 || r.ordered < 15 {
		t.Errorf("a shell's open came after the exec it made next %d times (before: %d, want >= 15)", r.misordered, r.ordered)
	}
}

// BenchmarkFloodHighValue reports the share of high-value events received under a flood that
// overruns the ring (high-value-received/op: 1 is all of them).
func BenchmarkFloodHighValue(b *testing.B) {
	var got, want int
	var drops uint64
	for b.Loop() {
		r := floodHighValue(b, flood{ring: 1 << 18, markers: 50, spacing: 20 * time.Millisecond})
		got, want, drops = got+r.markers, want+r.want, drops+r.drops[RingBulk]+r.drops[RingPriority]
	}
	b.ReportMetric(float64(got)/float64(want), "high-value-received/op")
	b.ReportMetric(float64(drops)/float64(b.N), "drops/op")
}
