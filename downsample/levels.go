package downsample

import (
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/ryomen-dev/ryomen/nd"
)

// generic forces the general paths, for tests that compare them with the
// fast ones.
var generic atomic.Bool

// Levels reduces src n times by factor with method m and returns the n
// levels (src itself is not included), each a new C-order array of shape
// OutShape of the one before. src may have any layout; results depend only
// on its values, never on its memory order.
//
// Mean of integers follows opt.Rounding; Mean of floats is computed in the
// element type and never rounded. Mode and SparseMode require integers.
// Mean with Truncate carries exact sums between levels (tinybrain's rule);
// SparseMean and Mean with NearestEven are exact over each whole factor^k
// block; the other methods reduce each level from the one above.
//
// It returns an error, naming the argument, for a factor of the wrong
// length or below 1, an empty axis, n below 1 or above [MaxLevels], more
// than [MaxFactorAxes] reduced axes, or a method the element type does not
// support.
func Levels[T nd.Number](src *nd.Array[T], factor []int, n int, m Method, opt Options) ([]*nd.Array[T], error) {
	return levels(src, factor, n, m, opt, nil)
}

// ReduceInto computes one level of src into dst, which must be a
// C-contiguous array of shape OutShape(src.Shape(), factor); it saves
// allocating the output when a caller reuses buffers.
func ReduceInto[T nd.Number](dst, src *nd.Array[T], factor []int, m Method, opt Options) error {
	if err := check(src.Shape(), factor, 1, m, nd.DTypeOf[T]()); err != nil {
		return err
	}
	if want := OutShape(src.Shape(), factor); !slices.Equal(dst.Shape(), want) {
		return fmt.Errorf("downsample: destination shape %v, want %v", dst.Shape(), want)
	}
	into := dst
	if !dst.IsContiguous(nd.C) {
		into = nil
	}
	out, err := levels(src, factor, 1, m, opt, into)
	if err != nil {
		return err
	}
	if out[0] != dst {
		nd.Copy(dst, out[0])
	}
	return nil
}

func levels[T nd.Number](src *nd.Array[T], factor []int, n int, m Method, opt Options, into *nd.Array[T]) ([]*nd.Array[T], error) {
	dt := nd.DTypeOf[T]()
	if err := check(src.Shape(), factor, n, m, dt); err != nil {
		return nil, err
	}
	src, err := contiguous(src)
	if err != nil {
		return nil, err
	}
	w := opt.Workers
	switch {
	case m == Mean && dt.IsInteger() && opt.Rounding == NearestEven:
		if n == 1 && fastMean(dt, factor) {
			// One level of factors 1 and 2: the row kernels, rounding.
			return meanTruncRows(src, factor, n, w, into, true), nil
		}
		return sumCount(src, factor, n, w, false, divEven, into), nil
	case m == Mean && dt.IsInteger():
		return meanTrunc(src, factor, n, w, into), nil
	case m == SparseMean:
		return sumCount(src, factor, n, w, true, divTrunc, into), nil
	}
	var res []*nd.Array[T]
	cur := src
	for k := 1; k <= n; k++ {
		var next *nd.Array[T]
		dst := into
		if k > 1 {
			dst = nil
		}
		switch m {
		case Mean:
			next = meanFloat(cur, factor, w, dst)
		case Mode, SparseMode:
			next = mode(cur, factor, m == SparseMode, w, dst)
		default:
			next = order(cur, factor, m, w, dst)
		}
		res = append(res, next)
		cur = next
	}
	return res, nil
}

// Reduce is Levels with n = 1.
func Reduce[T nd.Number](src *nd.Array[T], factor []int, m Method, opt Options) (*nd.Array[T], error) {
	l, err := Levels(src, factor, 1, m, opt)
	if err != nil {
		return nil, err
	}
	return l[0], nil
}

// newOut returns into for the single level of a one-level run, else a new
// array.
func newOut[T nd.Number](shape []int, into *nd.Array[T], k, n int) *nd.Array[T] {
	if into != nil && k == 1 && n == 1 {
		return into
	}
	return nd.New[T](shape, nd.C)
}

// meanTrunc dispatches the Truncate mean to a fast path when one fits.
func meanTrunc[T nd.Number](src *nd.Array[T], factor []int, n, workers int, into *nd.Array[T]) []*nd.Array[T] {
	if !fastMean(nd.DTypeOf[T](), factor) {
		return meanTruncGeneric(src, factor, n, workers, into)
	}
	return meanTruncRows(src, factor, n, workers, into, false)
}

func sumCount[T nd.Number](src *nd.Array[T], factor []int, n, workers int, sparse bool, mode divMode, into *nd.Array[T]) []*nd.Array[T] {
	if generic.Load() || nd.DTypeOf[T]().Size() > 4 || !rowable(factor) {
		return sumCountGeneric(src, factor, n, workers, sparse, mode, into)
	}
	return sumCountRows(src, factor, n, workers, sparse, mode, into)
}

func mode[T nd.Number](src *nd.Array[T], factor []int, sparse bool, workers int, into *nd.Array[T]) *nd.Array[T] {
	if !generic.Load() {
		if out := modeRows(src, factor, sparse, workers, into); out != nil {
			return out
		}
	}
	return modeGeneric(src, factor, sparse, workers, into)
}

func order[T nd.Number](src *nd.Array[T], factor []int, m Method, workers int, into *nd.Array[T]) *nd.Array[T] {
	return orderGeneric(src, factor, m, workers, into)
}

// fastMean reports whether the row kernels handle an integer mean:
// factors of 1 and 2 (at least one 2) and elements of up to 32 bits.
func fastMean(dt nd.DType, factor []int) bool {
	return !generic.Load() && dt.Size() <= 4 && rowable(factor) && family(factor) > 0
}
