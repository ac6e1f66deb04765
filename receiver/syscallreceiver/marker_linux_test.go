//go:build linux

package syscallreceiver

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelsec/otelsec/receiver/syscallreceiver/internal/metadata"
)

// A storage that is not there stops the start with the extension named, before anything is
// loaded into the kernel. (The marker itself is exercised with the real file_storage by
// test/e2e's SIGKILL test.)
func TestStartWithMissingStorage(t *testing.T) {
	cfg := testConfig()
	id := component.MustNewIDWithName("file_storage", "nope")
	cfg.Storage = &id
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, consumerNop{})
	require.NoError(t, err)
	err = rcv.Start(context.Background(), componenttest.NewNopHost())
	require.Error(t, err)
	assert.Equal(t, "syscall receiver: storage file_storage/nope: no such extension (add it under extensions and service.extensions)", err.Error())
	require.NoError(t, rcv.Shutdown(context.Background()))
}
