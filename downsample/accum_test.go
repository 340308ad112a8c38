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
				shape = []int{256, 2, 2} // a deep column: 8 levels along axis 0
				img = nd.New[uint8](shape, nd.C)
				img.Fill(255)
				n = 9
			} else {
				img = fill[uint8](r, shape, []int{0, 2, 256}[r.IntN(3)])
			}
		}
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
