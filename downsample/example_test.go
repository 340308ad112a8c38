package downsample_test

import (
	"fmt"

	"github.com/ryomen-dev/ryomen/downsample"
	"github.com/ryomen-dev/ryomen/nd"
)

// Three mean levels of a 2-D uint8 image with an odd width: each level is
// ceil(n/2) wide and edge voxels are averaged with themselves.
func ExampleLevels() {
	img := nd.FromSlice([]uint8{
		10, 20, 30, 40, 50,
		10, 20, 30, 40, 50,
	}, []int{2, 5}, nd.C)
	levels, err := downsample.Levels(img, []int{2, 2}, 3, downsample.Mean, downsample.Options{})
	if err != nil {
		panic(err)
	}
	for _, l := range levels {
		fmt.Println(l.Shape(), l.Data())
	}
	// Output:
	// [1 3] [15 35 50]
	// [1 2] [25 50]
	// [1 1] [37]
}

// Mode pooling of a label volume with a channel axis (factor 1) and
// signed labels: -1 is a label like any other.
func ExampleReduce_labels() {
	lab := nd.FromSlice([]int32{
		-1, -1, 5, 7,
		-1, 3, 3, 3,
	}, []int{2, 1, 4}, nd.C) // (z, y, x)
	out, err := downsample.Reduce(lab, []int{2, 1, 2}, downsample.Mode, downsample.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Println(out.Data())
	// Output: [-1 3]
}

// Sparse mean ignores the zero background, so a thin bright structure
// keeps its brightness at coarse levels instead of fading into the zeros.
func ExampleLevels_sparse() {
	img := nd.New[uint16]([]int{8, 8}, nd.C)
	for i := range 8 {
		img.Set(1000, i, i) // a diagonal line
	}
	mean, _ := downsample.Levels(img, []int{2, 2}, 3, downsample.Mean, downsample.Options{})
	sparse, _ := downsample.Levels(img, []int{2, 2}, 3, downsample.SparseMean, downsample.Options{})
	fmt.Println(mean[2].Data(), sparse[2].Data())
	// Output: [125] [1000]
}
