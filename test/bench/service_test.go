//go:build linux

package bench

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	serviceRun = 4 * time.Second
	// Clients on loopback, half on keep-alive connections, half opening one per request as
	// health checks and short-lived clients do: the mix makes accepts and connects as well as
	// file opens.
	keepAliveClients = 2
	newConnClients   = 2
)

// Static files of a small site: a page, a stylesheet, an image-sized blob.
var site = map[string]int{"index.html": 2 << 10, "style.css": 16 << 10, "logo.bin": 96 << 10}

// BenchmarkService is a web service under load: nginx serving static files to HTTP clients on
// loopback, with the sensor off and on. Reported: requests per second and p99 latency with the
// sensor over without it, the sensor's CPU per event it saw during the load and as a share of
// one core, and its peak RSS.
func BenchmarkService(b *testing.B) {
	bin := requireSensor(b)
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		if _, err = os.Stat("/usr/sbin/nginx"); err != nil {
			b.Skip("nginx is not installed (`make bench` and .ci/run install it with apt-get)")
		}
		nginx = "/usr/sbin/nginx"
	}
	base := startNginx(b, nginx)
	load(b, base, time.Second) // warm up: page cache, nginx's workers, the client's code paths

	var cost sensorCost
	figs := alternate(b, bin, benchRounds*b.N, runsPerRound, &cost, func() []float64 {
		res := load(b, base, serviceRun)
		return []float64{res.perSecond, res.p99.Seconds() * 1e3}
	})
	figs[0].report(b, "req/s")
	figs[1].report(b, "p99-ms")
	cost.report(b)
	b.ReportMetric(0, "ns/op")
}

// startNginx runs nginx in the foreground on a free loopback port, everything (configuration,
// site, logs, pid, temp paths) in a temporary directory, and returns its base URL once it
// serves the index.
func startNginx(b *testing.B, nginx string) string {
	b.Helper()
	dir := b.TempDir()
	www := filepath.Join(dir, "www")
	if err := os.MkdirAll(www, 0o755); err != nil {
		b.Fatal(err)
	}
	for name, size := range site {
		if err := os.WriteFile(filepath.Join(www, name), bytes.Repeat([]byte("x"), size), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePorts(b, 1)[0])
	// user root: the site lies in a private temporary directory that nginx's usual
	// unprivileged worker user cannot read. The access log stays on: a real service writes it.
	conf := fmt.Sprintf(`daemon off;
master_process on;
worker_processes 2;
user root;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 1024; }
http {
	access_log %[1]s/access.log;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	types { text/html html; text/css css; application/octet-stream bin; }
	sendfile on;
	server { listen %[2]s; root %[3]s; }
}
`, dir, addr, www)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(nginx, "-c", confPath, "-p", dir, "-e", filepath.Join(dir, "error.log"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	b.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGQUIT) // graceful: workers finish their requests
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	base := "http://" + addr + "/"
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			b.Fatalf("nginx exited during start: %s\n%s", out.String(), log)
		default:
		}
		if resp, err := http.Get(base + "index.html"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("nginx did not serve %s within 30 s", base)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type loadResult struct {
	perSecond float64
	p99       time.Duration
}

// load runs the clients against base for d and returns the requests per second completed and
// the 99th percentile of their latency. Any failed request fails the benchmark: a sensor that
// breaks a service is not a slow one.
func load(b *testing.B, base string, d time.Duration) loadResult {
	b.Helper()
	names := make([]string, 0, len(site))
	for name := range site {
		names = append(names, name)
	}
	sort.Strings(names)
	keep := &http.Transport{MaxIdleConnsPerHost: keepAliveClients}
	fresh := &http.Transport{DisableKeepAlives: true}
	defer keep.CloseIdleConnections()

	var wg sync.WaitGroup
	var mu sync.Mutex
	var lat []time.Duration
	var failure error
	start := time.Now()
	stop := start.Add(d)
	for c := 0; c < keepAliveClients+newConnClients; c++ {
		client := &http.Client{Transport: keep, Timeout: 10 * time.Second}
		if c >= keepAliveClients {
			client.Transport = fresh
		}
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			var mine []time.Duration
			var err error
			for i := c; time.Now().Before(stop); i++ {
				t0 := time.Now()
				if err = fetch(client, base+names[i%len(names)]); err != nil {
					break
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			if err != nil && failure == nil {
				failure = err
			}
			mu.Unlock()
		}(c)
	}
	wg.Wait()
	took := time.Since(start)
	if failure != nil {
		b.Fatal(failure)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return loadResult{
		perSecond: float64(len(lat)) / took.Seconds(),
		p99:       lat[len(lat)*99/100],
	}
}

func fetch(c *http.Client, url string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return fmt.Errorf("%s: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return nil
}
