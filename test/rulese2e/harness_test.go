//go:build linux

package rulese2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"go.opentelemetry.io/collector/component"

	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/processor/containermetadataprocessor"
	"github.com/otelsec/otelsec/processor/securityrulesprocessor"
	"github.com/otelsec/otelsec/receiver/syscallreceiver"
)

// maxViolations bounds what the test keeps: the machine is shared, and other processes'
// violations arrive too. Beyond it, violations are counted and dropped.
const maxViolations = 200000

// violation is what the test needs from one marked record.
type violation struct {
	rules    []string // security_rule.matched (every matching rule: the processor runs match: all)
	severity plog.SeverityNumber
	attrs    map[string]any
}

func (v violation) has(rule string) bool {
	for _, r := range v.rules {
		if r == rule {
			return true
		}
	}
	return false
}

func (v violation) int(name string) int64 {
	switch x := v.attrs[name].(type) {
	case int64:
		return x
	}
	return -1
}

func (v violation) str(name string) string {
	switch x := v.attrs[name].(type) {
	case string:
		return x
	case nil:
		return ""
	default:
		return fmt.Sprint(x)
	}
}

func (v violation) String() string {
	return fmt.Sprintf("%v pid=%d exe=%s cmdline=%q ancestors=%v", v.rules, v.int(schema.AttrProcessPID),
		v.str(schema.AttrProcessExecutablePath), v.str(schema.AttrProcessCommandLine),
		v.attrs[schema.AttrProcessAncestorsExecName])
}

// collector is the pipeline's end: the processor's violations go through a LogsSink into a
// bounded list the test searches.
type collector struct {
	sink    consumertest.LogsSink
	mu      sync.Mutex
	seen    []violation
	dropped int
	self    int
	raw     []violation // events of the test's direct children, kept to explain failures
	lost    int64       // events the receiver reported lost (agent.events_dropped)
	// treeName, when set, is an executable name: records of processes that have it among
	// their ancestors and run in a container are counted in treeContainer.
	treeName      string
	treeContainer int
}

func (c *collector) consume(ctx context.Context, ld plog.Logs) error {
	rls := ld.ResourceLogs()
	c.mu.Lock()
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				if lr.EventName() == schema.EventAgentEventsDropped {
					if n, ok := lr.Attributes().Get(schema.AttrDroppedCount); ok {
						c.lost += n.Int()
					}
				}
				if c.treeName != "" && inContainerBelow(lr.Attributes(), c.treeName) {
					c.treeContainer++
				}
				name, ok := lr.Attributes().Get(schema.AttrSecurityRuleName)
				if !ok {
					// Raw events of this test's children, to explain a failure.
					if pp, ok := lr.Attributes().Get(schema.AttrProcessParentPID); ok && pp.Int() == int64(c.self) && len(c.raw) < maxViolations {
						c.raw = append(c.raw, violation{attrs: lr.Attributes().AsRaw(), rules: []string{"(raw " + lr.EventName() + ")"}})
					}
					continue
				}
				if len(c.seen) >= maxViolations {
					c.dropped++
					continue
				}
				v := violation{severity: lr.SeverityNumber(), attrs: lr.Attributes().AsRaw()}
				if m, ok := lr.Attributes().Get(schema.AttrSecurityRuleMatched); ok && m.Type() == pcommon.ValueTypeSlice {
					for x := 0; x < m.Slice().Len(); x++ {
						v.rules = append(v.rules, m.Slice().At(x).Str())
					}
				} else {
					v.rules = []string{name.Str()}
				}
				c.seen = append(c.seen, v)
			}
		}
	}
	c.mu.Unlock()
	// The sink only counts: the records themselves were copied above.
	return c.sink.ConsumeLogs(ctx, plog.NewLogs())
}

func inContainerBelow(attrs pcommon.Map, ancestor string) bool {
	id, ok := attrs.Get(schema.AttrContainerID)
	if !ok || id.Str() == "" {
		return false
	}
	anc, ok := attrs.Get(schema.AttrProcessAncestorsExecName)
	if !ok || anc.Type() != pcommon.ValueTypeSlice {
		return false
	}
	for i := 0; i < anc.Slice().Len(); i++ {
		if anc.Slice().At(i).Str() == ancestor {
			return true
		}
	}
	return false
}

func (c *collector) find(match func(violation) bool) []violation {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []violation
	for _, v := range c.seen {
		if match(v) {
			out = append(out, v)
		}
	}
	return out
}

// harness runs the syscall receiver and the security_rules processor in-process.
type harness struct {
	t   *testing.T
	col *collector
	// work is a scratch directory outside /tmp (executing from /tmp is itself a detection),
	// readable by the unprivileged helper.
	work string
	// helper is a copy of this test binary in work; TestMain turns it into a helper that
	// performs one behaviour (OTELSEC_E2E_HELPER=<mode>).
	helper string
	token  string
	// readyPIDs are waitReady's probes: a Warning each, by design.
	readyPIDs map[int]bool
}

const (
	flushInterval      = 20 * time.Millisecond
	dropReportInterval = time.Second
)

// newHarness starts the pipeline with the default ruleset and, after it, the rule files given.
// The receiver filters by the rules (rules_filter, the processor emitting violations): the
// behaviours hold the filter to never losing an event a rule matches.
func newHarness(t *testing.T, ruleFiles ...string) *harness {
	t.Helper()
	return startHarness(t, "", true, ruleFiles)
}

// newHarnessDocker is newHarness with the container_metadata processor before the rules,
// asking the dockerd at dockerSock only: rules then see the containers' image and privileges
// as a sensor does.
func newHarnessDocker(t *testing.T, dockerSock string, ruleFiles ...string) *harness {
	t.Helper()
	return startHarness(t, dockerSock, true, ruleFiles)
}

// newHarnessUnfiltered is newHarness where every record passes the processor (emit: all):
// tests that count what a workload did, not only its violations, read them.
func newHarnessUnfiltered(t *testing.T, ruleFiles ...string) *harness {
	t.Helper()
	return startHarness(t, "", false, ruleFiles)
}

func startHarness(t *testing.T, dockerSock string, filtered bool, ruleFiles []string) *harness {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the rules end-to-end test needs root: it loads BPF programs and performs privileged behaviours")
	}
	h := &harness{t: t, col: &collector{self: os.Getpid()}, token: randToken(), readyPIDs: map[int]bool{}}
	work, err := os.MkdirTemp("/var/lib", "otelsec-rulese2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	if err := os.Chmod(work, 0o755); err != nil {
		t.Fatal(err)
	}
	h.work = work
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	h.helper = h.copyExecutable(self, "e2e-helper")

	ctx := context.Background()
	rf := syscallreceiver.NewFactory()
	rcfg := rf.CreateDefaultConfig().(*syscallreceiver.Config)
	rcfg.FlushInterval = flushInterval
	rcfg.DropReportInterval = dropReportInterval
	pf := securityrulesprocessor.NewFactory()
	pcfg := pf.CreateDefaultConfig().(*securityrulesprocessor.Config)
	pcfg.Match = securityrulesprocessor.MatchAll
	if filtered {
		id := component.NewID(pf.Type())
		rcfg.RulesFilter = &id
	} else {
		// Every record passes; the collector keeps violations and the raw events of this
		// test's children (they explain failures).
		pcfg.Emit = securityrulesprocessor.EmitAll
	}
	if len(ruleFiles) > 0 {
		pcfg.Rules = append([]string{securityrulesprocessor.DefaultRulesEntry}, ruleFiles...)
	}
	if err := pcfg.Validate(); err != nil {
		t.Fatal(err)
	}
	end, err := consumer.NewLogs(h.col.consume)
	if err != nil {
		t.Fatal(err)
	}
	proc, err := pf.CreateLogs(ctx, processortest.NewNopSettings(pf.Type()), pcfg, end)
	if err != nil {
		t.Fatal(err)
	}
	first := proc // what the receiver feeds
	var meta processor.Logs
	if dockerSock != "" {
		mf := containermetadataprocessor.NewFactory()
		mcfg := mf.CreateDefaultConfig().(*containermetadataprocessor.Config)
		mcfg.Docker, mcfg.Podman, mcfg.CRI, mcfg.Containerd = []string{dockerSock}, nil, nil, nil
		if meta, err = mf.CreateLogs(ctx, processortest.NewNopSettings(mf.Type()), mcfg, proc); err != nil {
			t.Fatal(err)
		}
		first = meta
	}
	rcv, err := rf.CreateLogs(ctx, receivertest.NewNopSettings(rf.Type()), rcfg, first)
	if err != nil {
		t.Fatal(err)
	}
	host := componenttest.NewNopHost()
	if err := proc.Start(ctx, host); err != nil {
		t.Fatal(err)
	}
	if meta != nil {
		if err := meta.Start(ctx, host); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := meta.Shutdown(ctx); err != nil {
				t.Errorf("container_metadata shutdown: %v", err)
			}
		})
	}
	if err := rcv.Start(ctx, host); err != nil {
		_ = proc.Shutdown(ctx)
		t.Fatalf("starting the syscall receiver: %v", err)
	}
	t.Cleanup(func() {
		if err := rcv.Shutdown(ctx); err != nil {
			t.Errorf("receiver shutdown: %v", err)
		}
		if err := proc.Shutdown(ctx); err != nil {
			t.Errorf("processor shutdown: %v", err)
		}
		t.Logf("violations seen from the whole machine: %d (dropped beyond the bound: %d); events lost by the receiver: %d",
			len(h.col.seen), h.col.dropped, h.col.lost)
		h.logMachineNoise(t)
	})
	h.waitReady()
	return h
}

// waitReady repeats a harmless detectable behaviour until its violation comes back: then the
// programs are attached and the pipeline delivers.
func (h *harness) waitReady() {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		// grep finds nothing and exits 1; the exec is what counts.
		pid := h.runQuiet(exec.Command("grep", "-q", "aws_secret_access_key-ready-"+h.token, "/dev/null"))
		h.col.mu.Lock()
		h.readyPIDs[pid] = true
		h.col.mu.Unlock()
		time.Sleep(100 * time.Millisecond)
		if len(h.byPID(pid, "Search for cloud credentials")) > 0 {
			return
		}
	}
	h.t.Fatal("no violation came back from the pipeline within 30s")
}

func randToken() string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// copyExecutable copies an executable into the work directory under a new name: the rules
// see the name, as they would an attacker's renamed tool.
func (h *harness) copyExecutable(src, name string) string {
	h.t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		h.t.Fatal(err)
	}
	dst := filepath.Join(h.work, name)
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		h.t.Fatal(err)
	}
	return dst
}

// run runs a command to completion (its exit status is not the test's business: refused
// attempts are behaviours too) and returns its pid. A failure is logged with the output.
func (h *harness) run(cmd *exec.Cmd) int {
	h.t.Helper()
	return h.runCmd(cmd, true)
}

func (h *harness) runQuiet(cmd *exec.Cmd) int {
	h.t.Helper()
	return h.runCmd(cmd, false)
}

func (h *harness) runCmd(cmd *exec.Cmd, logFailure bool) int {
	h.t.Helper()
	var out bytes.Buffer
	if cmd.Stdout == nil {
		cmd.Stdout = &out
	}
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		h.t.Fatalf("%v: %v", cmd.Args, err)
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
		}
	}()
	err := cmd.Wait()
	close(done)
	if err != nil && logFailure {
		h.t.Logf("%v: %v: %s", cmd.Args, err, strings.TrimSpace(out.String()))
	}
	return cmd.Process.Pid
}

// helperCmd runs this test binary's copy as a helper performing mode.
func (h *harness) helperCmd(path, mode string, args ...string) *exec.Cmd {
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	return cmd
}

// runHelper runs a helper and returns its pid and what it printed on stdout.
func (h *harness) runHelper(cmd *exec.Cmd) (int, string) {
	var out bytes.Buffer
	cmd.Stdout = &out
	pid := h.run(cmd)
	return pid, strings.TrimSpace(out.String())
}

func (h *harness) byPID(pid int, rule string) []violation {
	return h.col.find(func(v violation) bool {
		return v.int(schema.AttrProcessPID) == int64(pid) && v.has(rule)
	})
}

// errEventsLost says an attempt saw no violation while the receiver reported lost events: the
// behaviour is repeated rather than failed, since a drop is reported, not a missed detection.
var errEventsLost = errors.New("events were lost")

func (h *harness) lostEvents() int64 {
	h.col.mu.Lock()
	defer h.col.mu.Unlock()
	return h.col.lost
}

// expectOnce waits for rule's violation by pid, lets the pipeline settle, and requires that
// exactly one such violation arrived. lostBefore is the receiver's lost count when the
// behaviour started.
func (h *harness) expectOnce(pid int, rule string, lostBefore int64) (violation, error) {
	h.t.Helper()
	// Generous: the machine is shared and a loaded moment delays delivery, not correctness.
	start := time.Now()
	deadline := start.Add(30 * time.Second)
	for time.Now().Before(deadline) && len(h.byPID(pid, rule)) == 0 {
		if time.Since(start) > 3*dropReportInterval && h.lostEvents() > lostBefore {
			return violation{}, errEventsLost
		}
		time.Sleep(20 * time.Millisecond)
	}
	if d := time.Since(start); d > time.Second {
		h.t.Logf("the violation took %s to arrive", d.Round(time.Millisecond))
	}
	// Events of one process arrive in order, in batches flushed every flushInterval: a
	// duplicate would be here well within this.
	time.Sleep(20 * flushInterval)
	got := h.byPID(pid, rule)
	if len(got) == 0 && h.lostEvents() > lostBefore {
		return violation{}, errEventsLost
	}
	if len(got) != 1 {
		others := h.col.find(func(v violation) bool { return v.int(schema.AttrProcessPID) == int64(pid) })
		h.t.Errorf("rule %q fired %d times for pid %d, want once; violations of that pid: %v", rule, len(got), pid, others)
		h.col.mu.Lock()
		h.t.Logf("events the receiver reported lost so far: %d", h.col.lost)
		if len(h.col.raw) == 0 {
			h.t.Log("raw events are kept only by an unfiltered harness (newHarnessUnfiltered)")
		}
		for _, r := range h.col.raw {
			if r.int(schema.AttrProcessPID) == int64(pid) {
				h.t.Logf("raw event of pid %d: %s exe=%q path=%q syscall=%s error=%s", pid, r.rules[0],
					r.str(schema.AttrProcessExecutablePath), r.str(schema.AttrFilePath),
					r.str(schema.AttrSyscallName), r.str(schema.AttrErrorType))
			}
		}
		h.col.mu.Unlock()
		h.t.FailNow()
	}
	return got[0], nil
}

// logMachineNoise summarizes what fired for processes this test did not start: on a shared
// build machine that is a sample of the default rules' noise on real work.
func (h *harness) logMachineNoise(t *testing.T) {
	self, _ := os.Executable()
	ours := filepath.Base(self)
	count := map[string]int{}
	example := map[string]violation{}
	for _, v := range h.col.find(func(v violation) bool { return true }) {
		if v.str(schema.AttrProcessExecutableName) == ours ||
			listHas(ours)(v.attrs[schema.AttrProcessAncestorsExecName]) ||
			strings.HasPrefix(v.str(schema.AttrProcessExecutablePath), h.work) {
			continue
		}
		key := fmt.Sprintf("%s [%s]", v.rules[0], v.str("security_rule.name"))
		if atLeastWarning(v) {
			key = "WARNING+ " + key
		}
		count[key]++
		example[key] = v
	}
	for k, n := range count {
		t.Logf("other processes: %4d x %s, e.g. %v", n, k, example[k])
	}
}
