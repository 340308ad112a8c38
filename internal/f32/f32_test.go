package f32

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Every kernel is checked against its reference loop (with Vector false)
// for lengths 0..100 at offsets 0..3, with guard values after the output
// that must survive.

const guard = -12345.5

// withVector runs f with Vector set to v and restores it.
func withVector(v bool, f func()) {
	old := Vector
	Vector = v
	defer func() { Vector = old }()
	f()
}

func randF(r *rand.Rand, n int, scale float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32() * scale
	}
	return s
}

func near(a, b, tol float32) bool { return math.Abs(float64(a-b)) <= float64(tol) }

func TestConvMatchesReference(t *testing.T) {
	if !Vector {
		t.Log("no AVX2/FMA in this build or CPU: comparing the reference with itself")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, taps := range []int{1, 2, 5, 17} {
		for _, step := range []int{1, 3, 40} {
			for n := 0; n <= 100; n++ {
				off := n % 4
				k := randF(r, taps, 1)
				in := randF(r, off+n+(taps-1)*step, 1000)
				got := append(make([]float32, 0, n+1), make([]float32, n)...)
				got = append(got, guard)[:n]
				want := make([]float32, n)
				Conv(got, in[off:], k, step)
				withVector(false, func() { Conv(want, in[off:], k, step) })
				if g := got[:n+1][n]; g != guard {
					t.Fatalf("taps %d step %d n %d: guard overwritten with %v", taps, step, n, g)
				}
				for i := range want {
					// Fused and unfused sums of taps terms below
					// 1000: a few ulps of 1000*taps.
					if !near(got[i], want[i], 1e-3*float32(taps)) {
						t.Fatalf("taps %d step %d n %d: out[%d] = %v, want %v", taps, step, n, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// The pure-Go path (taps outermost) against the literal reference loop
// of Conv's doc comment.
func TestConvPureGoIsReferenceLoop(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, step := range []int{1, 7} {
		k := randF(r, 9, 1)
		in := randF(r, 300, 1000)
		out := make([]float32, 300-8*step)
		withVector(false, func() { Conv(out, in, k, step) })
		for i := range out {
			var acc float32
			for j, kj := range k {
				acc += kj * in[i+j*step]
			}
			if !near(out[i], acc, 1e-6*acc) {
				t.Fatalf("step %d: out[%d] = %v, reference loop %v", step, i, out[i], acc)
			}
		}
	}
}

// The reference itself against a float64 direct sum.
func TestConvReferenceValue(t *testing.T) {
	in := []float32{1, 2, 3, 4, 5, 6, 7}
	out := make([]float32, 3)
	withVector(false, func() { Conv(out, in, []float32{1, 10, 100}, 2) })
	// out[i] = in[i] + 10 in[i+2] + 100 in[i+4]
	for i, w := range []float32{1 + 30 + 500, 2 + 40 + 600, 3 + 50 + 700} {
		if out[i] != w {
			t.Errorf("out[%d] = %v, want %v", i, out[i], w)
		}
	}
}

func TestAxpyMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := 0; n <= 100; n++ {
		off := n % 4
		w := randF(r, n+off, 1)[off:]
		acc0 := randF(r, n, 100)
		s := r.Float32()
		y8 := make([]uint8, n)
		y16 := make([]uint16, n)
		yf := randF(r, n, 500)
		for i := range y8 {
			y8[i] = uint8(r.UintN(256))
			y16[i] = uint16(r.UintN(65536))
		}
		check := func(name string, f func(acc []float32), tol float32) {
			got := append(append([]float32(nil), acc0...), guard)[:n]
			want := append([]float32(nil), acc0...)
			f(got)
			withVector(false, func() { f(want) })
			if g := got[:n+1][n]; g != guard {
				t.Fatalf("%s n %d: guard overwritten", name, n)
			}
			for i := range want {
				if !near(got[i], want[i], tol) {
					t.Fatalf("%s n %d: acc[%d] = %v, want %v", name, n, i, got[i], want[i])
				}
			}
		}
		check("u8", func(acc []float32) { AxpyU8(acc, w, s, y8) }, 1e-4)
		check("u16", func(acc []float32) { AxpyU16(acc, w, s, y16) }, 1e-2)
		check("f32", func(acc []float32) { AxpyF32(acc, w, s, yf) }, 1e-4)
	}
}

// Conversions are exact: vector and reference agree bit for bit,
// including ties, clamping, negatives, NaN and infinities.
func TestToIntMatchesReference(t *testing.T) {
	special := []float32{0, 0.49999997, 0.5, 1.5, 2.5, 254.5, 254.49998, 255, 255.4, 255.5, 256, 1e9, 3e9,
		-0.4, -0.5, -1, -1e9, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)),
		65534.5, 65535, 65535.4, 65535.5, 65536, 70000, 32767.5}
	r := rand.New(rand.NewPCG(5, 6))
	for n := 0; n <= 140; n++ {
		src := randF(r, n, 70000)
		for i := range src {
			if r.IntN(3) == 0 {
				src[i] = special[r.IntN(len(special))]
			}
		}
		g8 := append(make([]uint8, n), 77)[:n]
		w8 := make([]uint8, n)
		g16 := append(make([]uint16, n), 77)[:n]
		w16 := make([]uint16, n)
		ToU8(g8, src)
		ToU16(g16, src)
		withVector(false, func() { ToU8(w8, src); ToU16(w16, src) })
		if g8[:n+1][n] != 77 || g16[:n+1][n] != 77 {
			t.Fatalf("n %d: guard overwritten", n)
		}
		for i := range src {
			if g8[i] != w8[i] || g16[i] != w16[i] {
				t.Fatalf("n %d: %v -> %d, %d; want %d, %d", n, src[i], g8[i], g16[i], w8[i], w16[i])
			}
		}
	}
	// Golden values of the reference.
	dst := make([]uint8, 8)
	withVector(false, func() { ToU8(dst, []float32{0.5, 1.49, 254.5, 300, -3, float32(math.NaN()), 2.5, 0.4999}) })
	for i, w := range []uint8{1, 1, 255, 255, 0, 0, 3, 0} {
		if dst[i] != w {
			t.Errorf("ToU8 golden %d: %d, want %d", i, dst[i], w)
		}
	}
}
