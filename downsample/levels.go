package downsample

import (
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
func Levels[T nd.Number](src *nd.Array[T], factor []int, n int, m Method, opt Options) ([]*nd.Array[T], error) {
	dt := nd.DTypeOf[T]()
	if err := check(src.Shape(), factor, n, m, dt); err != nil {
		return nil, err
	}
	src = contiguous(src)
	w := opt.Workers
	switch {
	case m == Mean && dt.IsInteger() && opt.Rounding == NearestEven:
		return sumCount(src, factor, n, w, false, divEven), nil
	case m == Mean && dt.IsInteger():
		return meanTrunc(src, factor, n, w), nil
	case m == SparseMean:
		return sumCount(src, factor, n, w, true, divFloor), nil
	}
	var res []*nd.Array[T]
	cur := src
	for range n {
		var next *nd.Array[T]
		switch m {
		case Mean:
			next = meanFloat(cur, factor, w)
		case Mode, SparseMode:
			next = mode(cur, factor, m == SparseMode, w)
		default:
			next = order(cur, factor, m, w)
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

// meanTrunc dispatches the Truncate mean to a fast path when one fits.
func meanTrunc[T nd.Number](src *nd.Array[T], factor []int, n, workers int) []*nd.Array[T] {
	if generic.Load() || nd.DTypeOf[T]().Size() > 4 || !rowable(factor) || family(factor) == 0 {
		return meanTruncGeneric(src, factor, n, workers)
	}
	return meanTruncRows(src, factor, n, workers)
}

func sumCount[T nd.Number](src *nd.Array[T], factor []int, n, workers int, sparse bool, mode divMode) []*nd.Array[T] {
	if generic.Load() || nd.DTypeOf[T]().Size() > 4 || !rowable(factor) {
		return sumCountGeneric(src, factor, n, workers, sparse, mode)
	}
	return sumCountRows(src, factor, n, workers, sparse, mode)
}

func mode[T nd.Number](src *nd.Array[T], factor []int, sparse bool, workers int) *nd.Array[T] {
	if !generic.Load() {
		if out := modeRows(src, factor, sparse, workers); out != nil {
			return out
		}
	}
	return modeGeneric(src, factor, sparse, workers)
}

func order[T nd.Number](src *nd.Array[T], factor []int, m Method, workers int) *nd.Array[T] {
	return orderGeneric(src, factor, m, workers)
}
