package pyramid

import (
	"fmt"
	"math"
	"slices"

	"github.com/ryomen-dev/ryomen/nd"
)

// Reduce downsamples src by factor into dst, whose shape must be
// ceil(src/factor). Edge windows that stick out of src use the voxels that
// exist. A Reduce must be a pure function of its arguments.
type Reduce func(dst, src nd.Any, factor []int) error

// Methods are the built-in reductions. They stand in until the downsample
// package provides the full set.
var Methods = map[string]Reduce{
	"mean":   Mean,
	"mode":   Mode,
	"stride": Stride,
}

// Mean averages each window, rounding to nearest for integer types.
func Mean(dst, src nd.Any, f []int) error {
	switch s := src.(type) {
	case *nd.Array[uint8]:
		return meanT(dst, s, f)
	case *nd.Array[uint16]:
		return meanT(dst, s, f)
	case *nd.Array[uint32]:
		return meanT(dst, s, f)
	case *nd.Array[int8]:
		return meanT(dst, s, f)
	case *nd.Array[int16]:
		return meanT(dst, s, f)
	case *nd.Array[int32]:
		return meanT(dst, s, f)
	case *nd.Array[float32]:
		return meanT(dst, s, f)
	case *nd.Array[float64]:
		return meanT(dst, s, f)
	}
	return fmt.Errorf("pyramid: mean does not support %s", src.DType())
}

// Mode takes the most frequent value of each window (the smallest on ties).
// It is the method for label images.
func Mode(dst, src nd.Any, f []int) error {
	switch s := src.(type) {
	case *nd.Array[uint8]:
		return modeT(dst, s, f)
	case *nd.Array[uint16]:
		return modeT(dst, s, f)
	case *nd.Array[uint32]:
		return modeT(dst, s, f)
	case *nd.Array[uint64]:
		return modeT(dst, s, f)
	case *nd.Array[int8]:
		return modeT(dst, s, f)
	case *nd.Array[int16]:
		return modeT(dst, s, f)
	case *nd.Array[int32]:
		return modeT(dst, s, f)
	case *nd.Array[int64]:
		return modeT(dst, s, f)
	}
	return fmt.Errorf("pyramid: mode needs an integer label dtype, got %s", src.DType())
}

// Stride keeps the first voxel of each window.
func Stride(dst, src nd.Any, f []int) error {
	n := dst.Rank()
	idx := make([]int, n)
	sh := dst.Shape()
	for _, s := range sh {
		if s == 0 {
			return nil
		}
	}
	min, max := make([]int, n), make([]int, n)
	for {
		for i := range n {
			min[i], max[i] = idx[i]*f[i], idx[i]*f[i]+1
		}
		dmin, dmax := slices.Clone(idx), slices.Clone(idx)
		for i := range dmax {
			dmax[i]++
		}
		if err := nd.CopyAny(dst.View(nd.NewBox(dmin, dmax)), src.View(nd.NewBox(min, max))); err != nil {
			return err
		}
		if !next(idx, sh) {
			return nil
		}
	}
}

// next advances a C-order odometer; false when it wraps.
func next(idx, shape []int) bool {
	for i := len(idx) - 1; i >= 0; i-- {
		idx[i]++
		if idx[i] < shape[i] {
			return true
		}
		idx[i] = 0
	}
	return false
}

func checkShapes(dst, src nd.Any, f []int) error {
	if dst.DType() != src.DType() {
		return fmt.Errorf("pyramid: dtype %s != %s", dst.DType(), src.DType())
	}
	ss, ds := src.Shape(), dst.Shape()
	if len(ss) != len(ds) || len(f) != len(ss) {
		return fmt.Errorf("pyramid: rank mismatch")
	}
	for i := range ss {
		if f[i] < 1 || ds[i] != (ss[i]+f[i]-1)/f[i] {
			return fmt.Errorf("pyramid: dst shape %v is not ceil(%v / %v)", ds, ss, f)
		}
	}
	return nil
}

func meanT[T nd.Number](dst nd.Any, src *nd.Array[T], f []int) error {
	if err := checkShapes(dst, src, f); err != nil {
		return err
	}
	d := dst.(*nd.Array[T])
	ds := d.Shape()
	nOut := 1
	for _, s := range ds {
		nOut *= s
	}
	sum := make([]float64, nOut)
	cnt := make([]uint32, nOut)
	ostr := nd.Strides(ds, nd.C)
	src.Values(func(idx []int, v T) {
		o := 0
		for i, x := range idx {
			o += (x / f[i]) * ostr[i]
		}
		sum[o] += float64(v)
		cnt[o]++
	})
	isInt := d.DType().IsInteger()
	k := 0
	oidx := make([]int, len(ds))
	if nOut == 0 {
		return nil
	}
	for {
		m := sum[k] / float64(cnt[k])
		if isInt {
			m = math.RoundToEven(m)
		}
		d.Set(T(m), oidx...)
		k++
		if !next(oidx, ds) {
			return nil
		}
	}
}

func modeT[T nd.Number](dst nd.Any, src *nd.Array[T], f []int) error {
	if err := checkShapes(dst, src, f); err != nil {
		return err
	}
	d := dst.(*nd.Array[T])
	ds, ss := d.Shape(), src.Shape()
	n := len(ds)
	oidx := make([]int, n)
	for _, s := range ds {
		if s == 0 {
			return nil
		}
	}
	win := make([]T, 0, 64)
	lo, hi, w := make([]int, n), make([]int, n), make([]int, n)
	for {
		win = win[:0]
		for i := range n {
			lo[i] = oidx[i] * f[i]
			hi[i] = min(ss[i], lo[i]+f[i])
			w[i] = lo[i]
		}
		for {
			win = append(win, src.At(w...))
			i := n - 1
			for ; i >= 0; i-- {
				w[i]++
				if w[i] < hi[i] {
					break
				}
				w[i] = lo[i]
			}
			if i < 0 {
				break
			}
		}
		slices.Sort(win)
		best, bestN := win[0], 0
		for i := 0; i < len(win); {
			j := i
			for j < len(win) && win[j] == win[i] {
				j++
			}
			if j-i > bestN {
				best, bestN = win[i], j-i
			}
			i = j
		}
		d.Set(best, oidx...)
		if !next(oidx, ds) {
			return nil
		}
	}
}
