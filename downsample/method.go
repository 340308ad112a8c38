package downsample

import (
	"errors"
	"fmt"
	"slices"

	"github.com/ryomen-dev/ryomen/nd"
)

// Method is a pooling rule.
type Method uint8

// The methods. See the package documentation for their exact rules.
const (
	Mean Method = iota
	Mode
	SparseMean
	SparseMode
	Min
	Max
	Stride
	Median
)

var methodNames = [...]string{"mean", "mode", "sparse-mean", "sparse-mode", "min", "max", "stride", "median"}

// String returns the method's name as the CLI spells it.
func (m Method) String() string {
	if int(m) < len(methodNames) {
		return methodNames[m]
	}
	return fmt.Sprintf("Method(%d)", uint8(m))
}

// ParseMethod returns the Method named s.
func ParseMethod(s string) (Method, error) {
	for i, n := range methodNames {
		if n == s {
			return Method(i), nil
		}
	}
	return 0, fmt.Errorf("downsample: unknown method %q (want one of %v)", s, methodNames)
}

// Rounding selects how integer means are rounded.
type Rounding uint8

const (
	// Truncate is tinybrain's rule, bit for bit: the mean of the voxels
	// present is carried across levels and truncated toward zero for each
	// output; the carried value is floored every Cycle levels (8- and
	// 16-bit 2x2 and 2x2x2), never rounded (8- and 16-bit, other
	// factors) or truncated every level (32- and 64-bit). See the package
	// documentation.
	Truncate Rounding = iota
	// NearestEven rounds the mean of the voxels present in the whole
	// factor^k block of level 0 to the nearest integer, ties to even (as
	// tensorstore does). It has no drift at all.
	NearestEven
)

// Options tune a reduction. The zero value is tinybrain's behaviour on one
// goroutine.
type Options struct {
	// Rounding applies to integer Mean only.
	Rounding Rounding
	// Workers splits each level across goroutines; 0 or 1 runs on the
	// calling goroutine.
	Workers int
}

// ErrDType reports a method that cannot handle an element type.
var ErrDType = errors.New("downsample: method does not support this element type")

// OutShape returns the shape of one level below shape: ceil(n/f) per axis,
// computed as (n-1)/f+1 so that no factor overflows. An axis of length 1
// stays 1 whatever its factor, so a 7-voxel axis gives 4, 2, 1 over
// successive levels. It panics if the lengths differ or a factor is below
// 1 (a programming error); [Levels] and [MaxLevels] check their arguments
// and return errors instead.
func OutShape(shape, factor []int) []int {
	if len(factor) != len(shape) {
		panic(fmt.Sprintf("downsample: OutShape of rank %d with %d factors", len(shape), len(factor)))
	}
	out := make([]int, len(shape))
	for i, n := range shape {
		if factor[i] < 1 {
			panic(fmt.Sprintf("downsample: OutShape with factor %d on axis %d", factor[i], i))
		}
		if n > 0 {
			out[i] = (n-1)/factor[i] + 1
		}
	}
	return out
}

// MaxFactorAxes is the largest number of axes with a factor above 1 in one
// reduction. Factor-2 axes repeat their edge voxel, so each one can double
// the work per output voxel at an odd edge; the bound keeps that finite
// (tinybrain reduces at most three axes).
const MaxFactorAxes = 16

// MaxLevels returns how many levels [Levels] accepts for an array of the
// given shape and factor: the number of levels that change the shape (each
// one shrinks some axis), and at least 1, so a single level of an array
// that is already reduced to 1 voxel per reduced axis (or of factor 1
// everywhere) is the identity. It returns an error for invalid arguments,
// the same as Levels.
func MaxLevels(shape, factor []int) (int, error) {
	if err := checkShape(shape, factor); err != nil {
		return 0, err
	}
	return maxLevels(shape, factor), nil
}

func maxLevels(shape, factor []int) int {
	n := 0
	cur := slices.Clone(shape)
	for {
		next := OutShape(cur, factor)
		if slices.Equal(next, cur) {
			return max(n, 1)
		}
		n++
		cur = next
	}
}

// checkShape validates a shape and a factor.
func checkShape(shape, factor []int) error {
	if len(factor) != len(shape) {
		return fmt.Errorf("downsample: %d factors for an array of rank %d", len(factor), len(shape))
	}
	reduced := 0
	for i, f := range factor {
		if f < 1 {
			return fmt.Errorf("downsample: factor %d on axis %d must be >= 1", f, i)
		}
		if shape[i] < 1 {
			return fmt.Errorf("downsample: axis %d is empty (shape %v)", i, shape)
		}
		if f > 1 {
			reduced++
		}
	}
	if reduced > MaxFactorAxes {
		return fmt.Errorf("downsample: factor %v reduces %d axes, at most %d are supported", factor, reduced, MaxFactorAxes)
	}
	return nil
}

// check validates a reduction of an array of the given shape.
func check(shape, factor []int, levels int, m Method, dt nd.DType) error {
	if err := checkShape(shape, factor); err != nil {
		return err
	}
	if levels < 1 {
		return fmt.Errorf("downsample: %d levels requested, need >= 1", levels)
	}
	if mx := maxLevels(shape, factor); levels > mx {
		return fmt.Errorf("downsample: %d levels requested, but shape %v by factor %v changes only over %d (MaxLevels)", levels, shape, factor, mx)
	}
	if m > Median {
		return fmt.Errorf("downsample: invalid method %d", m)
	}
	switch {
	case (m == Mode || m == SparseMode) && !dt.IsInteger():
		return fmt.Errorf("%w: %v of %v (labels must be integers)", ErrDType, m, dt)
	case m == SparseMean && !dt.IsInteger():
		return fmt.Errorf("%w: %v of %v (ryomen computes sparse means of integers only; tinybrain also accepts floats)", ErrDType, m, dt)
	}
	return nil
}

// family classifies a factor for the tinybrain rules: the number of axes
// with factor 2 when every factor is 1 or 2, else 0.
func family(factor []int) int {
	n := 0
	for _, f := range factor {
		switch f {
		case 1:
		case 2:
			n++
		default:
			return 0
		}
	}
	return n
}

// carryRule returns how the Truncate mean of integer type dt carries the
// mean M_k of one level to the next: rounded by mode every cyc levels, or
// never rounded (exact) when cyc is 0. These are tinybrain's three paths:
//
//   - 8- and 16-bit 2x2 and 2x2x2 (its accelerated path): floored every 4
//     levels for 2x2, every 8 (8-bit) or 5 (16-bit) for 2x2x2;
//   - 8- and 16-bit, every other factor (its numpy path, which carries the
//     means in float32): never rounded, cyc 0;
//   - 32- and 64-bit, any factor (numpy path, truncated every level):
//     truncated toward zero every level.
func carryRule(factor []int, dt nd.DType) (cyc int, mode divMode) {
	fam, size := family(factor), dt.Size()
	switch {
	case size >= 4:
		return 1, divTrunc
	case fam == 2:
		return 4, divFloor
	case fam == 3 && size == 1:
		return 8, divFloor
	case fam == 3 && size == 2:
		return 5, divFloor
	}
	return 0, divFloor
}

// contiguous returns a as a C-contiguous array (a itself when it is one),
// or an error when the copy cannot be allocated (a broadcast view with
// stride 0 can have far more elements than memory).
func contiguous[T nd.Number](a *nd.Array[T]) (*nd.Array[T], error) {
	if a.IsContiguous(nd.C) {
		return a, nil
	}
	c, err := nd.NewChecked[T](a.Shape(), nd.C)
	if err != nil {
		return nil, fmt.Errorf("downsample: copying a non-contiguous source: %w", err)
	}
	nd.Copy(c, a)
	return c, nil
}
