// Package lru keeps the recency order of a fixed number of slots, for the bounded tables that
// evict their least recently used entry (the receiver's process table, the rules processor's
// repeat suppression). The order is an index-linked list beside the owner's own slice of
// entries: using it never allocates.
package lru

// None is the index of no slot.
const None int32 = -1

// Order is the recency order of slots 0..n-1; a slot is either in it or not.
type Order struct {
	prev, next []int32
	head, tail int32 // most and least recently used
}

// New returns an empty order over n slots.
func New(n int) *Order {
	o := &Order{prev: make([]int32, n), next: make([]int32, n), head: None, tail: None}
	for i := range o.prev {
		o.prev[i], o.next[i] = None, None
	}
	return o
}

// PushFront puts slot i, which must not be in the order, first (most recently used).
func (o *Order) PushFront(i int32) {
	o.prev[i], o.next[i] = None, o.head
	if o.head != None {
		o.prev[o.head] = i
	}
	o.head = i
	if o.tail == None {
		o.tail = i
	}
}

// Remove takes slot i out of the order.
func (o *Order) Remove(i int32) {
	if o.prev[i] != None {
		o.next[o.prev[i]] = o.next[i]
	} else if o.head == i {
		o.head = o.next[i]
	}
	if o.next[i] != None {
		o.prev[o.next[i]] = o.prev[i]
	} else if o.tail == i {
		o.tail = o.prev[i]
	}
	o.prev[i], o.next[i] = None, None
}

// Touch makes slot i, which is in the order, the most recently used.
func (o *Order) Touch(i int32) {
	if o.head == i {
		return
	}
	o.Remove(i)
	o.PushFront(i)
}

// Oldest is the least recently used slot, None when the order is empty.
func (o *Order) Oldest() int32 { return o.tail }

// Newest is the most recently used slot, None when the order is empty.
func (o *Order) Newest() int32 { return o.head }

// Older is the slot used just before i, None for the oldest.
func (o *Order) Older(i int32) int32 { return o.next[i] }
