package record

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/kevent"
)

// strsOf finds every kevent.Str reachable in v's fields, by reflection (test only).
func strsOf(v reflect.Value, out *[]*kevent.Str) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(kevent.Str{}) {
			*out = append(*out, v.Addr().Interface().(*kevent.Str))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				strsOf(v.Field(i), out)
			}
		}
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			strsOf(v.Index(i), out)
		}
	}
}

func TestOwnCoversEvent(t *testing.T) {
	var ev kevent.Event
	var all []*kevent.Str
	strsOf(reflect.ValueOf(&ev).Elem(), &all)
	listed := strFields(&ev)
	require.Len(t, all, len(listed), "kevent.Event's string fields changed: update strFields")
	for _, s := range all {
		assert.Contains(t, listed[:], s)
	}

	// Every string is copied: overwriting the reader's buffer afterwards changes nothing.
	raw := []byte("abcdefghijklmnopqrstuvwxyz0123456789")
	for i, s := range all {
		s.B = raw[i : i+2]
		s.Truncated = i%2 == 0
	}
	buf := own(&ev, nil)
	for i := range raw {
		raw[i] = '!'
	}
	var again []*kevent.Str
	strsOf(reflect.ValueOf(&ev).Elem(), &again)
	for i, s := range again {
		assert.Equal(t, "abcdefghijklmnopqrstuvwxyz0123456789"[i:i+2], string(s.B))
		assert.Equal(t, i%2 == 0, s.Truncated)
	}
	// The buffer is reused.
	buf2 := own(&ev, buf)
	assert.Equal(t, &buf[:1][0], &buf2[:1][0])
	assert.Equal(t, 0.0, testing.AllocsPerRun(100, func() { buf = own(&ev, buf) }))
}
