// Package rulesregistry lets a receiver find the rules of a security_rules processor by the
// processor's component ID, so that it can leave out of the pipeline, before building them,
// the records that processor would drop. A processor publishes its rules when it is created;
// the collector creates every component before it starts any, so a receiver finds them when
// it starts.
package rulesregistry // import "github.com/otelsec/otelsec/internal/rulesregistry"

import (
	"sync"

	"go.opentelemetry.io/collector/component"

	"github.com/otelsec/otelsec/internal/ruleengine"
)

// Rules is what a processor publishes.
type Rules struct {
	Engine *ruleengine.Engine
	// EmitAll: the processor passes every record on (emit: all), so none may be left out.
	EmitAll bool
}

var (
	mu        sync.Mutex
	published = map[component.ID]*Rules{}
)

// Publish makes r the rules of processor id until the returned function withdraws them (a
// later Publish for the same id replaces them, and is not withdrawn by the earlier one's).
func Publish(id component.ID, r Rules) (withdraw func()) {
	p := &r
	mu.Lock()
	published[id] = p
	mu.Unlock()
	return func() {
		mu.Lock()
		if published[id] == p {
			delete(published, id)
		}
		mu.Unlock()
	}
}

// Lookup returns the rules processor id published.
func Lookup(id component.ID) (Rules, bool) {
	mu.Lock()
	defer mu.Unlock()
	p, ok := published[id]
	if !ok {
		return Rules{}, false
	}
	return *p, true
}
