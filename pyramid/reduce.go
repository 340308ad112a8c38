package pyramid

import (
	"fmt"

	"github.com/ryomen-dev/ryomen/downsample"
	"github.com/ryomen-dev/ryomen/nd"
)

// Reduce downsamples src by factor into dst, whose shape must be
// ceil(src/factor). Edge windows that stick out of src use the voxels that
// exist. A Reduce must be a pure function of its arguments.
type Reduce func(dst, src nd.Any, factor []int) error

// Methods are the built-in reductions, by CLI name, from package
// downsample. Each level is computed from the level above as stored, so a
// resumed or sharded build gives the same bytes as a single run; integer
// means round each level to nearest, ties to even (a per-level rule has
// no cross-level carry, and truncating every level would darken each
// level by up to one grey value).
var Methods = map[string]Reduce{}

func init() {
	for _, m := range []downsample.Method{downsample.Mean, downsample.Mode, downsample.SparseMean,
		downsample.SparseMode, downsample.Min, downsample.Max, downsample.Stride, downsample.Median} {
		opt := downsample.Options{}
		if m == downsample.Mean {
			opt.Rounding = downsample.NearestEven
		}
		Methods[m.String()] = func(dst, src nd.Any, f []int) error {
			return reduceAny(dst, src, f, m, opt)
		}
	}
}

// reduceAny is downsample.ReduceAny, plus the two element types that have
// no arithmetic of their own: float16 is computed in float32 (exact for
// stride, min, max and median; means rounded once, to the nearest
// float16), and bool, a label type, goes through its uint8 view (mode,
// min, max, stride, median; means are refused).
func reduceAny(dst, src nd.Any, f []int, m downsample.Method, opt downsample.Options) error {
	switch s := src.(type) {
	case *nd.Array[nd.Float16]:
		s32 := nd.New[float32](s.Shape(), nd.C)
		d32 := nd.New[float32](dst.Shape(), nd.C)
		if err := nd.ConvertAny(s32, s); err != nil {
			return err
		}
		if err := downsample.ReduceAny(d32, s32, f, m, opt); err != nil {
			return err
		}
		return nd.ConvertAny(dst, d32)
	case *nd.Array[nd.Bool]:
		d, ok := dst.(*nd.Array[nd.Bool])
		if !ok {
			return fmt.Errorf("pyramid: bool source into a %v destination", dst.DType())
		}
		if m == downsample.Mean || m == downsample.SparseMean {
			return fmt.Errorf("%w: %v of bool (bool is a label type: use mode, min, max, stride or median)", downsample.ErrDType, m)
		}
		return downsample.ReduceAny(nd.BoolAsUint8(d), nd.BoolAsUint8(s), f, m, opt)
	}
	return downsample.ReduceAny(dst, src, f, m, opt)
}

// Mean, Mode and Stride are the methods the engine's own tests use.
var (
	Mean   = func(dst, src nd.Any, f []int) error { return Methods["mean"](dst, src, f) }
	Mode   = func(dst, src nd.Any, f []int) error { return Methods["mode"](dst, src, f) }
	Stride = func(dst, src nd.Any, f []int) error { return Methods["stride"](dst, src, f) }
)
