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
	e2, _ := falcoCompile(t, falcoRule("named", "evt.type=setuid and evt.arg.uid in (nobody, 0)"), falcoRule("not named", "evt.type=setuid and evt.arg.uid != nobody"))
	assert.Equal(t, []string{"named"}, matchAll(e2, setuid(0, 65534)))
	assert.Equal(t, []string{"named", "not named"}, matchAll(e2, server.with(func(p *falcoProc) { p.user, p.uid = "root", 0 }).record(schema.EventPrivilegeSetuid, schema.AttrPrivilegeTargetUserID, 0)))
	assert.Equal(t, []string{"not named"}, matchAll(e2, setuid(0, 33)))
	assert.Contains(t, matchAll(e, setuid(65534, 0)), "Non sudo setuid", "nobody asked for root")
	// Nobody staying nobody is Falco's somebody_becoming_themselves: evt.arg.uid compares with
	// a name, the name of the uid the call made effective.
	assert.NotContains(t, matchAll(e, setuid(65534, 65534)), "Non sudo setuid", "nobody became nobody")
	// A name is not known for a refused call's target: only a number matches it.
	refused := server.with(func(p *falcoProc) { p.ret, p.errno = -1, "EPERM" }).record(schema.EventPrivilegeSetuid,
		schema.AttrPrivilegePreviousUserID, 65534, schema.AttrPrivilegeTargetUserID, 33)
	assert.Contains(t, matchAll(e, refused), "Non sudo setuid")
	// Without the previous uid (the sensor did not know it), the uid after the call.
	unknown := server.with(func(p *falcoProc) { p.ret, p.errno = -1, "EPERM" })
	assert.Contains(t, matchAll(e, unknown.record(schema.EventPrivilegeSetuid, schema.AttrPrivilegeTargetUserID, 0)), "Non sudo setuid")
	unknown.user, unknown.uid = "root", 0
	assert.NotContains(t, matchAll(e, unknown.record(schema.EventPrivilegeSetuid, schema.AttrPrivilegeTargetUserID, 0)), "Non sudo setuid")
}
