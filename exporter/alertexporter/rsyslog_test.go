package alertexporter

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// rsyslogd is a real rsyslog, started by a test with its own configuration: inputs on private
// unix sockets and on 127.0.0.1 ports the kernel picks, and one file where each message it
// received is written as the fields rsyslog parsed from it.
type rsyslogd struct {
	t   *testing.T
	bin string
	dir string
	cmd *exec.Cmd

	// Inputs.
	local     string // imuxsock with rsyslog's parser for local messages (what syslog(3) writes)
	local5424 string // imuxsock with the standard parsers, which take RFC 5424 too
	stream    string // imptcp on a unix stream socket
	tcpPort   int
	udpPort   int

	out string
}

// rsyslogRecord is one message as rsyslog parsed it.
type rsyslogRecord struct {
	input, severity, facility, hostname, programname, procid, msgid, structuredData, msg, raw string
}

// rsyslogTemplate writes one rsyslogRecord per line. rsyslog escapes control characters on
// receive (a tab becomes #011), so a tab separates the fields unambiguously.
const rsyslogTemplate = `%inputname%\t%syslogseverity%\t%syslogfacility%\t%hostname%\t%programname%\t%procid%\t%msgid%\t%structured-data%\t%msg%\t%rawmsg%\n`

// startRsyslog starts rsyslogd, or skips the test when it is not installed.
func startRsyslog(t *testing.T) *rsyslogd {
	t.Helper()
	r := newRsyslog(t)
	r.start()
	return r
}

// newRsyslog prepares rsyslogd's directory and socket paths without starting it, or skips
// the test when rsyslogd is not installed (Debian's rsyslog package; .ci/run installs it).
func newRsyslog(t *testing.T) *rsyslogd {
	t.Helper()
	bin, err := exec.LookPath("rsyslogd")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/rsyslogd"); serr != nil {
			t.Skip("rsyslogd not found (install Debian's rsyslog package): the syslog destination is tested against a real rsyslog")
		}
		bin = "/usr/sbin/rsyslogd"
	}
	// A short directory: unix socket paths are limited to 107 bytes.
	dir, err := os.MkdirTemp("", "rsyslog")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	r := &rsyslogd{
		t: t, bin: bin, dir: dir,
		local:     filepath.Join(dir, "local.sock"),
		local5424: filepath.Join(dir, "local5424.sock"),
		stream:    filepath.Join(dir, "stream.sock"),
		out:       filepath.Join(dir, "messages"),
	}
	t.Cleanup(r.stop)
	return r
}

// start runs rsyslogd on the configured ports, or on new ones the first time.
func (r *rsyslogd) start() {
	t := r.t
	t.Helper()
	portFile := filepath.Join(r.dir, "tcp.port")
	conf := fmt.Sprintf(`global(workDirectory=%[1]q maxMessageSize="64k")
module(load="imuxsock" SysSock.Use="off")
module(load="imudp")
module(load="imtcp")
module(load="imptcp")
input(type="imuxsock" Socket=%[2]q)
input(type="imuxsock" Socket=%[3]q UseSpecialParser="off")
input(type="imptcp" path=%[4]q unlink="on")
input(type="imtcp" address="127.0.0.1" port="%[5]d" listenPortFileName=%[6]q)
input(type="imudp" address="127.0.0.1" port="%[7]d")
template(name="fields" type="string" string="%[8]s")
if $inputname != "rsyslogd" then action(type="omfile" file=%[9]q template="fields")
`, r.dir, r.local, r.local5424, r.stream, r.tcpPort, portFile, r.udpPort, rsyslogTemplate, r.out)
	confPath := filepath.Join(r.dir, "rsyslog.conf")
	require.NoError(t, os.WriteFile(confPath, []byte(conf), 0o600))

	logf, err := os.OpenFile(filepath.Join(r.dir, "rsyslogd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	require.NoError(t, err)
	defer logf.Close()
	r.cmd = exec.Command(r.bin, "-n", "-f", confPath, "-i", filepath.Join(r.dir, "rsyslogd.pid"))
	r.cmd.Stdout, r.cmd.Stderr = logf, logf
	require.NoError(t, r.cmd.Start())

	// Ready once every input is bound: the kernel queues what arrives from then on.
	deadline := time.Now().Add(15 * time.Second)
	for {
		tcp, udp := r.readPorts()
		if tcp > 0 && udp > 0 && exists(r.local) && exists(r.local5424) && exists(r.stream) {
			r.tcpPort, r.udpPort = tcp, udp
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("rsyslogd did not bind its inputs within 15s; its log:\n%s", r.log())
		}
		if r.cmd.ProcessState != nil || !alive(r.cmd.Process.Pid) {
			t.Fatalf("rsyslogd exited; its log:\n%s", r.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readPorts returns the ports of imtcp's listener and imudp's socket on 127.0.0.1, found among
// the sockets the process holds; 0 while not bound yet. (imtcp's port file, which port 0
// needs, is written only for port 0, not when a restart asks for the same port again.)
func (r *rsyslogd) readPorts() (tcp, udp int) {
	pid := r.cmd.Process.Pid
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0, 0
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	// A TCP listener is in state 0A (LISTEN); a bound UDP socket is in 07 (CLOSE).
	return boundPort(pid, "tcp", "0A", inodes), boundPort(pid, "udp", "07", inodes)
}

// boundPort finds, in /proc/<pid>/net/<proto>, a socket among inodes bound to 127.0.0.1 in
// state.
func boundPort(pid int, proto, state string, inodes map[string]bool) int {
	f, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", pid, proto))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || fields[3] != state || !inodes[fields[9]] || !strings.HasPrefix(fields[1], "0100007F:") {
			continue
		}
		if p, err := strconv.ParseUint(strings.TrimPrefix(fields[1], "0100007F:"), 16, 16); err == nil {
			return int(p)
		}
	}
	return 0
}

// stop ends rsyslogd by its pid and waits for it; it writes out what it has received.
func (r *rsyslogd) stop() {
	if r.cmd == nil || r.cmd.Process == nil || r.cmd.ProcessState != nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = r.cmd.Process.Kill()
		<-done
		r.t.Errorf("rsyslogd did not stop on SIGTERM within 10s")
	}
}

// restart stops rsyslogd and starts it again on the same ports and sockets.
func (r *rsyslogd) restart() {
	r.stop()
	r.start()
}

func (r *rsyslogd) records() []rsyslogRecord {
	b, err := os.ReadFile(r.out)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	require.NoError(r.t, err)
	var recs []rsyslogRecord
	for line := range strings.SplitSeq(strings.TrimSuffix(string(b), "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		require.Len(r.t, f, 10, "rsyslog wrote %q", line)
		recs = append(recs, rsyslogRecord{f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9]})
	}
	return recs
}

// waitRecords waits until rsyslog has written n messages, then stops it and returns what it
// wrote, so that a message delivered twice shows up as n+1.
func (r *rsyslogd) waitRecords(n int) []rsyslogRecord {
	r.t.Helper()
	r.waitFor(n)
	r.stop()
	return r.records()
}

// waitFor waits until rsyslog has written n messages.
func (r *rsyslogd) waitFor(n int) {
	r.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for len(r.records()) < n {
		if time.Now().After(deadline) {
			r.t.Fatalf("rsyslog wrote %d of %d messages within 15s: %+v\nits log:\n%s", len(r.records()), n, r.records(), r.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *rsyslogd) log() string {
	b, _ := os.ReadFile(filepath.Join(r.dir, "rsyslogd.log"))
	return string(bytes.TrimSpace(b))
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name; Z is a zombie, exited.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}
