package pyramid

import (
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
			return downsample.ReduceAny(dst, src, f, m, opt)
		}
	}
}

// Mean, Mode and Stride are the methods the engine's own tests use.
var (
	Mean   = func(dst, src nd.Any, f []int) error { return Methods["mean"](dst, src, f) }
	Mode   = func(dst, src nd.Any, f []int) error { return Methods["mode"](dst, src, f) }
	Stride = func(dst, src nd.Any, f []int) error { return Methods["stride"](dst, src, f) }
)
