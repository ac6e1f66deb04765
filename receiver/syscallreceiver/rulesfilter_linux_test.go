//go:build linux

package syscallreceiver

import (
	"context"
	"fmt"
	"github.com/otelsec/otelsec/internal/ruleengine"
	"github.com/otelsec/otelsec/internal/rulesregistry"
	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/events"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/metadata"
	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/proctable"
	"github.com/otelsec/otelsec/rules"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"golang.org/x/sys/unix"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestSeenSet(t *testing.T) {
	var s seenSet[string]
	if !s.add("a") || s.add("a") {
		t.Fatal("a first add is new, a second is not")
	}
	for i := range 3 * seenSetSize {
		if !s.add(strconv.Itoa(i)) {
			t.Fatalf("id %d seen before it was added", i)
		}
		if len(s.cur)+len(s.prev) > 2*seenSetSize {
			t.Fatalf("holds %d ids, bound %d", len(s.cur)+len(s.prev), 2*seenSetSize)
		}
	}
	if s.add(strconv.Itoa(3*seenSetSize - 1)) {
		t.Error("the newest id was forgotten")
	}
	if !s.add("a") {
		t.Error("the oldest id is still remembered past the bound")
	}
}

// rules_filter naming a processor that is not there stops the receiver at start, naming it;
// one that passes every record on (emit: all) gets every event; a processor emitting
// violations gives the receiver its rules and trims the capture to the kinds they read (and
// those the process table needs).
func TestOpenRulesFilter(t *testing.T) {
	id := component.MustNewIDWithName("security_rules", "filtertest")
	newReceiver := func() *logsReceiver {
		return &logsReceiver{set: receivertest.NewNopSettings(metadata.Type), events: append([]string(nil), schema.EventNames...),
			cfg: &Config{RulesFilter: &id}}
	}
	assert.EqualError(t, newReceiver().openRulesFilter(),
		`syscall receiver: rules_filter "security_rules/filtertest": no processor of that name is in a pipeline of this collector`)

	e, _, err := ruleengine.Compile(rules.Default(), ruleengine.Options{})
	require.NoError(t, err)
	withdraw := rulesregistry.Publish(id, rulesregistry.Rules{Engine: e, EmitAll: true})
	all := newReceiver()
	require.NoError(t, all.openRulesFilter())
	assert.Nil(t, all.prefilter, "a processor that emits all is given every event")
	assert.Empty(t, all.quietErrnos)
	assert.Equal(t, schema.EventNames, all.events)
	withdraw()

	defer rulesregistry.Publish(id, rulesregistry.Rules{Engine: e})()
	r := newReceiver()
	require.NoError(t, r.openRulesFilter())
	require.NotNil(t, r.prefilter)
	assert.Contains(t, r.events, schema.EventFileOpen, "a kind the rules read")
	assert.Contains(t, r.events, schema.EventProcessChdir, "a kind the process table needs")
	for _, name := range r.events {
		assert.True(t, e.Candidates(name) > 0 || proctable.Follows(events.ByName(name).Kind), "%s is captured but read by nothing", name)
	}
	assert.Less(t, len(r.events), len(schema.EventNames), "no kind was left out")
}

const reopens = 300

// With rules_filter, the events no rule could match are counted and not delivered, a process
// reading the same file again and again is decided by remembered decisions after its first
// reads, and the event the rule matches is delivered.
func TestRulesFilterLeavesOutAndRemembers(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	for _, f := range []string{"harmless", "secret"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), nil, 0o600))
	}
	secret := filepath.Join(dir, "secret")
	rec, rcv, tt := filteredReceiver(t, oneRule(t, fmt.Sprintf(`event.name == "file.open" && file.path == %q`, secret)))
	cmd := child("reopen", dir)
	require.NoError(t, cmd.Run())
	rec.find(t, "the read of the secret", func(lr plog.LogRecord) bool {
		return is(schema.EventFileOpen, cmd.Process.Pid)(lr) && str(lr, schema.AttrFilePath) == secret
	})
	// The harmless reads came before the secret's, in its batch or an earlier one: counted.
	by := filteredBy(t, tt)
	t.Logf("filtered: %v", by)
	assert.GreaterOrEqual(t, by["evaluated"]+by["remembered"], int64(reopens), "the harmless reads were not all counted")
	assert.GreaterOrEqual(t, by["remembered"], int64(reopens*8/10), "repeated reads were not decided by remembered decisions")
	stop(t, rcv)
	assert.Empty(t, rec.all(func(lr plog.LogRecord) bool { return str(lr, schema.AttrFilePath) == filepath.Join(dir, "harmless") }),
		"reads no rule could match were delivered")
}

// Failed opens no rule can match are left out by the kernel and counted (decided=kernel);
// a failure a rule asks for is delivered. The errnos come from the rules: the default ruleset
// wants none of a clean absolute path's failures, this test's rule wants ENOTDIR.
func TestFailedOpensLeftOutInKernel(t *testing.T) {
	quiet, wanted, err := quietOpenErrnos(mustCompile(t, rules.Default()))
	require.NoError(t, err)
	t.Logf("the default rules want failed opens of a clean path with: %v", wanted)
	assert.Contains(t, quiet, int(unix.ENOENT), "the default rules do not look at a clean path's failed opens")

	requireRoot(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "file"), nil, 0o600))
	through := filepath.Join(dir, "file", "x")
	e := oneRule(t, fmt.Sprintf(`event.name == "file.open" && error.type == "ENOTDIR" && file.path == %q`, through))
	quiet, wanted, err = quietOpenErrnos(e)
	require.NoError(t, err)
	assert.Equal(t, []string{"ENOTDIR"}, wanted)
	assert.NotContains(t, quiet, int(unix.ENOTDIR))
	rec, rcv, tt := filteredReceiver(t, e)
	cmd := child("failopens", dir)
	require.NoError(t, cmd.Run())
	rec.find(t, "the open through a file", func(lr plog.LogRecord) bool {
		return is(schema.EventFileOpen, cmd.Process.Pid)(lr) && str(lr, schema.AttrFilePath) == through
	})
	by := filteredBy(t, tt)
	t.Logf("filtered: %v", by)
	assert.GreaterOrEqual(t, by["kernel"], int64(reopens), "the failed opens of a missing file were not left out in the kernel")
	stop(t, rcv)
	assert.Empty(t, rec.all(func(lr plog.LogRecord) bool { return str(lr, schema.AttrFilePath) == filepath.Join(dir, "missing") }),
		"failed opens no rule could match were delivered")
}

// Opens the rules decided from their key and the process's lineage alone are left out in the
// kernel once decided (decided=kernel_remembered); after an exec the same open by the new
// program, which the rule matches, is delivered.
func TestRememberedOpensLeftOutInKernel(t *testing.T) {
	requireRoot(t)
	if _, err := os.Stat("/bin/cat"); err != nil {
		t.Skip("needs /bin/cat to exec into")
	}
	dir := t.TempDir()
	harmless := filepath.Join(dir, "harmless")
	require.NoError(t, os.WriteFile(harmless, nil, 0o600))
	rec, rcv, tt := filteredReceiver(t, oneRule(t, fmt.Sprintf(
		`event.name == "file.open" && file.path == %q && process.executable.name == "cat"`, harmless)))
	cmd := child("reopen-exec", dir)
	require.NoError(t, cmd.Run())
	rec.find(t, "cat's read of the file", func(lr plog.LogRecord) bool {
		return is(schema.EventFileOpen, cmd.Process.Pid)(lr) && str(lr, schema.AttrFilePath) == harmless &&
			str(lr, schema.AttrProcessExecutableName) == "cat"
	})
	by := filteredBy(t, tt)
	t.Logf("filtered: %v", by)
	assert.GreaterOrEqual(t, by["kernel_remembered"], int64(100), "the paced reads were not left out in the kernel")
	stop(t, rcv)
	assert.Empty(t, rec.all(func(lr plog.LogRecord) bool {
		return str(lr, schema.AttrFilePath) == harmless && str(lr, schema.AttrProcessExecutableName) != "cat"
	}), "reads no rule could match were delivered")
}

// When a parent execs, what its children's opens were remembered with no longer holds: the
// child's reads, which the rule matches once its parent is sleep, are delivered after the exec.
// (The kernel counts the exec under a child, and so does the process table once it applies
// the exec; with neither, this fails.)
func TestRememberedOpensForgottenWhenAParentExecs(t *testing.T) {
	requireRoot(t)
	if _, err := os.Stat("/bin/sleep"); err != nil {
		t.Skip("needs /bin/sleep to exec into")
	}
	dir := t.TempDir()
	harmless := filepath.Join(dir, "harmless")
	require.NoError(t, os.WriteFile(harmless, nil, 0o600))
	rec, rcv, tt := filteredReceiver(t, oneRule(t, fmt.Sprintf(
		`event.name == "file.open" && file.path == %q && process.parent.executable.name == "sleep"`, harmless)))
	cmd := child("parent-exec", dir)
	require.NoError(t, cmd.Run())
	b, err := os.ReadFile(filepath.Join(dir, "child.pid"))
	require.NoError(t, err)
	pid, err := strconv.Atoi(string(b))
	require.NoError(t, err)
	rec.find(t, "the child's read under sleep", func(lr plog.LogRecord) bool {
		return is(schema.EventFileOpen, pid)(lr) && str(lr, schema.AttrFilePath) == harmless &&
			str(lr, schema.AttrProcessParentExecutableName) == "sleep"
	})
	by := filteredBy(t, tt)
	t.Logf("filtered: %v", by)
	assert.GreaterOrEqual(t, by["kernel_remembered"], int64(100), "the child's reads before the exec were not left out in the kernel")
	stop(t, rcv)
}

// oneRule is an engine of one rule with that condition.
func oneRule(t *testing.T, condition string) *ruleengine.Engine {
	t.Helper()
	rule := "- rule: R\n  condition: " + condition + "\n  desc: d\n  output: x\n  priority: WARNING\n"
	return mustCompile(t, []ruleengine.Source{{Name: "r.yaml", Data: []byte(rule)}})
}

// filteredReceiver starts a receiver of file.open (and process lifecycle) whose rules_filter names a processor with
// e's rules; its telemetry is read by filteredBy.
func filteredReceiver(t *testing.T, e *ruleengine.Engine) (*recorder, receiver.Logs, *componenttest.Telemetry) {
	t.Helper()
	_, self := selfName(t)
	id := component.MustNewIDWithName("security_rules", "filtered")
	t.Cleanup(rulesregistry.Publish(id, rulesregistry.Rules{Engine: e}))
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tt.Shutdown(context.Background()) })
	set := receivertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tt.NewTelemetrySettings()
	cfg := testConfig()
	// and what the process table follows processes by
	cfg.Events = []string{schema.EventFileOpen, schema.EventProcessExec, schema.EventProcessFork, schema.EventProcessExit}
	cfg.RulesFilter = &id
	rec := &recorder{self: self}
	return rec, startReceiver(t, cfg, rec, set), tt
}

func mustCompile(t *testing.T, srcs []ruleengine.Source) *ruleengine.Engine {
	t.Helper()
	e, _, err := ruleengine.Compile(srcs, ruleengine.Options{})
	require.NoError(t, err)
	return e
}

// filteredBy reads otelcol_receiver_syscall_events_filtered by its decided attribute.
func filteredBy(t *testing.T, tt *componenttest.Telemetry) map[string]int64 {
	t.Helper()
	m, err := tt.GetMetric("otelcol_receiver_syscall_events_filtered")
	require.NoError(t, err)
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%T", m.Data)
	by := map[string]int64{}
	for _, dp := range sum.DataPoints {
		how, _ := dp.Attributes.Value("decided")
		by[how.AsString()] += dp.Value
	}
	return by
}
