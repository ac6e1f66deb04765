package capability

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNames(t *testing.T) {
	assert.Equal(t, "", Join(0))
	assert.Equal(t, "CAP_CHOWN", Join(1))
	assert.Equal(t, "CAP_NET_RAW CAP_SYS_ADMIN", Join(1<<13|1<<21))
	assert.Equal(t, "CAP_CHECKPOINT_RESTORE CAP_41 CAP_63", Join(1<<40|1<<41|1<<63))
	assert.Equal(t, "CAP_SYS_MODULE", Name(16))
	assert.Equal(t, "CAP_-1", Name(-1))
}
