package alertexporter // import "github.com/otelsec/otelsec/exporter/alertexporter"

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
)

// syslogSink sends each message to a syslog daemon over one connection, dialled on first use
// and again after any failure, so a restarted daemon is found again on retry. Sends are
// serialised: a stream carries one message at a time, and a daemon is not faster with more.
type syslogSink struct {
	cfg     *SyslogConfig
	address string
	timeout time.Duration

	mu      sync.Mutex
	conn    net.Conn
	framing string // of the current connection; "" on a datagram socket
	frame   []byte // the framed message, reused
}

func newSyslogSink(cfg *SyslogConfig) *syslogSink {
	return &syslogSink{cfg: cfg, address: cfg.address(), timeout: cfg.Timeout}
}

func (s *syslogSink) send(ctx context.Context, msg []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	deadline := time.Now().Add(s.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	// A daemon that restarted closed our stream; a write would still succeed into the
	// socket buffer and the message would be lost, so look before writing.
	if s.conn != nil && s.framing != "" && peerClosed(s.conn) {
		s.closeLocked()
	}
	if s.conn == nil {
		if err := s.dialLocked(ctx, deadline); err != nil {
			return fmt.Errorf("syslog %s %s: %w", s.cfg.Network, s.address, err)
		}
	}

	out := msg
	switch s.framing {
	case FramingOctetCounting:
		s.frame = strconv.AppendInt(s.frame[:0], int64(len(msg)), 10)
		s.frame = append(s.frame, ' ')
		out = append(s.frame, msg...)
		s.frame = out
	case FramingNonTransparent:
		out = append(append(s.frame[:0], msg...), '\n')
		s.frame = out
	}
	if err := s.conn.SetWriteDeadline(deadline); err != nil {
		s.closeLocked()
		return fmt.Errorf("syslog %s %s: %w", s.cfg.Network, s.address, err)
	}
	if _, err := s.conn.Write(out); err != nil {
		// A stream may now end in half a message; a fresh connection starts clean and the
		// daemon drops the torn frame with the old one.
		s.closeLocked()
		err = fmt.Errorf("syslog %s %s: %w", s.cfg.Network, s.address, err)
		if errors.Is(err, syscall.EMSGSIZE) {
			// Larger than a datagram can be: it would be refused again.
			return consumererror.NewPermanent(fmt.Errorf("%w (message of %d bytes)", err, len(msg)))
		}
		return err
	}
	return nil
}

// dialLocked connects. A unixgram path that holds a stream socket is used as a stream, as
// syslog(3) does for daemons such as syslog-ng's unix-stream source.
func (s *syslogSink) dialLocked(ctx context.Context, deadline time.Time) error {
	d := net.Dialer{Deadline: deadline}
	network := s.cfg.Network
	conn, err := d.DialContext(ctx, network, s.address)
	if network == NetworkUnixgram && errors.Is(err, syscall.EPROTOTYPE) {
		network = NetworkUnix
		conn, err = d.DialContext(ctx, network, s.address)
	}
	if err != nil {
		return err
	}
	s.conn = conn
	switch network {
	case NetworkTCP, NetworkUnix:
		s.framing = s.cfg.framing(network == NetworkTCP)
	default:
		s.framing = ""
	}
	return nil
}

func (s *syslogSink) closeLocked() {
	if s.conn != nil {
		_ = s.conn.Close()
		s.conn = nil
	}
}

// peerClosed reports whether the other end of a stream has closed it or reset it: a peek
// that does not wait sees end of file or an error. Syslog daemons send nothing back, so
// data waiting means nothing and the connection stands.
func peerClosed(conn net.Conn) bool {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	closed := false
	var buf [1]byte
	if err := raw.Read(func(fd uintptr) bool {
		n, _, rerr := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		closed = (n == 0 && rerr == nil) || (rerr != nil && !errors.Is(rerr, syscall.EAGAIN) && !errors.Is(rerr, syscall.EINTR))
		return true // never wait for readability
	}); err != nil {
		return true
	}
	return closed
}

// close releases the connection; messages already written are the daemon's.
func (s *syslogSink) close(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeLocked()
	return nil
}
