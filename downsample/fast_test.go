package downsample

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ryomen-dev/ryomen/nd"
)

// compareFast runs Levels with the fast paths and with the general ones
// forced and fails on any difference.
func compareFast[T nd.Number](t testing.TB, img *nd.Array[T], factor []int, n int, m Method, opt Options) {
	fast, err := Levels(img, factor, n, m, opt)
	if err != nil {
		return // an invalid combination: both paths share the checks
	}
	generic.Store(true)
	slow, err := Levels(img, factor, n, m, opt)
	generic.Store(false)
	if err != nil {
		t.Fatalf("general path failed where the fast one did not: %v", err)
	}
	for k := range fast {
		if !slices.Equal(fast[k].Data(), slow[k].Data()) {
			t.Fatalf("%v %v shape %v factor %v level %d: fast and general paths differ\nfast %v\ngen  %v",
				nd.DTypeOf[T](), m, img.Shape(), factor, k+1, trim(fast[k].Data()), trim(slow[k].Data()))
		}
	}
}

func fastCases[T nd.Number](t *testing.T, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 7))
	for iter := 0; iter < 40; iter++ {
		rank := 2 + r.IntN(3)
		shape := make([]int, rank)
		for i := range shape {
			shape[i] = 1 + r.IntN([]int{0, 0, 70, 24, 12}[rank])
		}
		factor := slices.Repeat([]int{1}, rank)
		for _, ax := range r.Perm(rank)[:2+r.IntN(rank-1)] {
			factor[ax] = 2
		}
		img := fill[T](r, shape, []int{0, 4, 300}[r.IntN(3)])
		for _, m := range allMethods {
			for _, rnd := range []Rounding{Truncate, NearestEven} {
				compareFast(t, img, factor, 1+r.IntN(5), m, Options{Rounding: rnd, Workers: 1 + r.IntN(3)})
			}
		}
	}
}

func TestFastUint8(t *testing.T)  { fastCases[uint8](t, 1) }
func TestFastUint16(t *testing.T) { fastCases[uint16](t, 2) }
func TestFastInt16(t *testing.T)  { fastCases[int16](t, 3) }
func TestFastInt32(t *testing.T)  { fastCases[int32](t, 4) }
func TestFastUint64(t *testing.T) { fastCases[uint64](t, 5) }
func TestFastInt8(t *testing.T)   { fastCases[int8](t, 6) }

// FuzzFastPaths drives the fast paths with arbitrary bytes as uint8 and
// uint16 images of fuzzed shape and factor, against the general paths.
func FuzzFastPaths(f *testing.F) {
	f.Add([]byte("\x05\x09\x03some bytes for an image of labels and grey values......"), uint8(0), uint8(2))
	f.Add(make([]byte, 200), uint8(3), uint8(5))
	f.Fuzz(func(t *testing.T, b []byte, method, levels uint8) {
		if len(b) < 4 {
			return
		}
		shape := []int{1 + int(b[0]%7), 1 + int(b[1]%11), 1 + int(b[2]%19)}
		factor := []int{1 + int(b[3]&1), 1 + int(b[3]>>1&1), 1 + int(b[3]>>2&1)}
		body := b[4:]
		size := shape[0] * shape[1] * shape[2]
		img8 := nd.New[uint8](shape, nd.C)
		img16 := nd.New[uint16](shape, nd.C)
		for i := 0; i < size && len(body) > 0; i++ {
			img8.Data()[i] = body[i%len(body)]
			img16.Data()[i] = uint16(body[i%len(body)]) * 257
		}
		m := Method(method % uint8(len(allMethods)))
		n := 1 + int(levels%6)
		opt := Options{Rounding: Rounding(method / 8 % 2)}
		compareFast(t, img8, factor, n, m, opt)
		compareFast(t, img16, factor, n, m, opt)
	})
}

// ReduceInto writes every voxel of a reused (dirty) destination, for
// every method, equal to Reduce.
func TestReduceIntoDirty(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	img := fill[uint16](r, []int{5, 9, 14}, 3)
	for _, f := range [][]int{{1, 2, 2}, {2, 2, 2}, {3, 1, 2}} {
		for _, m := range allMethods {
			want, err := Reduce(img, f, m, Options{})
			if err != nil {
				t.Fatal(err)
			}
			dst := nd.New[uint16](want.Shape(), nd.C)
			dst.Fill(0xBEEF)
			if err := ReduceInto(dst, img, f, m, Options{}); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(dst.Data(), want.Data()) {
				t.Errorf("%v %v: ReduceInto differs from Reduce", m, f)
			}
		}
	}
	if err := ReduceInto(nd.New[uint16]([]int{1, 1, 1}, nd.C), img, []int{2, 2, 2}, Mean, Options{}); err == nil {
		t.Error("no error for a destination of the wrong shape")
	}
}
