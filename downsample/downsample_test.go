package downsample

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
)

func fill[T nd.Number](r *rand.Rand, shape []int, span int) *nd.Array[T] {
	a := nd.New[T](shape, nd.C)
	d := a.Data()
	lo, hi := nd.Limits[T]()
	for i := range d {
		switch {
		case span > 0: // few distinct values: ties, zeros, sparse cases
			d[i] = T(r.IntN(span))
		case nd.DTypeOf[T]().IsInteger():
			// Values across the whole range, extremes included.
			switch r.IntN(8) {
			case 0:
				d[i] = T(lo)
			case 1:
				d[i] = maxT[T]()
			default:
				d[i] = T(r.Uint64())
			}
		default:
			d[i] = T(r.NormFloat64() * 1000)
		}
	}
	_ = hi
	return a
}

func maxT[T nd.Number]() T {
	one := nd.New[T]([]int{1}, nd.C)
	nd.ConvertClamp(one, nd.FromSlice([]float64{math.Inf(1)}, []int{1}, nd.C))
	return one.Data()[0]
}

var allMethods = []Method{Mean, Mode, SparseMean, SparseMode, Min, Max, Stride, Median}

func randomFactor(r *rand.Rand, rank int) []int {
	f := make([]int, rank)
	for i := range f {
		f[i] = []int{1, 2, 2, 2, 3, 4}[r.IntN(6)]
	}
	return f
}

// differential runs every method on random arrays of type T against the
// reference: random ranks 1-4, odd and even sizes, factors 1-4, 1-6
// levels, both roundings, several worker counts, C and F order inputs.
func differential[T nd.Number](t *testing.T, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 99))
	dt := nd.DTypeOf[T]()
	for iter := 0; iter < 60; iter++ {
		rank := 1 + r.IntN(4)
		shape := make([]int, rank)
		for i := range shape {
			shape[i] = 1 + r.IntN([]int{0, 40, 13, 9, 6}[rank])
		}
		factor := randomFactor(r, rank)
		if iter%3 == 0 { // the tinybrain families
			factor = slices.Repeat([]int{1}, rank)
			for _, ax := range r.Perm(rank)[:min(rank, 2+r.IntN(2))] {
				factor[ax] = 2
			}
		}
		n := clipLevels(shape, factor, 1+r.IntN(6))
		span := []int{0, 3, 256}[r.IntN(3)]
		img := fill[T](r, shape, span)
		for _, m := range allMethods {
			if check(shape, factor, n, m, dt) != nil {
				continue
			}
			for _, rnd := range []Rounding{Truncate, NearestEven} {
				want := reference(img, factor, n, m, rnd)
				src := img
				if iter%2 == 1 {
					src = img.Clone(nd.F) // layout must not matter
				}
				got, err := Levels(src, factor, n, m, Options{Rounding: rnd, Workers: 1 + r.IntN(3)})
				if err != nil {
					t.Fatalf("%v %v %v f=%v n=%d: %v", dt, m, shape, factor, n, err)
				}
				for k := range want {
					if !slices.Equal(got[k].Data(), want[k]) {
						t.Fatalf("%v %v rounding %d shape %v factor %v level %d of %d:\n got %v\nwant %v\n img %v",
							dt, m, rnd, shape, factor, k+1, n, trim(got[k].Data()), trim(want[k]), trim(img.Data()))
					}
				}
				if m != Mean || !dt.IsInteger() {
					break // rounding only matters for integer means
				}
			}
		}
	}
}

func trim[T any](s []T) []T {
	if len(s) > 24 {
		return s[:24]
	}
	return s
}

func TestDifferentialUint8(t *testing.T)   { differential[uint8](t, 1) }
func TestDifferentialUint16(t *testing.T)  { differential[uint16](t, 2) }
func TestDifferentialUint32(t *testing.T)  { differential[uint32](t, 3) }
func TestDifferentialUint64(t *testing.T)  { differential[uint64](t, 4) }
func TestDifferentialInt8(t *testing.T)    { differential[int8](t, 5) }
func TestDifferentialInt16(t *testing.T)   { differential[int16](t, 6) }
func TestDifferentialInt32(t *testing.T)   { differential[int32](t, 7) }
func TestDifferentialInt64(t *testing.T)   { differential[int64](t, 8) }
func TestDifferentialFloat32(t *testing.T) { differential[float32](t, 9) }
func TestDifferentialFloat64(t *testing.T) { differential[float64](t, 10) }
