package downsample

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
)

// Chunking must not change results: reducing an array in blocks aligned
// to factor^n (each block a strided view of the whole, as the pyramid
// engine reads chunks) gives, level by level, exactly the matching region
// of the levels of the whole array, for every method, rounding and dtype
// family, including the partial blocks at odd edges.
func TestBlockSplitIndependence(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for iter := range 30 {
		rank := 2 + r.IntN(2)
		factor := randomFactor(r, rank)
		n := 1 + r.IntN(3)
		shape := make([]int, rank)
		chunk := make([]int, rank)
		for d := range shape {
			span := 1
			for range n {
				span *= factor[d]
			}
			chunk[d] = span * (1 + r.IntN(2))
			shape[d] = 1 + r.IntN(2*chunk[d]+3)
		}
		u16 := fill[uint16](r, shape, []int{0, 3, 300}[iter%3])
		f32 := fill[float32](r, shape, 0)
		for _, m := range allMethods {
			for _, rnd := range []Rounding{Truncate, NearestEven} {
				splitCheck(t, u16, factor, chunk, n, m, Options{Rounding: rnd})
			}
			splitCheck(t, f32, factor, chunk, n, m, Options{})
		}
	}
}

func splitCheck[T nd.Number](t *testing.T, img *nd.Array[T], factor, chunk []int, n int, m Method, opt Options) {
	t.Helper()
	whole, err := Levels(img, factor, n, m, opt)
	if err != nil {
		return // a method this dtype does not support
	}
	shape := img.Shape()
	rank := len(shape)
	// Visit every chunk origin.
	origin := make([]int, rank)
	for {
		box := nd.Box{Min: slices.Clone(origin), Max: make([]int, rank)}
		for d := range rank {
			box.Max[d] = min(origin[d]+chunk[d], shape[d])
		}
		part, err := Levels(img.Sub(box), factor, n, m, opt)
		if err != nil {
			t.Fatalf("chunk %v: %v", box, err)
		}
		lo, hi := slices.Clone(box.Min), slices.Clone(box.Max)
		for k := range n {
			lo, hi = OutShape(lo, factor), OutShape(hi, factor)
			want := whole[k].Sub(nd.Box{Min: slices.Clone(lo), Max: slices.Clone(hi)}).Clone(nd.C)
			if !slices.Equal(part[k].Shape(), want.Shape()) || !slices.Equal(part[k].Data(), want.Data()) {
				t.Fatalf("%v %v rounding %d shape %v factor %v chunk %v level %d: chunk result differs\n got %v %v\nwant %v %v",
					nd.DTypeOf[T](), m, opt.Rounding, shape, factor, box, k+1,
					part[k].Shape(), trim(part[k].Data()), want.Shape(), trim(want.Data()))
			}
		}
		d := rank - 1
		for ; d >= 0; d-- {
			origin[d] += chunk[d]
			if origin[d] < shape[d] {
				break
			}
			origin[d] = 0
		}
		if d < 0 {
			return
		}
	}
}
