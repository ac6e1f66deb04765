package containermetadataprocessor

import (
	"slices"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelsec/otelsec/internal/schema"
	"github.com/otelsec/otelsec/processor/containermetadataprocessor/internal/runtime"
)

// attrs are one container's record attributes, made once from a runtime's answer: putting
// them on a record copies them and formats nothing.
type attrs struct {
	strs                        []kv
	lists                       []kvs
	privileged, privilegedKnown bool
}

type kv struct{ k, v string }

type kvs struct {
	k  string
	vs []string
}

// Attributes lists the attributes the processor may put besides container.label.<key> (the
// docs table names exactly these, a test holds it to that).
var Attributes = []string{
	schema.AttrContainerName, schema.AttrContainerImageName, schema.AttrContainerImageTags,
	schema.AttrContainerImageID, schema.AttrContainerImageRepoDigests, schema.AttrContainerRuntimeName,
	schema.AttrContainerStartTime, schema.AttrContainerPrivileged,
	schema.AttrK8sPodName, schema.AttrK8sNamespaceName, schema.AttrK8sPodUID, schema.AttrK8sContainerName,
}

func newAttrs(in *runtime.Info, maxLabels int) *attrs {
	a := &attrs{privileged: in.Privileged, privilegedKnown: in.PrivilegedKnown}
	str := func(k, v string) {
		if v != "" {
			a.strs = append(a.strs, kv{k, v})
		}
	}
	str(schema.AttrContainerName, in.Name)
	str(schema.AttrContainerImageName, in.ImageName)
	str(schema.AttrContainerImageID, in.ImageID)
	str(schema.AttrContainerRuntimeName, in.Runtime)
	if !in.StartTime.IsZero() {
		str(schema.AttrContainerStartTime, in.StartTime.UTC().Format(time.RFC3339Nano))
	}
	str(schema.AttrK8sPodName, in.PodName)
	str(schema.AttrK8sNamespaceName, in.PodNamespace)
	str(schema.AttrK8sPodUID, in.PodUID)
	str(schema.AttrK8sContainerName, in.K8sContainerName)
	keys := make([]string, 0, len(in.Labels))
	for k := range in.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys[:min(len(keys), maxLabels)] {
		a.strs = append(a.strs, kv{schema.ContainerLabelPrefix + k, in.Labels[k]})
	}
	if len(in.ImageTags) > 0 {
		a.lists = append(a.lists, kvs{schema.AttrContainerImageTags, slices.Clone(in.ImageTags)})
	}
	if len(in.ImageDigests) > 0 {
		a.lists = append(a.lists, kvs{schema.AttrContainerImageRepoDigests, slices.Clone(in.ImageDigests)})
	}
	return a
}

// put writes the attributes onto a record's map, replacing what it had under those keys.
func (a *attrs) put(m pcommon.Map) {
	n := len(a.strs) + len(a.lists)
	if a.privilegedKnown {
		n++
	}
	m.EnsureCapacity(m.Len() + n)
	for _, p := range a.strs {
		m.PutStr(p.k, p.v)
	}
	for _, l := range a.lists {
		s := m.PutEmptySlice(l.k)
		s.EnsureCapacity(len(l.vs))
		for _, v := range l.vs {
			s.AppendEmpty().SetStr(v)
		}
	}
	if a.privilegedKnown {
		m.PutBool(schema.AttrContainerPrivileged, a.privileged)
	}
}
