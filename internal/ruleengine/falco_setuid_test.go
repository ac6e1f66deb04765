package ruleengine

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/falcotest"
	"github.com/otelsec/otelsec/internal/schema"
)

// Falco's "Non sudo setuid" reads setuid's enter event, where user.* is the caller before the
// call: root dropping to nobody (what Go's exec as another user does in the child) is root's
// setuid and does not fire; nobody asking for root does. The records' process.user.* are
// after the call, privilege.previous_user.id before it.
func TestFalcoSetuidUserBeforeTheCall(t *testing.T) {
	e, _, _ := loadFalco(t, Options{MatchAll: true}, falcotest.Stable, falcotest.Incubating)
	server := falcoProc{exe: "/srv/bin/server", cmdline: "server --serve", user: "nobody", uid: 65534,
		parentExe: "/usr/lib/systemd/systemd", parentCmdline: "/sbin/init", ancestors: []string{"systemd"}, syscall: "setuid"}
	setuid := func(previous, target int) plog.LogRecord {
		return server.record(schema.EventPrivilegeSetuid, schema.AttrPrivilegePreviousUserID, previous,
			schema.AttrPrivilegePreviousRealUserID, previous, schema.AttrPrivilegeTargetUserID, target)
	}
	assert.NotContains(t, matchAll(e, setuid(0, 65534)), "Non sudo setuid", "root became nobody")
	assert.Contains(t, matchAll(e, setuid(65534, 0)), "Non sudo setuid", "nobody asked for root")
	// Without the previous uid (the sensor did not know it), the uid after the call.
	assert.Contains(t, matchAll(e, server.record(schema.EventPrivilegeSetuid, schema.AttrPrivilegeTargetUserID, 65534)), "Non sudo setuid")
}
