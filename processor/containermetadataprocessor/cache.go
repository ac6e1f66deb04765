package containermetadataprocessor

import (
	"sync"

	"github.com/otelsec/otelsec/internal/lru"
)

// cache remembers, per container id, what the runtimes said (an *entry's attrs) or that none
// knew it (attrs nil) until retryAt. Bounded: a full cache evicts its least recently used
// container. Safe for concurrent use; a lookup is one map access under a mutex.
type cache struct {
	mu    sync.Mutex
	index map[string]int32
	slots []slot
	order *lru.Order
	free  []int32
}

type slot struct {
	id string
	e  *entry
}

// entry is one answer, immutable once cached (records of many batches read it).
type entry struct {
	attrs   *attrs // nil: no runtime knew the container (or the lookup failed)
	retryAt int64  // unix ns; for a negative entry, when a record may ask again
}

func newCache(size int) *cache {
	c := &cache{index: make(map[string]int32, size), slots: make([]slot, size), order: lru.New(size), free: make([]int32, size)}
	for i := range c.free {
		c.free[i] = int32(size - 1 - i)
	}
	return c
}

// get returns the entry of id (nil when none) and marks it used.
func (c *cache) get(id string) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	i, ok := c.index[id]
	if !ok {
		return nil
	}
	c.order.Touch(i)
	return c.slots[i].e
}

// put stores e for id, replacing any; evicted reports whether another container made room.
func (c *cache) put(id string, e *entry) (evicted bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i, ok := c.index[id]; ok {
		c.slots[i].e = e
		c.order.Touch(i)
		return false
	}
	var i int32
	if n := len(c.free); n > 0 {
		i, c.free = c.free[n-1], c.free[:n-1]
	} else {
		i = c.order.Oldest()
		c.order.Remove(i)
		delete(c.index, c.slots[i].id)
		evicted = true
	}
	c.slots[i] = slot{id: id, e: e}
	c.index[id] = i
	c.order.PushFront(i)
	return evicted
}

func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.index)
}
