package events

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Strings cut from an arena never change, whatever is cut after them, across blocks.
func TestArenaStringsStay(t *testing.T) {
	var a arena
	src := []byte("/var/log/app-000.log")
	var got []string
	var want []string
	for i := range 3 * arenaChunk / len(src) {
		copy(src[len(src)-7:], []byte{byte('0' + i/100%10), byte('0' + i/10%10), byte('0' + i%10)})
		got = append(got, a.string(src))
		want = append(want, string(src))
	}
	assert.Equal(t, want, got)
	assert.Equal(t, "", a.string(nil))
	assert.Equal(t, "a\uFFFDb", a.string([]byte("a\xffb")))
	big := []byte(strings.Repeat("x", arenaChunk/4+1))
	before := cap(a.buf) - len(a.buf)
	assert.Equal(t, string(big), a.string(big))
	assert.Equal(t, before, cap(a.buf)-len(a.buf), "a large string does not use the block")
}
