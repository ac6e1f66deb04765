package ruleengine_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/otelsec/otelsec/internal/ruleengine"
	"github.com/otelsec/otelsec/rules"
)

func TestDefaultRulesetCompiles(t *testing.T) {
	e, warns, err := ruleengine.Compile(rules.Default(), ruleengine.Options{})
	require.NoError(t, err)
	for _, w := range warns {
		t.Log(w)
	}
	require.NotEmpty(t, e.Rules())
}
