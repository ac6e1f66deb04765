//go:build linux

package syscallreceiver

import (
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
	"go.opentelemetry.io/collector/receiver/receivertest"
	"strconv"
	"testing"
)

func TestSeenSet(t *testing.T) {
	var s seenSet
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

// rules_filter naming a processor that is not there, or one that passes every record on, stops
// the receiver at start, naming it; a processor emitting violations gives the receiver its
// rules and trims the capture to the kinds they read (and those the process table needs).
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
	assert.ErrorContains(t, newReceiver().openRulesFilter(), `rules_filter "security_rules/filtertest": that processor passes every record on (emit: all)`)
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
