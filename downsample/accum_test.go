package downsample

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
)

// The uint16 carried sums of uint8 2x2 means (255 * 4^4 = 65280 at the
// top of a cycle) and the uint32 ones of 2x2x2 (255 * 8^8) equal the
// int32 and int64 ones: all-255 images (the largest sums,
// one short of overflowing), random images, odd shapes, both roundings,
// up to 9 levels (two floors), against the reference as well.
func TestUint16Accumulator(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	full := nd.New[uint8]([]int{3, 33, 35}, nd.C)
	full.Fill(255)
	l, err := Levels(full, []int{1, 2, 2}, 6, Mean, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for k, a := range l {
		for _, v := range a.Data() {
			if v != 255 {
				t.Fatalf("all-255 level %d: %d", k+1, v)
			}
		}
	}
	for iter := range 40 {
		shape := []int{1 + r.IntN(3), 1 + r.IntN(70), 1 + r.IntN(70)}
		factor := [][]int{{1, 2, 2}, {2, 2, 1}, {2, 1, 2}, {2, 2, 2}}[iter%4]
		img := fill[uint8](r, shape, []int{0, 2, 256}[r.IntN(3)])
		if iter%5 == 0 {
			img.Fill(255)
		}
		n := 1 + r.IntN(9)
		if factor[0] == 2 && factor[1] == 2 && factor[2] == 2 {
			shape = []int{1 + r.IntN(20), 1 + r.IntN(20), 1 + r.IntN(20)}
			if iter%8 == 3 {
				shape = []int{512, 2, 2} // a deep column: 9 levels along axis 0
				img = nd.New[uint8](shape, nd.C)
				img.Fill(255)
				n = 9
			} else {
				img = fill[uint8](r, shape, []int{0, 2, 256}[r.IntN(3)])
			}
		}
		n = clipLevels(shape, factor, n)
		for _, rnd := range []Rounding{Truncate, NearestEven} {
			opt := Options{Rounding: rnd, Workers: 1 + r.IntN(2)}
			narrow, err := Levels(img, factor, n, Mean, opt)
			if err != nil {
				t.Fatal(err)
			}
			wideAccum = true
			wide, _ := Levels(img, factor, n, Mean, opt)
			wideAccum = false
			var want [][]uint8
			if n <= 5 {
				want = reference(img, factor, n, Mean, rnd)
			}
			for k := range narrow {
				if !slices.Equal(narrow[k].Data(), wide[k].Data()) {
					t.Fatalf("shape %v factor %v rounding %d level %d: uint16 and int32 sums differ\n%v\n%v",
						shape, factor, rnd, k+1, trim(narrow[k].Data()), trim(wide[k].Data()))
				}
				if want != nil && !slices.Equal(narrow[k].Data(), want[k]) {
					t.Fatalf("shape %v factor %v rounding %d level %d: differs from the reference", shape, factor, rnd, k+1)
				}
			}
		}
	}
}

// The int32 sums and counts of SparseMean and multi-level NearestEven
// equal the int64 ones, up to the deepest level int32 is chosen for.
func TestSumCountAccumulator(t *testing.T) {
	r := rand.New(rand.NewPCG(53, 54))
	for iter := range 30 {
		factor := [][]int{{1, 2, 2}, {2, 2, 2}, {2, 1, 2}}[iter%3]
		shape := []int{1 + r.IntN(12), 1 + r.IntN(24), 1 + r.IntN(24)}
		if iter == 1 {
			// Full blocks of the largest magnitudes, one level past the
			// deepest that int32 is chosen for: 32768 * 8^6 > 2^31.
			factor, shape = []int{2, 2, 2}, []int{64, 64, 64}
		}
		n := 1 + r.IntN(7)
		u8 := fill[uint8](r, shape, []int{0, 2, 256}[r.IntN(3)])
		i16 := fill[int16](r, shape, []int{0, 3}[r.IntN(2)])
		if iter == 1 {
			u8.Fill(255)
			i16.Fill(-32768)
			n = 6
		}
		n = clipLevels(shape, factor, n)
		for _, m := range []Method{SparseMean, Mean} {
			opt := Options{Rounding: NearestEven, Workers: 1 + r.IntN(2)}
			compareAccum(t, u8, factor, n, m, opt)
			compareAccum(t, i16, factor, n, m, opt)
		}
	}
}

func compareAccum[T nd.Number](t *testing.T, img *nd.Array[T], factor []int, n int, m Method, opt Options) {
	t.Helper()
	narrow, err := Levels(img, factor, n, m, opt)
	if err != nil {
		t.Fatal(err)
	}
	wideAccum = true
	wide, _ := Levels(img, factor, n, m, opt)
	wideAccum = false
	for k := range narrow {
		if !slices.Equal(narrow[k].Data(), wide[k].Data()) {
			t.Fatalf("%v %v shape %v factor %v level %d: int32 and int64 sums differ\n%v\n%v",
				nd.DTypeOf[T](), m, img.Shape(), factor, k+1, trim(narrow[k].Data()), trim(wide[k].Data()))
		}
	}
}

// clipLevels is min(n, MaxLevels(shape, factor)), for tests that draw a
// level count at random.
func clipLevels(shape, factor []int, n int) int {
	mx, err := MaxLevels(shape, factor)
	if err != nil {
		panic(err)
	}
	return min(n, mx)
}
