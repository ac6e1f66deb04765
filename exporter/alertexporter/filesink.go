package alertexporter // import "github.com/otelsec/otelsec/exporter/alertexporter"

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"sync"
)

// sink is one alert destination. send gets one rendered alert; the slice is reused after
// send returns. An error wrapped with consumererror.NewPermanent means "drop, don't retry".
type sink interface {
	send(ctx context.Context, alert []byte) error
	close(ctx context.Context) error
}

// writerSink writes alerts to a stream (stdout). Writers are serialised so concurrent queue
// consumers never interleave two alerts.
type writerSink struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *writerSink) send(_ context.Context, alert []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.w.Write(alert)
	return err
}

// close has nothing to flush: writes to the stream are unbuffered.
func (s *writerSink) close(context.Context) error { return nil }

// fileSink appends alerts to a file created with mode 0600 (alerts name users, commands and
// paths) and rotates it by size: path → path.1 → ... → path.<maxBackups>, the oldest deleted.
// Our own small rotation keeps the module graph as it is.
type fileSink struct {
	path       string
	maxBytes   int64 // 0: never rotate
	maxBackups int

	mu   sync.Mutex
	f    *os.File
	size int64
}

func newFileSink(path string, maxBytes int64, maxBackups int) *fileSink {
	return &fileSink{path: path, maxBytes: maxBytes, maxBackups: maxBackups}
}

// open opens (or creates) the file for appending; an existing file keeps its content, so
// alerts accumulate across restarts.
func (s *fileSink) open() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.openLocked()
}

func (s *fileSink) openLocked() error {
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open alert file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("stat alert file: %w", err)
	}
	s.f, s.size = f, st.Size()
	return nil
}

func (s *fileSink) send(_ context.Context, alert []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		// A previous rotation failed half-way or the sink was closed; try to reopen so a
		// transient failure (disk full, removed directory) heals on retry.
		if err := s.openLocked(); err != nil {
			return err
		}
	}
	// Rotate before the write that would cross the limit; an alert larger than the limit
	// still goes, alone, into a fresh file rather than being lost.
	if s.maxBytes > 0 && s.size > 0 && s.size+int64(len(alert)) > s.maxBytes {
		if err := s.rotateLocked(); err != nil {
			return err
		}
	}
	n, err := s.f.Write(alert)
	if err != nil {
		// A short write (disk full) leaves a torn alert; cut it off so the retry appends a
		// whole one. If even that fails, end the torn line so the next alert stays parseable.
		if n > 0 {
			if terr := s.f.Truncate(s.size); terr != nil {
				if _, werr := s.f.Write([]byte{'\n'}); werr == nil {
					s.size += int64(n) + 1
				}
			}
		}
		return fmt.Errorf("write alert file: %w", err)
	}
	s.size += int64(n)
	return nil
}

func (s *fileSink) rotateLocked() error {
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("sync alert file before rotation: %w", err)
	}
	if err := s.f.Close(); err != nil {
		s.f = nil
		return fmt.Errorf("close alert file for rotation: %w", err)
	}
	s.f = nil
	if s.maxBackups == 0 {
		if err := os.Remove(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotate alert file: %w", err)
		}
	} else {
		oldest := s.backupName(s.maxBackups)
		if err := os.Remove(oldest); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotate alert file: %w", err)
		}
		for i := s.maxBackups - 1; i >= 1; i-- {
			if err := os.Rename(s.backupName(i), s.backupName(i+1)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("rotate alert file: %w", err)
			}
		}
		if err := os.Rename(s.path, s.backupName(1)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotate alert file: %w", err)
		}
	}
	return s.openLocked()
}

func (s *fileSink) backupName(i int) string {
	return s.path + "." + strconv.Itoa(i)
}

// close flushes the file to disk so alerts written before a shutdown survive a crash of
// the machine right after it.
func (s *fileSink) close(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := errors.Join(s.f.Sync(), s.f.Close())
	s.f = nil
	return err
}
