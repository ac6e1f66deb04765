package record

import (
	"encoding/binary"

	"github.com/otelsec/otelsec/internal/ruleengine"
	"github.com/otelsec/otelsec/internal/schema"
)

// A record's lineage attributes are those process puts from what the process table knows of
// the process's image and its ancestors' and of its container: they stay the same from one
// record of a thread group to the next until it execs, an ancestor execs or exits, or the table
// changes the lineage (proctable LineageChanges). Lineage encodes their values, so two jobs
// with the same encoding give those attributes the same values (present or absent alike).
var lineageAttrs = map[string]bool{
	schema.AttrProcessExecutablePath:       true,
	schema.AttrProcessExecutableName:       true,
	schema.AttrProcessParentExecutablePath: true,
	schema.AttrProcessParentExecutableName: true,
	schema.AttrProcessAncestorsExecName:    true,
	schema.AttrContainerID:                 true,
}

// Lineage appends job's lineage attribute values to buf, as process puts them.
func Lineage(buf []byte, job *Job) []byte {
	str := func(present bool, s string) {
		if !present {
			buf = append(buf, 0)
			return
		}
		buf = append(buf, 1)
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	str(job.ExePath != "", job.ExePath)
	str(job.ExePath != "", job.ExeName)
	parent := job.HasParent && job.ParentExePath != ""
	str(parent, job.ParentExePath)
	str(parent, job.ParentExeName)
	buf = binary.AppendUvarint(buf, uint64(job.NumAncestors))
	for _, n := range job.Ancestors[:job.NumAncestors] {
		str(true, n)
	}
	str(job.ContainerID != "", job.ContainerID)
	return buf
}

// openKeyAttrs are the attributes of a file.open record of an absolute path that are
// functions of what the kernel looks a remembered open up by (kernel.OpenKeyOf: the syscall,
// the flags and mode, the errno, the path as given); syscall.return is one only for a failed
// open (a successful one returns a descriptor).
var openKeyAttrs = map[string]bool{
	ruleengine.EventNameAttr:   true,
	schema.AttrSyscallName:     true,
	schema.AttrErrorType:       true,
	schema.AttrFilePath:        true,
	schema.AttrFilePathAsGiven: true,
	schema.AttrFileFlags:       true,
	schema.AttrFileMode:        true,
}

// OpenKeyed reports whether attr of a file.open record of an absolute path is the same on
// every record with the same kernel key and lineage (failed: the open failed).
func OpenKeyed(attr string, failed bool) bool {
	return openKeyAttrs[attr] || lineageAttrs[attr] || failed && attr == schema.AttrSyscallReturn
}
