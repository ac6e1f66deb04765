package lru

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// order lists the slots newest first, walking the links both ways.
func order(t *testing.T, o *Order) []int32 {
	t.Helper()
	var fwd []int32
	for i := o.Newest(); i != None; i = o.Older(i) {
		fwd = append(fwd, i)
		if len(fwd) > len(o.prev) {
			t.Fatal("cycle")
		}
	}
	var back []int32
	for i := o.Oldest(); i != None; i = o.prev[i] {
		back = append(back, i)
	}
	slices.Reverse(back)
	if !slices.Equal(fwd, back) {
		t.Fatalf("links disagree: %v forward, %v backward", fwd, back)
	}
	return fwd
}

// The order matches a plain slice model through random pushes, touches and removals.
func TestOrderMatchesModel(t *testing.T) {
	const n = 16
	o := New(n)
	var model []int32 // newest first
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		i := int32(r.IntN(n))
		in := slices.Contains(model, i)
		switch op := r.IntN(3); {
		case !in:
			o.PushFront(i)
			model = append([]int32{i}, model...)
		case op == 0:
			o.Touch(i)
			model = append([]int32{i}, slices.DeleteFunc(model, func(v int32) bool { return v == i })...)
		default:
			o.Remove(i)
			model = slices.DeleteFunc(model, func(v int32) bool { return v == i })
		}
		if got := order(t, o); !slices.Equal(got, model) {
			t.Fatalf("order %v, model %v", got, model)
		}
	}
	if len(model) > 0 && o.Oldest() != model[len(model)-1] {
		t.Errorf("oldest %d, want %d", o.Oldest(), model[len(model)-1])
	}
}

func TestEmpty(t *testing.T) {
	o := New(2)
	if o.Oldest() != None || o.Newest() != None {
		t.Error("an empty order has slots")
	}
	o.PushFront(1)
	o.Remove(1)
	if o.Oldest() != None || o.Newest() != None {
		t.Error("removing the only slot left it in")
	}
}
