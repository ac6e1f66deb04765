package ruleengine

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/schema"
)

// randomRecord draws each attribute from a pool that includes absence and wrong types, so the
// fast path's three-valued logic and CEL's error handling are compared where they differ most.
func randomRecord(rng *rand.Rand) plog.LogRecord {
	lr := plog.NewLogRecord()
	pick := func(opts ...any) any { return opts[rng.Intn(len(opts))] }
	switch rng.Intn(4) {
	case 0, 1:
		lr.SetEventName(schema.EventFileOpen)
	case 2:
		lr.SetEventName(schema.EventFileUnlink)
	case 3:
		if rng.Intn(2) == 0 {
			lr.Attributes().PutStr(EventNameAttr, schema.EventFileOpen)
		}
	}
	put := func(k string, v any) {
		a := lr.Attributes()
		switch x := v.(type) {
		case nil:
		case string:
			a.PutStr(k, x)
		case int:
			a.PutInt(k, int64(x))
		case bool:
			a.PutBool(k, x)
		case float64:
			a.PutDouble(k, x)
		case []string:
			s := a.PutEmptySlice(k)
			for _, e := range x {
				s.AppendEmpty().SetStr(e)
			}
		case []int:
			s := a.PutEmptySlice(k)
			for _, e := range x {
				s.AppendEmpty().SetInt(int64(e))
			}
		}
	}
	put(schema.AttrFilePath, pick(nil, "/etc/passwd", "/etc/ssh/sshd_config", "/etcx", "/usr/lib/libc.so", "/home/a/.ssh/id_rsa",
		"/tmp/x", "/tmp", "/var/log/SHADOW.bak", "/a", "/very/long/path/that/is/over/twenty", 7, true))
	put(schema.AttrProcessExecutableName, pick(nil, "bash", "sh", "nginx", "1", 1))
	put(schema.AttrProcessParentExecutableName, pick(nil, "bash", "sshd"))
	put(schema.AttrProcessUserID, pick(nil, 0, 1000, 65534, 5, "0", 1.0))
	put(schema.AttrProcessPID, pick(nil, 50, 1500, 3000))
	put(schema.AttrFileFlags, pick(nil, []string{"O_RDONLY"}, []string{"O_WRONLY", "O_CREAT"}, []string{}, "O_WRONLY"))
	put(schema.AttrProcessWorkingDirectory, pick(nil, "/", "/usr/bin", "/usr/binx", "relative"))
	put(schema.AttrProcessAncestorsExecName, pick(nil, []string{"bash", "sshd", "systemd"}, []string{"sh"}, []string{}, []int{1}, "bash"))
	put(schema.AttrProcessCommandArgs, pick(nil, []string{"ls", "-l"}, []string{"a"}, []string{"abcd", "e"}))
	put(schema.AttrErrorType, pick(nil, nil, "ENOENT"))
	put(schema.AttrProcessInteractive, pick(nil, true, false, "true"))
	put(schema.AttrFileMode, pick(nil, "0644", "4755", "02755", 644))
	put("custom.thing", pick(nil, "x", 1))
	put("custom.num", pick(nil, 3, 2, 3.0, 2.5, "3"))
	put("custom.list", pick(nil, []int{1, 2}, []string{"1"}))
	switch rng.Intn(4) {
	case 0:
		lr.Body().SetStr(pick("it failed", "ok").(string))
	case 1:
		m := lr.Body().SetEmptyMap()
		m.PutStr("MESSAGE", pick("hello", "bye").(string))
		if rng.Intn(2) == 0 {
			m.PutInt("OTHER", 1)
		}
	case 2:
		lr.Body().SetInt(3)
	}
	return lr
}

func TestFastPathAgreesWithCEL(t *testing.T) {
	srcs, err := LoadFiles([]string{"testdata/semantics.yaml"})
	require.NoError(t, err)
	fast, _, err := Compile(srcs, Options{MatchAll: true})
	require.NoError(t, err)
	for _, r := range fast.Rules() {
		require.NotNil(t, r.fast, "rule %q is not on the fast path: %s", r.Name, r.slowReason)
	}
	cel, _, err := Compile(srcs, Options{MatchAll: true, celOnly: true})
	require.NoError(t, err)
	rng := rand.New(rand.NewSource(7))
	res := pcommon.NewMap()
	res.PutStr(schema.AttrHostName, "h")
	hits := map[string]int{}
	for i := 0; i < 20000; i++ {
		lr := randomRecord(rng)
		got, want := names(fast.Match(res, lr, nil)), names(cel.Match(res, lr, nil))
		if !slices.Equal(got, want) {
			raw := lr.Attributes().AsRaw()
			t.Fatalf("record %d %q %v body=%v:\nfast %q\ncel  %q", i, lr.EventName(), raw, lr.Body().AsRaw(), got, want)
		}
		for _, n := range got {
			hits[n]++
		}
	}
	// Every rule must both match and not match sometimes, or the comparison proves little.
	for _, r := range fast.Rules() {
		if hits[r.Name] == 0 || hits[r.Name] == 20000 {
			t.Errorf("rule %q matched %d of 20000 records", r.Name, hits[r.Name])
		}
	}
}

// Constructs the fast path does not implement run on cel-go, with the same semantics.
func TestCELFallback(t *testing.T) {
	e := compile(t, Options{MatchAll: true}, `
- rule: ternary
  desc: d
  condition: >-
    event.name == "file.open" && (process.user.id == 0 ? file.path.startsWith("/etc") : !(file.path == "/x"))
  output: o
  priority: info
- rule: filter
  desc: d
  condition: event.name == "file.open" && size(process.ancestors.executable.name.filter(a, a == "sshd")) > 0
  output: o
  priority: info
- rule: fast
  desc: d
  condition: event.name == "file.open" && !(file.path == "/x")
  output: o
  priority: info
`)
	for _, r := range e.Rules() {
		if r.Name == "fast" {
			require.NotNil(t, r.fast)
		} else {
			require.Nil(t, r.fast, r.Name)
		}
	}
	assert.Equal(t, []string{"ternary", "fast"}, match(e, rec(schema.EventFileOpen, schema.AttrProcessUserID, 5)))
	assert.Equal(t, []string{"ternary", "fast"}, match(e, rec(schema.EventFileOpen, schema.AttrProcessUserID, 0, schema.AttrFilePath, "/etc/x")))
	assert.Equal(t, []string{"filter", "fast"}, match(e, rec(schema.EventFileOpen, schema.AttrProcessAncestorsExecName, []string{"bash", "sshd"})))
	// A failing ternary condition fails the whole expression: no match.
	assert.Equal(t, []string{"fast"}, match(e, rec(schema.EventFileOpen)))
}

// Match is safe for concurrent use: every goroutine gets its own evaluation state.
func TestConcurrentMatch(t *testing.T) {
	srcs, err := LoadFiles([]string{"testdata/semantics.yaml"})
	require.NoError(t, err)
	e, _, err := Compile(srcs, Options{MatchAll: true})
	require.NoError(t, err)
	rng := rand.New(rand.NewSource(3))
	recs := make([]plog.LogRecord, 500)
	want := make([][]string, len(recs))
	res := pcommon.NewMap()
	for i := range recs {
		recs[i] = randomRecord(rng)
		want[i] = names(e.Match(res, recs[i], nil))
	}
	done := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func() {
			for k := 0; k < 5; k++ {
				for i := range recs {
					if got := names(e.Match(res, recs[i], nil)); !slices.Equal(got, want[i]) {
						done <- fmt.Errorf("record %d: %v, want %v", i, got, want[i])
						return
					}
				}
			}
			done <- nil
		}()
	}
	for g := 0; g < 4; g++ {
		require.NoError(t, <-done)
	}
}
