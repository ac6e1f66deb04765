package ruleengine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelsec/otelsec/internal/schema"
)

// sampleRecord is a record of one event with every attribute Falco's fields read there.
func sampleRecord(event string) plog.LogRecord {
	types := falcoTypesOf(event)
	login := 1000
	p := shellUser.with(func(p *falcoProc) {
		p.container, p.cmdline, p.parentCmdline = "3f4e5d6c7b8a", "/usr/bin/python3.12 -u /srv/app.py", "-bash"
		p.comm, p.loginuid, p.capEff, p.capPerm = "app.py", &login, 1<<21|1<<13, 1<<21|1<<13|1<<16
		if event != schema.EventProcessExit {
			p.syscall = types[len(types)-1]
		}
		p.ret = 5
	})
	return p.record(event,
		schema.AttrFilePath, "/srv/data/report.txt", schema.AttrFileFlags, []string{"O_WRONLY", "O_CREAT", "O_TRUNC"}, schema.AttrFileMode, "0644",
		schema.AttrFileName, "payload", schema.AttrFileSymlinkTargetPath, "/etc/shadow", schema.AttrFileLinkTargetPath, "/etc/passwd",
		schema.AttrFileSourcePath, "/srv/old.txt", schema.AttrMountSource, "/dev/sda1", schema.AttrMountFSType, "ext4", schema.AttrMountFlags, []string{"MS_BIND"},
		schema.AttrFdOld, 3, schema.AttrFdNew, 1, schema.AttrFdType, "socket",
		schema.AttrNetworkPeerAddress, "203.0.113.5", schema.AttrNetworkPeerPort, 443, schema.AttrNetworkLocalAddress, "10.0.0.2", schema.AttrNetworkLocalPort, 40000,
		schema.AttrNetworkTransport, "tcp", schema.AttrNetworkType, "ipv4",
		schema.AttrPtraceRequest, "PTRACE_ATTACH", schema.AttrPtraceTargetPID, 77, schema.AttrPrivilegeTargetUserID, 0, schema.AttrPrivilegeTargetGroupID, 0,
		schema.AttrNamespaceFlags, []string{"CLONE_NEWNS"}, schema.AttrKernelModuleArgs, "debug=1", schema.AttrBPFCommand, "BPF_PROG_LOAD",
		schema.AttrFilePathAsGiven, "../data/report.txt", schema.AttrNetworkSocketFamily, "AF_INET", schema.AttrProcessVPID, 1,
		schema.AttrProcessExecutableUpperLayer, true, schema.AttrProcessExecutableFromMemfd, false)
}

// TestFalcoFieldsRenderAsTheyCompare: a field's output and its checks are read the same way.
// For every field and event where the sensor supplies it, the value an output shows makes
// `field = value` true on the same record.
func TestFalcoFieldsRenderAsTheyCompare(t *testing.T) {
	checked := 0
	for _, row := range falcoFieldRows() {
		f, arg, hasArg, _ := lookupFalcoField(row.name)
		ref := row.name
		if row.arg != "" {
			arg, hasArg, ref = row.arg, true, row.name+"["+row.arg+"]"
		}
		for _, ev := range schema.EventNames {
			d := f.on(ev, arg, hasArg)
			if d.kind == defNone || d.kind == defMissing || d.list {
				continue
			}
			lr := sampleRecord(ev)
			out, err := parseFalcoOutput("%" + ref)
			require.NoError(t, err)
			_, err = out.prepare([]string{ev}, &falcoPrograms{})
			require.NoError(t, err, ref)
			fields := pcommon.NewMap()
			v := out.render(pcommon.NewMap(), lr, fields)
			fv, _ := fields.Get(ref)
			if v == "<NA>" {
				assert.Equal(t, pcommon.ValueTypeEmpty, fv.Type(), "%s on %s: <NA> is null in output_fields", ref, ev)
				continue
			}
			// output_fields holds what the text shows, typed by the field's type in Falco.
			wantType := map[falcoFieldType]pcommon.ValueType{falcoInt: pcommon.ValueTypeInt, falcoBool: pcommon.ValueTypeBool}[f.typ]
			if wantType == pcommon.ValueTypeEmpty {
				wantType = pcommon.ValueTypeStr
			}
			assert.Equal(t, wantType, fv.Type(), "%s on %s in output_fields", ref, ev)
			assert.Equal(t, v, fv.AsString(), "%s on %s in output_fields", ref, ev)
			typ := f.typ
			if d.typ != 0 {
				typ = d.typ
			}
			lit := `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
			if typ == falcoInt || typ == falcoBool {
				lit = v
			}
			cond := fmt.Sprintf("evt.type in (%s) and %s = %s", strings.Join(falcoTypesOf(ev), ", "), ref, lit)
			e, _ := falcoCompile(t, falcoRule("r", cond))
			assert.Equal(t, []string{"r"}, matchAll(e, lr), "%s on %s renders %q but `%s` is not true", ref, ev, v, cond)
			checked++
		}
	}
	t.Logf("%d field and event pairs", checked)
	assert.Greater(t, checked, 100)
}
