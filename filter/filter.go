package filter

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/ryomen-dev/ryomen/internal/f32"
	"github.com/ryomen-dev/ryomen/nd"
)

// Truncate is where Gaussian kernels end, in standard deviations: the
// radius for sigma is int(Truncate*sigma + 0.5), scipy.ndimage's rule
// with its default truncate=4.0.
const Truncate = 4.0

// ErrShape is wrapped by the errors of filters given arrays of
// inconsistent shapes.
var ErrShape = errors.New("filter: shape mismatch")

// Radius returns the Gaussian kernel radius for sigma (0 for sigma 0).
func Radius(sigma float64) int { return int(Truncate*sigma + 0.5) }

// Margins returns the per-axis radii for sigma: src must be dst grown by
// these on each side.
func Margins(sigma []float64) []int {
	m := make([]int, len(sigma))
	for i, s := range sigma {
		m[i] = Radius(s)
	}
	return m
}

// GaussianKernel returns the normalised Gaussian of standard deviation
// sigma over [-r, r], r = [Radius](sigma), as scipy.ndimage computes it
// (in float64, divided by its sum, then rounded to float32). For sigma 0
// it returns [1]. It fails for a negative, infinite or NaN sigma, or one
// whose kernel would exceed 1<<20 taps.
func GaussianKernel(sigma float64) ([]float32, error) {
	if !(sigma >= 0) || math.IsInf(sigma, 0) || Truncate*sigma > 1<<19 {
		return nil, fmt.Errorf("filter: Gaussian sigma %v: want a finite value >= 0 and below %v", sigma, (1<<19)/Truncate)
	}
	r := Radius(sigma)
	if r == 0 {
		return []float32{1}, nil
	}
	w := make([]float64, 2*r+1)
	var sum float64
	for i := range w {
		x := float64(i - r)
		w[i] = math.Exp(-0.5 / (sigma * sigma) * x * x)
		sum += w[i]
	}
	k := make([]float32, len(w))
	for i, v := range w {
		k[i] = float32(v / sum)
	}
	return k, nil
}

// Gaussian blurs src into dst with a separable Gaussian of standard
// deviation sigma[d] voxels on axis d, truncated at [Radius](sigma[d]).
// src must be dst's box grown by that radius on both sides of every axis
// (see the package doc); axes with sigma 0 are not filtered (no margin),
// as in scipy. The result equals
// scipy.ndimage.gaussian_filter(src, sigma, truncate=4.0) cropped by the
// radii, to float32 rounding.
func Gaussian(dst, src *nd.Array[float32], sigma []float64) error {
	w, _ := pool.Get().(*Workspace)
	if w == nil {
		w = new(Workspace)
	}
	defer pool.Put(w)
	return w.Gaussian(dst, src, sigma)
}

// Workspace holds the scratch buffers of the filters (two of src's size)
// for reuse from call to call; a tile function can keep one per worker.
// The package-level functions take one from a pool. The zero value is
// ready to use; a Workspace must not be used concurrently.
type Workspace struct {
	buf [2][]float32
}

var pool sync.Pool

// Gaussian is [Gaussian] with w's scratch buffers.
func (w *Workspace) Gaussian(dst, src *nd.Array[float32], sigma []float64) error {
	if len(sigma) != dst.Rank() {
		return fmt.Errorf("filter: Gaussian: %d sigmas for a rank-%d dst: %w", len(sigma), dst.Rank(), ErrShape)
	}
	ks := make([][]float32, len(sigma))
	for d, s := range sigma {
		k, err := GaussianKernel(s)
		if err != nil {
			return fmt.Errorf("filter: Gaussian axis %d: %w", d, err)
		}
		if len(k) > 1 {
			ks[d] = k
		}
	}
	return w.Separable(dst, src, ks)
}

// Separable correlates src with one kernel per axis into dst:
//
//	dst[x] = sum over j of k_0[j_0] * ... * k_{n-1}[j_{n-1}] * src[x + j]
//
// where j runs over [0, len(k_d)) on each axis d; a nil kernel on an axis
// leaves that axis unfiltered (as the kernel [1] would). src must have
// shape dst.Shape()[d] + len(k_d) - 1 on each axis. The axes are filtered
// one at a time, last axis first, in float32. dst may be any view; src
// and dst must not overlap.
func Separable(dst, src *nd.Array[float32], kernels [][]float32) error {
	w, _ := pool.Get().(*Workspace)
	if w == nil {
		w = new(Workspace)
	}
	defer pool.Put(w)
	return w.Separable(dst, src, kernels)
}

// Separable is [Separable] with w's scratch buffers.
func (w *Workspace) Separable(dst, src *nd.Array[float32], kernels [][]float32) error {
	if err := checkShapes(dst, src, kernels); err != nil {
		return err
	}
	var axes []int
	for d := dst.Rank() - 1; d >= 0; d-- {
		if kernels[d] != nil {
			axes = append(axes, d)
		}
	}
	if dst.Len() == 0 {
		return nil
	}
	if len(axes) == 0 {
		nd.Copy(dst, src)
		return nil
	}
	if !src.IsContiguous(nd.C) {
		src = src.Clone(nd.C)
	}
	cur, _ := src.Flat()
	shape := src.Shape()
	var out []float32
	direct := dst.IsContiguous(nd.C)
	if direct {
		out, _ = dst.Flat()
	}
	for i := range w.buf {
		if cap(w.buf[i]) < src.Len() {
			w.buf[i] = make([]float32, src.Len())
		}
	}
	for i, d := range axes {
		next := slices.Clone(shape)
		next[d] -= len(kernels[d]) - 1
		var o []float32
		switch {
		case i == len(axes)-1 && direct:
			o = out
		default:
			o = w.buf[i%2][:prod(next)]
		}
		pass(o, cur, shape, d, kernels[d])
		cur, shape = o, next
	}
	if !direct {
		nd.Copy(dst, nd.FromSlice(cur, shape, nd.C))
	}
	return nil
}

// checkShapes validates Separable's arguments.
func checkShapes(dst, src *nd.Array[float32], kernels [][]float32) error {
	if src.Rank() != dst.Rank() || len(kernels) != dst.Rank() {
		return fmt.Errorf("filter: src rank %d, dst rank %d, %d kernels: %w", src.Rank(), dst.Rank(), len(kernels), ErrShape)
	}
	ss, ds := src.Shape(), dst.Shape()
	for d := range ds {
		if kernels[d] != nil && len(kernels[d]) == 0 {
			return fmt.Errorf("filter: kernel of axis %d is empty", d)
		}
		want := ds[d] + max(len(kernels[d]), 1) - 1
		if ss[d] != want {
			return fmt.Errorf("filter: src shape %v, want %d on axis %d for dst shape %v and a %d-tap kernel: %w", ss, want, d, ds, len(kernels[d]), ErrShape)
		}
	}
	return nil
}

// colBlock is how many columns an other-axis pass handles per sweep down
// the axis: a kernel's worth of input rows of this width stays in the
// second-level cache.
const colBlock = 2048

// pass filters axis d of the C-order block in (shape) with kernel k into
// out, whose axis d is len(k)-1 shorter. Reference loop, with outer and
// inner the products of the axes before and after d:
//
//	out[o][i][c] = sum_j k[j] * in[o][i+j][c]
func pass(out, in []float32, shape []int, d int, k []float32) {
	n := shape[d]
	m := n - len(k) + 1
	outer, inner := prod(shape[:d]), prod(shape[d+1:])
	if inner == 1 {
		for o := range outer {
			f32.Conv(out[o*m:(o+1)*m], in[o*n:(o+1)*n], k, 1)
		}
		return
	}
	for o := range outer {
		for c0 := 0; c0 < inner; c0 += colBlock {
			w := min(colBlock, inner-c0)
			for i := range m {
				dst := out[(o*m+i)*inner+c0:][:w]
				f32.Conv(dst, in[(o*n+i)*inner+c0:], k, inner)
			}
		}
	}
}

func prod(s []int) int {
	p := 1
	for _, v := range s {
		p *= v
	}
	return p
}
