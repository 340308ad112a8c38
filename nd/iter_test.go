package nd

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// points lists the points of b by recursion, the naive reference.
func points(b Box) [][]int {
	var out [][]int
	var rec func(d int, p []int)
	rec = func(d int, p []int) {
		if d == b.Rank() {
			out = append(out, slices.Clone(p))
			return
		}
		for i := b.Min[d]; i < b.Max[d]; i++ {
			rec(d+1, append(p, i))
		}
	}
	rec(0, nil)
	return out
}

func randomBox(r *rand.Rand) Box {
	rank := r.IntN(5)
	b := Box{Min: make([]int, rank), Max: make([]int, rank)}
	for d := range rank {
		b.Min[d] = r.IntN(7) - 3
		b.Max[d] = b.Min[d] + r.IntN(4) // sometimes empty
	}
	return b
}

// Points and Indices give the points of random boxes (empty ones, rank 0)
// in the order of nested loops, and stop when the loop breaks.
func TestPoints(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		b := randomBox(r)
		want := points(b)
		if b.Empty() {
			want = nil
		}
		var got [][]int
		for p := range b.Points() {
			got = append(got, slices.Clone(p))
		}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("%v: got %v, want %v", b, got, want)
		}
		if len(want) > 2 {
			n := 0
			for range b.Points() {
				if n++; n == 2 {
					break
				}
			}
			if n != 2 {
				t.Fatalf("%v: break after 2 gave %d", b, n)
			}
		}
	}
	var got [][]int
	for p := range Indices([]int{2, 1, 3}) {
		got = append(got, slices.Clone(p))
	}
	if want := points(BoxOf([]int{2, 1, 3})); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("Indices: %v, want %v", got, want)
	}
}

// Rows gives the row offsets of random strided layouts (negative strides
// too) as the reference loop computes them.
func TestRows(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		b := randomBox(r)
		shape := b.Shape()
		strides := make([]int, len(shape))
		for d := range strides {
			strides[d] = r.IntN(41) - 20
		}
		off := r.IntN(1000)
		type row struct {
			idx []int
			o   int
		}
		var want []row
		outer := shape[:max(len(shape)-1, 0)]
		if !b.Empty() {
			for _, p := range points(BoxOf(outer)) {
				o := off
				for d, i := range p {
					o += i * strides[d]
				}
				want = append(want, row{p, o})
			}
		}
		var got []row
		for idx, o := range Rows(shape, strides, off) {
			got = append(got, row{slices.Clone(idx), o})
		}
		if !slices.EqualFunc(got, want, func(a, b row) bool { return a.o == b.o && slices.Equal(a.idx, b.idx) }) {
			t.Fatalf("shape %v strides %v: got %v, want %v", shape, strides, got, want)
		}
	}
}

// Values visits every element of a strided view with its index.
func TestValuesView(t *testing.T) {
	a := New[int32]([]int{4, 5, 6}, C)
	for i := range a.Data() {
		a.Data()[i] = int32(i)
	}
	v := a.Sub(NewBox([]int{1, 0, 2}, []int{3, 5, 5}))
	n := 0
	v.Values(func(idx []int, x int32) {
		if want := v.At(idx...); x != want {
			t.Fatalf("%v: %d, want %d", idx, x, want)
		}
		n++
	})
	if n != v.Len() {
		t.Fatalf("%d values of %d", n, v.Len())
	}
}
