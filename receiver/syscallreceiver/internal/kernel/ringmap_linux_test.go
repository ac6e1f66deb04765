//go:build linux

package kernel

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

// ringMap maps a ring's data once, so a record that wraps past the ring's end is copied in two
// parts. In an 8 KiB ring, records of every length from 1 to 300 path bytes wrap at every
// offset: each one read must be whole (its path is one that was opened, in the order opened),
// and what is not read is counted as dropped.
func TestWrappedRecordsWhole(t *testing.T) {
	tr, err := New(Options{Events: []string{"file.open"}, RingBufferSize: 8 << 10, PriorityRingBufferSize: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Start(); err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	dir := t.TempDir()
	var paths []string
	for i := range 3000 {
		paths = append(paths, filepath.Join(dir, strings.Repeat("w", 1+i%300)))
	}

	var (
		mu  sync.Mutex
		got []string
	)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- tr.Read(ctx, func(ev *kevent.Event) {
			if ev.Kind == kevent.KindFileOpen && ev.PID == uint32(self) && strings.HasPrefix(string(ev.Path.B), dir+"/") {
				mu.Lock()
				got = append(got, string(ev.Path.B))
				mu.Unlock()
			}
		})
	}()
	for _, p := range paths {
		if f, err := os.Open(p); err == nil { // ENOENT: the failed open is an event too
			f.Close()
		}
	}
	time.Sleep(300 * time.Millisecond)
	cancel()
	<-done
	drops, err := tr.Drops()
	if err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	next := 0 // the received paths are the opened ones, in order, some left out
	for i, g := range got {
		for next < len(paths) && paths[next] != g {
			next++
		}
		if next == len(paths) {
			t.Fatalf("record %d: path %q (%d bytes) is not the next opened one: cut or mixed", i, g, len(g))
		}
		next++
	}
	if len(got) < 300 {
		t.Fatalf("read %d records, dropped %d: too few to have wrapped at many offsets", len(got), drops)
	}
	if uint64(len(got))+drops < uint64(len(paths)) {
		t.Fatalf("read %d + dropped %d < %d opened", len(got), drops, len(paths))
	}
	t.Logf("read %d whole records, %d dropped", len(got), drops)
}
