package downsample_test

import (
	"fmt"

	"github.com/ryomen-dev/ryomen/downsample"
	"github.com/ryomen-dev/ryomen/nd"
)

// ReduceAny is the entry point for arrays whose element type is known
// only at run time (nd.Any), as a pipeline reading chunks of any dtype
// has them: one level into a destination of the same dtype.
func ExampleReduceAny() {
	var src nd.Any = nd.FromSlice([]float32{
		1, 2, 3,
		4, 5, 6,
	}, []int{2, 3}, nd.C)
	dst := nd.New[float32](downsample.OutShape(src.Shape(), []int{2, 2}), nd.C)
	if err := downsample.ReduceAny(dst, src, []int{2, 2}, downsample.Max, downsample.Options{}); err != nil {
		panic(err)
	}
	fmt.Println(dst.Shape(), dst.Data())
	// Output: [1 2] [5 6]
}

// ReduceInto fills a caller's buffer, which a chunked pipeline reuses
// from one block to the next.
func ExampleReduceInto() {
	src := nd.FromSlice([]uint16{
		1, 2, 3, 4,
		5, 6, 7, 8,
	}, []int{2, 4}, nd.C)
	dst := nd.New[uint16]([]int{1, 2}, nd.C)
	for _, m := range []downsample.Method{downsample.Mean, downsample.Min, downsample.Stride, downsample.Median} {
		if err := downsample.ReduceInto(dst, src, []int{2, 2}, m, downsample.Options{}); err != nil {
			panic(err)
		}
		fmt.Println(m, dst.Data())
	}
	// Output:
	// mean [3 5]
	// min [1 3]
	// stride [1 3]
	// median [2 4]
}

// Truncate (the default) reproduces tinybrain bit for bit, carrying the
// mean between levels; NearestEven rounds the exact mean of the whole
// block of the input once.
func ExampleRounding() {
	img := nd.FromSlice([]uint8{0, 1, 1, 1, 2, 3, 3, 3}, []int{8}, nd.C)
	for _, r := range []downsample.Rounding{downsample.Truncate, downsample.NearestEven} {
		l, err := downsample.Levels(img, []int{2}, 3, downsample.Mean, downsample.Options{Rounding: r})
		if err != nil {
			panic(err)
		}
		fmt.Println(l[0].Data(), l[1].Data(), l[2].Data())
	}
	// Output:
	// [0 1 2 3] [0 2] [1]
	// [0 1 2 3] [1 3] [2]
}

// OutShape gives the shape of the next level: ceil(n/f) per axis, so no
// voxel is dropped at an odd edge, and an axis of length 1 stays 1.
func ExampleOutShape() {
	fmt.Println(downsample.OutShape([]int{64, 1023, 7}, []int{1, 2, 2}))
	fmt.Println(downsample.OutShape([]int{1, 5, 9}, []int{2, 2, 4}))
	// Output:
	// [64 512 4]
	// [1 3 3]
}

// The error for a factor that does not fit names the axis.
func ExampleLevels_error() {
	_, err := downsample.Levels(nd.New[uint8]([]int{4, 4}, nd.C), []int{2, 0}, 1, downsample.Mean, downsample.Options{})
	fmt.Println(err)
	// Output: downsample: factor 0 on axis 1 must be >= 1
}
