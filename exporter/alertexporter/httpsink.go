package alertexporter // import "github.com/otelsec/otelsec/exporter/alertexporter"

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// Bounds on what we read back from the endpoint: enough to quote an error, and to drain a
// small body so the connection is reused.
const (
	maxErrorBodyQuote = 256
	maxDrainBytes     = 64 << 10
)

// httpSink POSTs each alert as Falco's JSON, one alert per request, the shape Falco's
// http_output sends and Falcosidekick's / endpoint accepts.
type httpSink struct {
	client   *http.Client
	endpoint string
}

func (s *httpSink) send(ctx context.Context, alert []byte) error {
	// The transport may read the body after Do returns (RoundTripper contract), and the
	// caller reuses alert, so the request gets its own copy.
	body := bytes.Clone(alert)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, bytes.NewReader(body))
	if err != nil {
		return consumererror.NewPermanent(fmt.Errorf("build alert request: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		// Network errors and timeouts are worth retrying.
		return fmt.Errorf("post alert to %s: %w", s.endpoint, err)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrainBytes))
		_ = resp.Body.Close()
	}()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	quote, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBodyQuote))
	err = fmt.Errorf("post alert to %s: HTTP %d: %q", s.endpoint, resp.StatusCode, bytes.TrimSpace(quote))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		if d, ok := retryAfter(resp.Header.Get("Retry-After")); ok {
			return exporterhelper.NewThrottleRetry(err, d)
		}
		return err
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
		return err
	default:
		// The endpoint understood the request and refused this alert; sending it again
		// would be refused again.
		return consumererror.NewPermanent(err)
	}
}

// retryAfter parses Retry-After as seconds or an HTTP date.
func retryAfter(v string) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d, true
		}
		return 0, true
	}
	return 0, false
}

func (s *httpSink) close(context.Context) error {
	if s.client != nil {
		s.client.CloseIdleConnections()
	}
	return nil
}
