package downsample

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ryomen-dev/ryomen/downsample/internal/vec"
	"github.com/ryomen-dev/ryomen/nd"
)

// Kernel-level differential tests: each row kernel against the reference
// loop of its doc comment, for every row length 0..max, at unaligned
// offsets, with guard bands after the output to catch out-of-range
// writes. The same checks run as fuzz targets (FuzzRowKernels).

const guard = 0x5A

// guarded returns a slice of n elements followed by 16 guard elements
// (all g) in the same backing array.
func guarded[T nd.Number](n int, g T) (s, tail []T) {
	buf := make([]T, n+16)
	for i := range buf {
		buf[i] = g
	}
	return buf[:n], buf[n:]
}

func checkGuard[T nd.Number](t testing.TB, name string, tail []T, g T) {
	t.Helper()
	for i, v := range tail {
		if v != g {
			t.Fatalf("%s wrote past its output (guard %d = %v)", name, i, v)
		}
	}
}

// refMeanRowU8 is the reference loop of mean2x2U8 and mean2x2x2U8.
func refMeanRowU8(rows [][]uint8, sh uint) []uint8 {
	n := len(rows[0])
	out := make([]uint8, (n+1)/2)
	for x := range out {
		s := 0
		for _, r := range rows {
			s += int(r[2*x]) + int(r[min(2*x+1, n-1)])
		}
		out[x] = uint8(s >> sh)
	}
	return out
}

// refSumRows is the reference loop of sumRows and sumRowsFast.
func refSumRows[S nd.Number](src []S, rows []int, nxIn, fx int) []int64 {
	out := make([]int64, (nxIn+fx-1)/fx)
	for x := range out {
		for _, off := range rows {
			for j := 0; j < fx; j++ {
				out[x] += int64(src[off+min(fx*x+j, nxIn-1)])
			}
		}
	}
	return out
}

// checkRowKernels runs every row kernel on rows cut from buf (at offset
// off, each n long) against its reference loop.
func checkRowKernels(t testing.TB, buf []uint8, n, off int) {
	t.Helper()
	if n < 1 || off+4*n > len(buf) {
		return
	}
	rows := make([][]uint8, 4)
	offs := make([]int, 4)
	for i := range rows {
		offs[i] = off + i*n
		rows[i] = buf[offs[i] : offs[i]+n : offs[i]+n]
	}
	nx := (n + 1) / 2

	d, tail := guarded[uint8](nx, guard)
	mean2x2U8(d, rows[0], rows[1], false)
	checkGuard(t, "mean2x2U8", tail, guard)
	if want := refMeanRowU8(rows[:2], 2); !slices.Equal(d, want) {
		t.Fatalf("mean2x2U8 n=%d off=%d:\n got %v\nwant %v", n, off, d, want)
	}
	d, tail = guarded[uint8](nx, guard)
	mean2x2x2U8(d, rows[0], rows[1], rows[2], rows[3], false)
	checkGuard(t, "mean2x2x2U8", tail, guard)
	if want := refMeanRowU8(rows, 3); !slices.Equal(d, want) {
		t.Fatalf("mean2x2x2U8 n=%d off=%d:\n got %v\nwant %v", n, off, d, want)
	}

	for _, nr := range []int{1, 2, 4} {
		for _, fx := range []int{1, 2} {
			want := refSumRows(buf, offs[:nr], n, fx)
			d32, t32 := guarded[int32](len(want), -7)
			if !sumRowsFast(d32, buf, offs[:nr], n, fx) {
				sumRows(d32, buf, offs[:nr], n, fx)
			}
			checkGuard(t, "sumRowsFast", t32, -7)
			d64, t64 := guarded[int64](len(want), -7)
			sumRows(d64, buf, offs[:nr], n, fx)
			checkGuard(t, "sumRows", t64, -7)
			for x := range want {
				if int64(d32[x]) != want[x] || d64[x] != want[x] {
					t.Fatalf("sumRows rows=%d fx=%d n=%d off=%d x=%d: int32 %d int64 %d, want %d",
						nr, fx, n, off, x, d32[x], d64[x], want[x])
				}
			}
		}
	}

	// Mode kernels, on the bytes widened to uint64 labels (few distinct
	// values come from the fuzzer or from the caller's buffer).
	lab := make([][]uint64, 4)
	for i, r := range rows {
		lab[i] = make([]uint64, n)
		for x, v := range r {
			lab[i][x] = uint64(v%4) * 0xFFFF_FFFF_FFFF_FFF // include huge labels
		}
	}
	for _, sparse := range []bool{false, true} {
		dm, tm := guarded[uint64](nx, 99)
		mode2x2Pairs(dm, lab[0], lab[1], sparse)
		checkGuard(t, "mode2x2Pairs", tm, 99)
		for x := range dm {
			i, j := 2*x, min(2*x+1, n-1)
			want := refMode([]uint64{lab[0][i], lab[0][j], lab[1][i], lab[1][j]}, true, sparse)
			if dm[x] != want {
				t.Fatalf("mode2x2Pairs sparse=%v n=%d x=%d: %d, want %d", sparse, n, x, dm[x], want)
			}
		}
		dr, tr := guarded[uint64](n, 99)
		mode2x2Rows(dr, lab[0], lab[1], lab[2], lab[3], sparse)
		checkGuard(t, "mode2x2Rows", tr, 99)
		for x := range dr {
			want := refMode([]uint64{lab[0][x], lab[1][x], lab[2][x], lab[3][x]}, true, sparse)
			if dr[x] != want {
				t.Fatalf("mode2x2Rows sparse=%v n=%d x=%d: %d, want %d", sparse, n, x, dr[x], want)
			}
		}
		d8, t8 := guarded[uint64](nx, 99)
		mode2x2x2(d8, lab[0], lab[1], lab[2], lab[3], sparse)
		checkGuard(t, "mode2x2x2", t8, 99)
		for x := range d8 {
			i, j := 2*x, min(2*x+1, n-1)
			var v []uint64
			for _, r := range lab {
				v = append(v, r[i], r[j])
			}
			if want := refMode(v, false, sparse); d8[x] != want {
				t.Fatalf("mode2x2x2 sparse=%v n=%d x=%d %v: %d, want %d", sparse, n, x, v, d8[x], want)
			}
		}
	}
}

// TestRowKernels runs the kernels as built (with the vector kernels of
// internal/vec under GOEXPERIMENT=simd on AVX-512) and with the pure-Go
// kernels forced.
func TestRowKernels(t *testing.T) {
	saved := vec.Enabled
	defer func() { vec.Enabled = saved }()
	for _, on := range []bool{true, false} {
		vec.Enabled = on && saved
		testRowKernels(t)
	}
}

func testRowKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	buf := make([]uint8, 4*160+8)
	for iter := range 3 {
		for i := range buf {
			switch iter {
			case 0:
				buf[i] = uint8(r.Uint32()) // the whole range: SWAR lane carries
			case 1:
				buf[i] = 255 // the largest sums
			default:
				buf[i] = uint8(r.IntN(3)) // ties and zeros for the mode kernels
			}
		}
		for n := 1; n <= 160; n++ {
			for off := range 8 {
				checkRowKernels(t, buf, n, off)
			}
		}
	}
}

// FuzzRowKernels checks every row kernel against its reference loop on
// fuzzed bytes, row length and alignment.
func FuzzRowKernels(f *testing.F) {
	f.Add(slices.Repeat([]byte{255}, 100), uint8(17), uint8(3))
	f.Add([]byte("\x00\x01\x02\x00\x00\x01\x01\x02\x02\x00abcdefghijklmnopqrstuvwxyz0123456789"), uint8(9), uint8(1))
	f.Fuzz(func(t *testing.T, buf []byte, n, off uint8) {
		checkRowKernels(t, buf, int(n), int(off%8))
		saved := vec.Enabled
		vec.Enabled = false
		defer func() { vec.Enabled = saved }()
		checkRowKernels(t, buf, int(n), int(off%8))
	})
}

// FuzzReference runs every method through Levels (fast paths and
// workers included) on fuzzed int16 and uint8 images of fuzzed shape,
// factor and level count, against the exact reference implementation.
func FuzzReference(f *testing.F) {
	f.Add([]byte("\x03\x04\x05\x1b some grey values and labels 0000 1111 ----"), uint8(0), uint8(3))
	f.Add(make([]byte, 64), uint8(2), uint8(5))
	f.Fuzz(func(t *testing.T, b []byte, method, levels uint8) {
		if len(b) < 5 {
			return
		}
		shape := []int{1 + int(b[0]%5), 1 + int(b[1]%7), 1 + int(b[2]%9)}
		factor := []int{1 + int(b[3]%4), 1 + int(b[3]/4%4), 1 + int(b[3]/16%4)}
		body := b[4:]
		m := Method(method % uint8(len(allMethods)))
		rnd := Rounding(method / 8 % 2)
		n := clipLevels(shape, factor, 1+int(levels%5))
		img8 := nd.New[uint8](shape, nd.C)
		img16 := nd.New[int16](shape, nd.C)
		for i := range img8.Data() {
			v := body[i%len(body)]
			img8.Data()[i] = v
			img16.Data()[i] = int16(uint16(v) * 257) // negative values too
		}
		opt := Options{Rounding: rnd, Workers: 1 + int(levels/8%3)}
		fuzzOne(t, img8, factor, n, m, opt)
		fuzzOne(t, img16, factor, n, m, opt)
	})
}

func fuzzOne[T nd.Number](t *testing.T, img *nd.Array[T], factor []int, n int, m Method, opt Options) {
	got, err := Levels(img, factor, n, m, opt)
	if err != nil {
		t.Fatalf("%v %v f=%v: %v", img.Shape(), m, factor, err)
	}
	want := reference(img, factor, n, m, opt.Rounding)
	for k := range want {
		if !slices.Equal(got[k].Data(), want[k]) {
			t.Fatalf("%v %v rounding %d shape %v factor %v level %d:\n got %v\nwant %v",
				nd.DTypeOf[T](), m, opt.Rounding, img.Shape(), factor, k+1, trim(got[k].Data()), trim(want[k]))
		}
	}
}
