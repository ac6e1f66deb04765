package ruleengine

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCompileReportsProgress(t *testing.T) {
	srcs := generatedRuleset(t, 2000)
	var mu sync.Mutex
	var got []Progress
	_, _, err := Compile(srcs, Options{ProgressInterval: time.Millisecond, Progress: func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, p)
	}})
	require.NoError(t, err)
	mu.Lock()
	n := len(got)
	mu.Unlock()
	require.NotZero(t, n, "a compile of 2000 rules takes longer than a millisecond")
	stages := []string{"reading", "parsing", "checking", "compiling"}
	last := -1
	for _, p := range got {
		i := slices.Index(stages, p.Stage)
		require.GreaterOrEqual(t, i, last, "stages come in order: %+v", got)
		last = i
		assert.LessOrEqual(t, p.Done, p.Total)
		if p.Stage == "compiling" {
			assert.Equal(t, 2000, p.Total)
		}
		if p.Stage != "reading" {
			assert.Equal(t, 2000, p.Rules)
		}
	}
	time.Sleep(20 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	assert.Len(t, got, n, "no report after Compile returned")
}
