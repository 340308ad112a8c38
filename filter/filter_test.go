package filter

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ryomen-dev/ryomen/internal/f32"
	"github.com/ryomen-dev/ryomen/nd"
)

// refSeparable is the reference: the full N-d correlation with the
// product kernel, in float64, one output voxel at a time.
//
//	dst[x] = sum over j of prod_d k_d[j_d] * src[x + j]
func refSeparable(src *nd.Array[float32], dstShape []int, kernels [][]float32) *nd.Array[float64] {
	r := len(dstShape)
	ks := make([][]float64, r)
	for d, k := range kernels {
		if k == nil {
			ks[d] = []float64{1}
			continue
		}
		for _, v := range k {
			ks[d] = append(ks[d], float64(v))
		}
	}
	out := nd.New[float64](dstShape, nd.C)
	lens := make([]int, r)
	for d := range ks {
		lens[d] = len(ks[d])
	}
	taps := nd.New[float64](lens, nd.C)
	at := make([]int, r)
	out.Values(func(x []int, _ float64) {
		var sum float64
		taps.Values(func(j []int, _ float64) {
			w := 1.0
			for d := range j {
				w *= ks[d][j[d]]
				at[d] = x[d] + j[d]
			}
			sum += w * float64(src.At(at...))
		})
		out.Set(sum, x...)
	})
	return out
}

func randArray(r *rand.Rand, shape []int) *nd.Array[float32] {
	a := nd.New[float32](shape, nd.C)
	for i := range a.Data() {
		a.Data()[i] = r.Float32() * 1000
	}
	return a
}

// closeTo compares got with want within 1e-5 relative to the magnitude
// of the data (values in [0, 1000), kernels of positive weights).
func closeTo(t *testing.T, name string, got *nd.Array[float32], want *nd.Array[float64], scale float64) {
	t.Helper()
	i := 0
	want.Values(func(idx []int, w float64) {
		g := float64(got.At(idx...))
		if math.Abs(g-w) > 1e-5*scale {
			t.Fatalf("%s: at %v got %v, want %v", name, idx, g, w)
		}
		i++
	})
}

// Separable equals the direct N-d correlation for ranks 1 to 4, kernels
// of lengths 1 to 9 (some axes unfiltered), contiguous and strided views
// as src and dst, with and without the vector kernels.
func TestSeparableMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for trial := range 60 {
		rank := 1 + trial%4
		dstShape := make([]int, rank)
		kernels := make([][]float32, rank)
		srcShape := make([]int, rank)
		for d := range rank {
			dstShape[d] = 1 + r.IntN(map[int]int{1: 70, 2: 40, 3: 12, 4: 6}[rank])
			if r.IntN(4) > 0 {
				k := make([]float32, 1+r.IntN(9))
				for i := range k {
					k[i] = r.Float32()
				}
				kernels[d] = k
			}
			srcShape[d] = dstShape[d] + max(len(kernels[d]), 1) - 1
		}
		src := randArray(r, srcShape)
		want := refSeparable(src, dstShape, kernels)
		scale := 1000.0
		for _, k := range kernels {
			var s float64
			for _, v := range k {
				s += float64(v)
			}
			scale *= max(s, 1)
		}
		for _, vec := range []bool{true, false} {
			old := f32.Vector
			f32.Vector = vec && old
			dst := nd.New[float32](dstShape, nd.C)
			if err := Separable(dst, src, kernels); err != nil {
				t.Fatal(err)
			}
			closeTo(t, "contiguous", dst, want, scale)
			// Strided views: a transposed src (seen in the same axis
			// order) and a dst inside a larger array.
			perm := make([]int, rank)
			for d := range perm {
				perm[d] = rank - 1 - d
			}
			tsrc := src.Transpose(perm...).Clone(nd.C).Transpose(perm...)
			big := nd.New[float32](grow(dstShape, 2), nd.C)
			big.Fill(-1)
			view := big.Sub(nd.BoxOf(grow(dstShape, 1)).Translate(ones(rank)))
			view = view.Sub(nd.BoxOf(dstShape))
			if err := Separable(view, tsrc, kernels); err != nil {
				t.Fatal(err)
			}
			closeTo(t, "views", view, want, scale)
			f32.Vector = old
		}
	}
}

func grow(s []int, by int) []int {
	g := make([]int, len(s))
	for i, v := range s {
		g[i] = v + by
	}
	return g
}

func ones(n int) []int {
	o := make([]int, n)
	for i := range o {
		o[i] = 1
	}
	return o
}

// The kernel follows scipy's rule: radius int(4 sigma + 0.5), weights
// exp(-x^2 / (2 sigma^2)) normalised to sum 1, symmetric.
func TestGaussianKernel(t *testing.T) {
	for _, c := range []struct {
		sigma float64
		r     int
	}{{0, 0}, {0.1, 0}, {0.125, 1}, {0.6, 2}, {1, 4}, {1.5, 6}, {2, 8}, {3.3, 13}} {
		if got := Radius(c.sigma); got != c.r {
			t.Errorf("Radius(%v) = %d, want %d", c.sigma, got, c.r)
		}
		k, err := GaussianKernel(c.sigma)
		if err != nil || len(k) != 2*c.r+1 {
			t.Fatalf("GaussianKernel(%v): %d taps, %v", c.sigma, len(k), err)
		}
		var sum float64
		for i, v := range k {
			sum += float64(v)
			if v != k[len(k)-1-i] {
				t.Errorf("sigma %v: not symmetric at %d", c.sigma, i)
			}
			if c.r > 0 {
				x := float64(i - c.r)
				want := math.Exp(-x*x/(2*c.sigma*c.sigma)) * float64(k[c.r])
				if math.Abs(float64(v)-want) > 1e-7 {
					t.Errorf("sigma %v tap %d: %v, want %v", c.sigma, i, v, want)
				}
			}
		}
		if math.Abs(sum-1) > 1e-6 {
			t.Errorf("sigma %v: sum %v", c.sigma, sum)
		}
	}
	if got := Margins([]float64{0, 1, 2}); got[0] != 0 || got[1] != 4 || got[2] != 8 {
		t.Errorf("Margins = %v", got)
	}
}

func TestErrors(t *testing.T) {
	dst := nd.New[float32]([]int{4, 5}, nd.C)
	for _, c := range []struct {
		src   []int
		sigma []float64
		want  string
		shape bool
	}{
		{[]int{12, 13}, []float64{1}, "1 sigmas for a rank-2 dst", true},
		{[]int{12, 12}, []float64{1, 1}, "want 13 on axis 1", true},
		{[]int{12, 13, 1}, []float64{1, 1}, "src rank 3", true},
		{[]int{4, 5}, []float64{-1, 0}, "axis 0: filter: Gaussian sigma -1", false},
		{[]int{4, 5}, []float64{0, math.NaN()}, "axis 1: filter: Gaussian sigma NaN", false},
		{[]int{4, 5}, []float64{0, math.Inf(1)}, "axis 1", false},
	} {
		err := Gaussian(dst, nd.New[float32](c.src, nd.C), c.sigma)
		if err == nil || !strings.Contains(err.Error(), c.want) || errors.Is(err, ErrShape) != c.shape {
			t.Errorf("src %v sigma %v: %v, want %q (ErrShape %v)", c.src, c.sigma, err, c.want, c.shape)
		}
	}
	if err := Separable(dst, nd.New[float32]([]int{4, 5}, nd.C), [][]float32{{}, nil}); err == nil || !strings.Contains(err.Error(), "axis 0 is empty") {
		t.Errorf("empty kernel: %v", err)
	}
	// No axis filtered: a copy.
	src := randArray(rand.New(rand.NewPCG(1, 1)), []int{4, 5})
	if err := Gaussian(dst, src, []float64{0, 0}); err != nil {
		t.Fatal(err)
	}
	for i, v := range src.Data() {
		if dst.Data()[i] != v {
			t.Fatalf("sigma 0: voxel %d changed", i)
		}
	}
}
