package securityrulesprocessor // import "github.com/otelsec/otelsec/processor/securityrulesprocessor"

import (
	"go.uber.org/zap"

	"github.com/otelsec/otelsec/internal/ruleengine"
)

// logFalcoRules says at start what became of the rules of Falco's files: how many run, and
// how many cannot (each of those is also named in its own warning).
func logFalcoRules(logger *zap.Logger, rules []ruleengine.FalcoRuleReport) {
	if len(rules) == 0 {
		return
	}
	counts := map[string]int{}
	var cannot []string
	for _, r := range rules {
		counts[r.State]++
		if r.State == "missing fields" || r.State == "no events" {
			cannot = append(cannot, r.Name)
		}
	}
	logger.Info("Falco rules loaded", zap.Int("running", counts["loaded"]), zap.Int("disabled_in_file", counts["disabled"]),
		zap.Int("disabled_missing_fields", counts["missing fields"]), zap.Int("disabled_events_not_captured", counts["no events"]),
		zap.Int("never_fire", counts["never fires"]),
		zap.Strings("disabled_rules", cannot))
}
